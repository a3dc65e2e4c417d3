// SPDX-License-Identifier: MIT
#include "event_batch.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>

#include <proton/codec.h>
#include <proton/error.hpp>
#include <proton/message.hpp>
#include <proton/symbol.hpp>
#include <proton/value.hpp>

#include "event_message.hpp"

namespace streamcp::eventhubs_double {
namespace {

// AMQP 1.0 message section descriptors (part 3, section 3.2).
constexpr std::uint64_t first_section_code = 0x70;  // header
constexpr std::uint64_t data_section_code = 0x75;
constexpr std::uint64_t sequence_section_code = 0x76;
constexpr std::uint64_t value_section_code = 0x77;
constexpr std::uint64_t last_section_code = 0x78;  // footer

struct section {
    std::uint64_t code = 0;
    std::string_view bytes;  // the whole encoded section
    std::string_view data;   // data sections: the binary payload
};

[[nodiscard]] bool is_body(std::uint64_t code) {
    return code == data_section_code || code == sequence_section_code || code == value_section_code;
}

[[nodiscard]] std::size_t body_count(const std::vector<section>& sections) {
    return static_cast<std::size_t>(
        std::ranges::count_if(sections, [](const section& part) { return is_body(part.code); }));
}

// Splits encoded bytes into described sections; nullopt (and `why`) when they are not that.
std::optional<std::vector<section>> read_sections(std::string_view encoded, std::string& why) {
    const std::unique_ptr<pn_data_t, decltype(&pn_data_free)> data(pn_data(0), &pn_data_free);
    std::vector<section> sections;
    while (!encoded.empty()) {
        pn_data_clear(data.get());
        const ssize_t used = pn_data_decode(data.get(), encoded.data(), encoded.size());
        if (used <= 0) {
            why = "section " + std::to_string(sections.size()) + " does not decode";
            return std::nullopt;
        }
        pn_data_rewind(data.get());
        pn_data_next(data.get());
        section current;
        current.bytes = encoded.substr(0, static_cast<std::size_t>(used));
        if (pn_data_type(data.get()) == PN_DESCRIBED) {
            pn_data_enter(data.get());
            pn_data_next(data.get());
            if (pn_data_type(data.get()) == PN_ULONG) current.code = pn_data_get_ulong(data.get());
            pn_data_next(data.get());
            if (current.code == data_section_code && pn_data_type(data.get()) == PN_BINARY) {
                // The payload ends the section; pn_data's own copy dies with the next decode.
                const std::size_t size = pn_data_get_binary(data.get()).size;
                current.data = current.bytes.substr(current.bytes.size() - size);
            }
        }
        if (current.code < first_section_code || current.code > last_section_code) {
            why = "section " + std::to_string(sections.size()) + " is not a message section";
            return std::nullopt;
        }
        sections.push_back(current);
        encoded.remove_prefix(static_cast<std::size_t>(used));
    }
    return sections;
}

// An encoded AMQP message starts with a described section: 0x00, smallulong 0x53, 0x70..0x78.
[[nodiscard]] bool starts_like_message(std::string_view bytes) {
    return bytes.size() >= 3 && bytes[0] == '\0' && bytes[1] == '\x53' &&
           static_cast<unsigned char>(bytes[2]) >= first_section_code &&
           static_cast<unsigned char>(bytes[2]) <= last_section_code;
}

proton::message decode_message(std::string_view encoded) {
    proton::message message;
    message.decode(std::vector<char>(encoded.begin(), encoded.end()));
    return message;
}

sent_events refuse(std::string condition, std::string description) {
    sent_events refused;
    refused.error_condition = std::move(condition);
    refused.error_description = std::move(description);
    return refused;
}

}  // namespace

sent_events read_sent_message(std::string_view encoded) {
    std::string why;
    const std::optional<std::vector<section>> sections = read_sections(encoded, why);
    if (!sections) return refuse("amqp:decode-error", "message: " + why);
    std::vector<section> data_sections;
    for (const section& part : *sections) {
        if (part.code == data_section_code) data_sections.push_back(part);
    }
    const std::size_t bodies = body_count(*sections);
    const bool batch = !data_sections.empty() && starts_like_message(data_sections.front().data);
    if (!batch && bodies != 1) {
        return refuse("amqp:not-implemented",
                      "a message with " + std::to_string(bodies) +
                          " body sections; send one event per message, or a batch whose data "
                          "sections are encoded messages (format 0x80013700)");
    }
    proton::message outer;
    try {
        outer = decode_message(encoded);
    } catch (const proton::error& error) {
        return refuse("amqp:decode-error", std::string("message: ") + error.what());
    }
    sent_events result;
    result.batch = batch;
    if (!batch) {
        std::optional<stored_event> event = from_sent_message(outer, why);
        if (!event) return refuse("amqp:decode-error", why);
        result.events.push_back(std::move(*event));
        return result;
    }
    std::optional<stored_event> outer_event = from_sent_message(outer, why);
    const std::string batch_key = outer_event ? outer_event->partition_key : std::string();
    for (std::size_t index = 0; index < data_sections.size(); ++index) {
        const std::string which = "batch event " + std::to_string(index) + ": ";
        const std::string_view inner_bytes = data_sections[index].data;
        const std::optional<std::vector<section>> inner_sections = read_sections(inner_bytes, why);
        if (!starts_like_message(inner_bytes) || !inner_sections) {
            return refuse("amqp:decode-error", which + "not an encoded AMQP message" +
                                                   (inner_sections ? "" : " (" + why + ")"));
        }
        const std::size_t inner_bodies = body_count(*inner_sections);
        if (inner_bodies != 1) {
            return refuse("amqp:decode-error",
                          which + std::to_string(inner_bodies) + " body sections, not 1");
        }
        std::optional<stored_event> event;
        try {
            event = from_sent_message(decode_message(inner_bytes), why);
        } catch (const proton::error& error) {
            why = error.what();
        }
        if (!event) return refuse("amqp:decode-error", which + why);
        if (!batch_key.empty()) event->partition_key = batch_key;
        result.events.push_back(std::move(*event));
    }
    return result;
}

}  // namespace streamcp::eventhubs_double
