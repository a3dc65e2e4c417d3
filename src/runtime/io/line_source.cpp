// SPDX-License-Identifier: MIT
#include "line_source.hpp"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "streamcp/state/byte_codec.hpp"

namespace streamcp::pipeline {

// The position is one little-endian u64, in the snapshot byte codec every checkpoint field uses.
std::vector<std::byte> line_source::save_position() const {
    byte_writer w;
    w.u64(position());
    return std::move(w.bytes());
}

void line_source::restore_position(std::span<const std::byte> bytes) {
    if (bytes.size() != sizeof(std::uint64_t)) {
        throw std::runtime_error(fmt::format(
            "checkpoint: the input position of {} has {} bytes, expected 8", name(), bytes.size()));
    }
    byte_reader r{bytes};
    seek(r.u64());
}

std::size_t line_source::read_at(std::uint64_t /*offset*/, std::span<char> /*into*/) const {
    throw std::runtime_error("input " + name() + " cannot be read at an offset");
}

}  // namespace streamcp::pipeline
