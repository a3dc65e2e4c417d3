// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/state/byte_codec.hpp"
#include "streamcp/state/snapshot_error.hpp"

STREAMCP_BEGIN_NAMESPACE

/// What a snapshot holds; a snapshot of one kind cannot be restored into another.
enum class snapshot_kind : std::uint16_t {
    change_point_detector = 1,
    spike_and_dip_detector = 2,
    change_point_function = 3,
    spike_and_dip_function = 4,
    robust_change_point_detector = 5,
    robust_change_point_function = 6,
};

/// The envelope around every snapshot (docs/snapshot.md):
///
///     offset  size  field
///     0       4     magic "SCPS"
///     4       2     format version (little-endian u16)
///     6       2     kind (snapshot_kind)
///     8       8     payload length N
///     16      N     payload
///     16+N    4     CRC-32C of bytes [0, 16+N)
namespace snapshot_format {

inline constexpr std::array<std::byte, 4> magic{std::byte{'S'}, std::byte{'C'}, std::byte{'P'},
                                                std::byte{'S'}};
inline constexpr std::uint16_t version = 1;
inline constexpr std::size_t header_size = 16;
inline constexpr std::size_t trailer_size = 4;

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bitwise-table-free so the header
/// has no static tables; snapshots are small next to the cost of producing them.
[[nodiscard]] inline std::uint32_t crc32c(std::span<const std::byte> data) noexcept {
    std::uint32_t crc = 0xFFFFFFFFU;
    for (const std::byte b : data) {
        crc ^= static_cast<std::uint32_t>(b);
        for (int k = 0; k < 8; ++k) {
            crc = (crc >> 1) ^ (0x82F63B78U & (0U - (crc & 1U)));
        }
    }
    return ~crc;
}

[[nodiscard]] inline std::string kind_name(std::uint16_t kind) {
    switch (static_cast<snapshot_kind>(kind)) {
        case snapshot_kind::change_point_detector:
            return "change_point_detector";
        case snapshot_kind::spike_and_dip_detector:
            return "spike_and_dip_detector";
        case snapshot_kind::change_point_function:
            return "anomaly_detection_change_point";
        case snapshot_kind::spike_and_dip_function:
            return "anomaly_detection_spike_and_dip";
        case snapshot_kind::robust_change_point_detector:
            return "robust_change_point_detector";
        case snapshot_kind::robust_change_point_function:
            return "robust_change_point_function";
    }
    return fmt::format("unknown kind {}", kind);
}

/// Wraps `payload` in the envelope.
[[nodiscard]] inline std::vector<std::byte> seal(snapshot_kind kind,
                                                 std::span<const std::byte> payload) {
    byte_writer w;
    w.raw(magic);
    w.u16(version);
    w.u16(static_cast<std::uint16_t>(kind));
    w.u64(payload.size());
    w.raw(payload);
    w.u32(crc32c(w.bytes()));
    return w.take();
}

/// Checks the envelope and returns the payload. Throws `snapshot_error` naming what is
/// wrong: not a snapshot, another format version, another kind, truncated, or corrupted.
[[nodiscard]] inline std::span<const std::byte> open(std::span<const std::byte> bytes,
                                                     snapshot_kind expected) {
    if (bytes.size() < magic.size() || !std::equal(magic.begin(), magic.end(), bytes.begin())) {
        throw snapshot_error("not a streamcp snapshot (bad magic number)");
    }
    if (bytes.size() < header_size + trailer_size) {
        throw snapshot_error(
            fmt::format("truncated: {} bytes is shorter than the envelope", bytes.size()));
    }
    byte_reader header{bytes.first(header_size)};
    header.take(magic.size());
    const std::uint16_t found_version = header.u16();
    const std::uint16_t kind = header.u16();
    const std::uint64_t length = header.u64();
    if (found_version != version) {
        throw snapshot_error(
            fmt::format("format version {} is not supported (this build reads version {})",
                        found_version, version));
    }
    if (length != bytes.size() - header_size - trailer_size) {
        throw snapshot_error(fmt::format(
            "truncated or padded: the header announces {} payload bytes, {} are present", length,
            bytes.size() - header_size - trailer_size));
    }
    const auto body = bytes.first(bytes.size() - trailer_size);
    byte_reader trailer{bytes.last(trailer_size)};
    if (trailer.u32() != crc32c(body)) {
        throw snapshot_error("checksum mismatch: the snapshot is corrupted");
    }
    if (kind != static_cast<std::uint16_t>(expected)) {
        throw snapshot_error(fmt::format("holds a {}, not a {}", kind_name(kind),
                                         kind_name(static_cast<std::uint16_t>(expected))));
    }
    return body.subspan(header_size);
}

}  // namespace snapshot_format

STREAMCP_END_NAMESPACE
