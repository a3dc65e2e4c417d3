// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <variant>

#include "event_decoder.hpp"

namespace streamcp::pipeline {

/// The hash of a partition key in the engine's tables: every event is looked up by key in the
/// ordering stage and in the function, so the hash is on the per-event path. Eight bytes per
/// multiply (std::hash<std::string> costs about 150 instructions for a short key, this 20).
/// Not persisted anywhere: snapshots and checkpoints hold keys, never their hashes.
struct partition_key_hash {
    [[nodiscard]] std::size_t operator()(const partition_key& key) const noexcept {
        if (const auto* text = std::get_if<std::string>(&key)) {
            return of_bytes(text->data(), text->size());
        }
        if (const auto* integer = std::get_if<std::int64_t>(&key)) {
            return fold(static_cast<std::uint64_t>(*integer) ^ integer_seed, multiplier);
        }
        return 0;  // the NULL key
    }

  private:
    static constexpr std::uint64_t multiplier = 0x9E3779B97F4A7C15ULL;
    static constexpr std::uint64_t string_seed = 0xA0761D6478BD642FULL;
    static constexpr std::uint64_t integer_seed = 0xE7037ED1A0B428DBULL;

    /// A multiply, then the high half folded into the low: the word's bits reach every bit.
    [[nodiscard]] static std::uint64_t fold(std::uint64_t a, std::uint64_t b) noexcept {
        const std::uint64_t product = a * b;
        return product ^ (product >> 32U);
    }

    template <class Word>
    [[nodiscard]] static std::uint64_t load(const char* data) noexcept {
        Word word = 0;
        std::memcpy(&word, data, sizeof(Word));
        return word;
    }

    /// Whole words, then the last bytes as one overlapping load (the size is in the seed, so
    /// the overlap is harmless): no byte loop for any size.
    [[nodiscard]] static std::size_t of_bytes(const char* data, std::size_t size) noexcept {
        std::uint64_t h = string_seed ^ size;
        if (size > 8) {
            const char* const last = data + size - 8;
            for (; data < last; data += 8) {
                h = fold(h ^ load<std::uint64_t>(data), multiplier);
            }
            h = fold(h ^ load<std::uint64_t>(last), multiplier);
        } else if (size >= 4) {
            h = fold(h ^ (load<std::uint32_t>(data) << 32U) ^ load<std::uint32_t>(data + size - 4),
                     multiplier);
        } else if (size > 0) {
            const auto byte = [&](std::size_t i) {
                return static_cast<std::uint64_t>(static_cast<unsigned char>(data[i]));
            };
            h = fold(h ^ (byte(0) << 16U) ^ (byte(size / 2) << 8U) ^ byte(size - 1), multiplier);
        }
        return fold(fold(h, multiplier), string_seed);
    }
};

}  // namespace streamcp::pipeline
