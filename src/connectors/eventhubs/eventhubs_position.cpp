// SPDX-License-Identifier: MIT
#include "eventhubs_position.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>

#include <proton/codec/encoder.hpp>
#include <proton/symbol.hpp>
#include <proton/value.hpp>

#include <streamcp/state/byte_codec.hpp>

#include "timestamp_parse.hpp"

namespace streamcp::adapters {
namespace {

// Distinguishes these bytes from a file source's 8-byte position and from later layouts.
constexpr std::uint32_t positions_tag = 0x31504845U;  // "EHP1", little-endian

constexpr std::string_view selector_key = "apache.org:selector-filter:string";

}  // namespace

std::uint32_t partition_number(const std::string& id, std::size_t index) {
    std::uint32_t number = 0;
    const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), number);
    return error == std::errc{} && end == id.data() + id.size() ? number
                                                                : static_cast<std::uint32_t>(index);
}

std::vector<std::byte> encode_positions(const std::vector<partition_position>& all) {
    byte_writer out;
    out.u32(positions_tag);
    out.u32(static_cast<std::uint32_t>(all.size()));
    for (const partition_position& position : all) {
        out.str(position.partition_id);
        out.str(position.offset);
        out.i64(position.sequence);
        out.i64(position.enqueued_ms);
    }
    return out.take();
}

std::vector<partition_position> decode_positions(std::span<const std::byte> bytes,
                                                 const std::string& source) {
    try {
        byte_reader in(bytes);
        if (in.u32() != positions_tag) {
            throw std::runtime_error("not Event Hubs partition positions");
        }
        const std::uint32_t count = in.u32();
        std::vector<partition_position> all;
        for (std::uint32_t i = 0; i < count; ++i) {
            partition_position position;
            position.partition_id = in.str();
            position.offset = in.str();
            position.sequence = in.i64();
            position.enqueued_ms = in.i64();
            all.push_back(std::move(position));
        }
        if (in.remaining() != 0) {
            throw std::runtime_error(std::to_string(in.remaining()) + " bytes too many");
        }
        return all;
    } catch (const std::exception& error) {
        throw std::runtime_error("checkpoint: the input position of " + source +
                                 " cannot be read (" + error.what() +
                                 "); was the checkpoint written for another input?");
    }
}

start_position parse_start_position(std::string_view text, const std::string& setting) {
    if (text == "earliest") {
        return {start_position::kind::earliest, 0};
    }
    if (text == "latest") {
        return {start_position::kind::latest, 0};
    }
    if (const auto time = pipeline::parse_iso8601_time(text)) {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(time->time_since_epoch());
        return {start_position::kind::enqueued_time, ms.count()};
    }
    throw std::invalid_argument("config: " + setting + " '" + std::string(text) +
                                "' is not 'earliest', 'latest' or an ISO-8601 time");
}

std::string selector_expression(const partition_position& position, const start_position& start) {
    if (!position.offset.empty()) {
        return "amqp.annotation.x-opt-offset > '" + position.offset + "'";
    }
    switch (start.where) {
        case start_position::kind::latest:
            return "amqp.annotation.x-opt-offset > '@latest'";
        case start_position::kind::enqueued_time:
            // Inclusive: an event enqueued exactly at the start time belongs to the run.
            return "amqp.annotation.x-opt-enqueued-time >= '" + std::to_string(start.enqueued_ms) +
                   "'";
        case start_position::kind::earliest:
            break;
    }
    return "amqp.annotation.x-opt-offset > '-1'";
}

proton::source::filter_map selector_filter(const std::string& expression) {
    const proton::symbol key{std::string(selector_key)};
    proton::value described;
    proton::codec::encoder encoder(described);
    encoder << proton::codec::start::described() << key << expression << proton::codec::finish();
    proton::source::filter_map filters;
    filters.put(key, described);
    return filters;
}

}  // namespace streamcp::adapters
