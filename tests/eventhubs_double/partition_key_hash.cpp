// SPDX-License-Identifier: MIT
#include "partition_key_hash.hpp"

#include <bit>
#include <cstdlib>

namespace streamcp::eventhubs_double {
namespace {

struct lookup3_state {
    std::uint32_t a;
    std::uint32_t b;
    std::uint32_t c;

    // lookup3's mix(): reversible mixing of three 32-bit words.
    void mix() {
        a -= c;
        a ^= std::rotl(c, 4);
        c += b;
        b -= a;
        b ^= std::rotl(a, 6);
        a += c;
        c -= b;
        c ^= std::rotl(b, 8);
        b += a;
        a -= c;
        a ^= std::rotl(c, 16);
        c += b;
        b -= a;
        b ^= std::rotl(a, 19);
        a += c;
        c -= b;
        c ^= std::rotl(b, 4);
        b += a;
    }

    // lookup3's final(): the last avalanche, applied once after the tail bytes.
    void finish() {
        c ^= b;
        c -= std::rotl(b, 14);
        a ^= c;
        a -= std::rotl(c, 11);
        b ^= a;
        b -= std::rotl(a, 25);
        c ^= b;
        c -= std::rotl(b, 16);
        a ^= c;
        a -= std::rotl(c, 4);
        b ^= a;
        b -= std::rotl(a, 14);
        c ^= b;
        c -= std::rotl(b, 24);
    }
};

// Little-endian word made of up to four bytes (missing high bytes are zero).
std::uint32_t word(const unsigned char* bytes, std::size_t count) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < count; ++i) value |= std::uint32_t{bytes[i]} << (8 * i);
    return value;
}

}  // namespace

std::int16_t partition_key_hash_code(std::string_view key) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(key.data());
    std::size_t remaining = key.size();
    const std::uint32_t start = 0xdeadbeefU + static_cast<std::uint32_t>(remaining);
    lookup3_state state{start, start, start};
    while (remaining > 12) {
        state.a += word(bytes, 4);
        state.b += word(bytes + 4, 4);
        state.c += word(bytes + 8, 4);
        state.mix();
        bytes += 12;
        remaining -= 12;
    }
    if (remaining > 0) {  // the last 1..12 bytes, then the final avalanche; none: no avalanche
        state.a += word(bytes, remaining < 4 ? remaining : 4);
        if (remaining > 4) state.b += word(bytes + 4, remaining < 8 ? remaining - 4 : 4);
        if (remaining > 8) state.c += word(bytes + 8, remaining - 8);
        state.finish();
    }
    return static_cast<std::int16_t>(static_cast<std::uint16_t>((state.c ^ state.b) & 0xffffU));
}

std::size_t partition_for_key(std::string_view key, std::size_t partition_count) {
    const int hash_code = partition_key_hash_code(key);
    return static_cast<std::size_t>(std::abs(hash_code % static_cast<int>(partition_count)));
}

}  // namespace streamcp::eventhubs_double
