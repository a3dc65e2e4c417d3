// SPDX-License-Identifier: MIT
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/state/snapshot_error.hpp"

STREAMCP_BEGIN_NAMESPACE

/// Appends little-endian fixed-width values to a byte vector (snapshot format, docs/snapshot.md).
class byte_writer {
  public:
    void u8(std::uint8_t v) { bytes_.push_back(static_cast<std::byte>(v)); }
    void u16(std::uint16_t v) { put_le(v); }
    void u32(std::uint32_t v) { put_le(v); }
    void u64(std::uint64_t v) { put_le(v); }
    void i32(std::int32_t v) { put_le(static_cast<std::uint32_t>(v)); }
    void i64(std::int64_t v) { put_le(static_cast<std::uint64_t>(v)); }
    void f32(float v) { put_le(std::bit_cast<std::uint32_t>(v)); }
    void f64(double v) { put_le(std::bit_cast<std::uint64_t>(v)); }
    void raw(std::span<const std::byte> data) {
        bytes_.insert(bytes_.end(), data.begin(), data.end());
    }
    void str(std::string_view s) {
        u64(s.size());
        raw(std::as_bytes(std::span{s.data(), s.size()}));
    }

    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
    [[nodiscard]] std::vector<std::byte>& bytes() noexcept { return bytes_; }
    [[nodiscard]] std::vector<std::byte> take() noexcept { return std::move(bytes_); }

  private:
    template <class U>
    void put_le(U v) {
        for (std::size_t i = 0; i < sizeof(U); ++i) {
            bytes_.push_back(
                static_cast<std::byte>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFFU));
        }
    }

    std::vector<std::byte> bytes_;
};

/// Reads what `byte_writer` wrote. Every read is bounds-checked: running past the end
/// throws `snapshot_error`, so a truncated snapshot can never be read out of bounds.
class byte_reader {
  public:
    explicit byte_reader(std::span<const std::byte> data) noexcept : data_(data) {}

    std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
    std::uint16_t u16() { return get_le<std::uint16_t>(); }
    std::uint32_t u32() { return get_le<std::uint32_t>(); }
    std::uint64_t u64() { return get_le<std::uint64_t>(); }
    std::int32_t i32() { return static_cast<std::int32_t>(get_le<std::uint32_t>()); }
    std::int64_t i64() { return static_cast<std::int64_t>(get_le<std::uint64_t>()); }
    float f32() { return std::bit_cast<float>(get_le<std::uint32_t>()); }
    double f64() { return std::bit_cast<double>(get_le<std::uint64_t>()); }
    std::string str() {
        const auto bytes = take(length(1));
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};  // NOLINT
    }

    /// Reads a count of elements of `element_size` bytes each and checks that the rest of
    /// the input can hold them, so a corrupt count never drives a huge allocation.
    std::size_t length(std::size_t element_size) {
        const std::uint64_t n = u64();
        if (element_size != 0 && n > remaining() / element_size) {
            throw snapshot_error(fmt::format(
                "truncated: a length of {} exceeds the remaining {} bytes", n, remaining()));
        }
        return static_cast<std::size_t>(n);
    }

    std::span<const std::byte> take(std::size_t n) {
        if (n > remaining()) {
            throw snapshot_error(fmt::format(
                "truncated: needed {} more bytes at offset {}, {} left", n, pos_, remaining()));
        }
        auto out = data_.subspan(pos_, n);
        pos_ += n;
        return out;
    }

    [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
    [[nodiscard]] std::size_t position() const noexcept { return pos_; }

    /// Throws unless every byte was consumed: trailing bytes mean a foreign or corrupt input.
    void expect_end() const {
        if (remaining() != 0) {
            throw snapshot_error(fmt::format("{} unexpected trailing bytes", remaining()));
        }
    }

  private:
    template <class U>
    U get_le() {
        const auto bytes = take(sizeof(U));
        U v = 0;
        for (std::size_t i = 0; i < sizeof(U); ++i) {
            v = static_cast<U>(v | (static_cast<U>(bytes[i]) << (8 * i)));
        }
        return v;
    }

    std::span<const std::byte> data_;
    std::size_t pos_ = 0;
};

STREAMCP_END_NAMESPACE
