// SPDX-License-Identifier: MIT
#include "line_source.hpp"

#include <stdexcept>

namespace streamcp::pipeline {

std::vector<std::byte> line_source::save_position() const {
    std::vector<std::byte> bytes(sizeof(std::uint64_t));
    std::uint64_t value = position();
    for (std::byte& byte : bytes) {  // little-endian, like every other checkpoint field
        byte = static_cast<std::byte>(value & 0xFFU);
        value >>= 8U;
    }
    return bytes;
}

void line_source::restore_position(std::span<const std::byte> bytes) {
    if (bytes.size() != sizeof(std::uint64_t)) {
        throw std::runtime_error("checkpoint: the input position of " + name() + " has " +
                                 std::to_string(bytes.size()) + " bytes, expected 8");
    }
    std::uint64_t value = 0;
    for (std::size_t i = bytes.size(); i-- > 0;) {
        value = (value << 8U) | std::to_integer<std::uint64_t>(bytes[i]);
    }
    seek(value);
}

std::size_t line_source::read_at(std::uint64_t /*offset*/, std::span<char> /*into*/) const {
    throw std::runtime_error("input " + name() + " cannot be read at an offset");
}

}  // namespace streamcp::pipeline
