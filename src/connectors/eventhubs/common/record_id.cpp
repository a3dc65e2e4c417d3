// SPDX-License-Identifier: MIT
#include "record_id.hpp"

#include <array>

#include <openssl/sha.h>

namespace streamcp::pipeline {

std::string record_id(std::string_view line) {
    if (!line.empty() && line.back() == '\n') {
        line.remove_suffix(1);
    }
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(line.data()), line.size(), digest.data());
    constexpr std::string_view hex_digits = "0123456789abcdef";
    constexpr std::size_t id_bytes = 16;
    std::string id(2 * id_bytes, '0');
    for (std::size_t i = 0; i < id_bytes; ++i) {
        id[2 * i] = hex_digits[digest[i] >> 4U];
        id[2 * i + 1] = hex_digits[digest[i] & 0x0FU];
    }
    return id;
}

}  // namespace streamcp::pipeline
