// SPDX-License-Identifier: MIT
#include "eventhubs_metadata.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <map>

#include <proton/annotation_key.hpp>
#include <proton/codec/map.hpp>
#include <proton/message_id.hpp>
#include <proton/scalar.hpp>
#include <proton/symbol.hpp>
#include <proton/timestamp.hpp>
#include <proton/value.hpp>

#include "json_text.hpp"

namespace streamcp::adapters {
namespace {

std::optional<std::string> text_of(const proton::value& value) {
    switch (value.type()) {
        case proton::STRING:
            return proton::get<std::string>(value);
        case proton::SYMBOL:
            return std::string(proton::get<proton::symbol>(value));
        case proton::NULL_TYPE:
            return std::nullopt;
        default:
            return proton::to_string(value);
    }
}

std::optional<std::int64_t> millis_of(const proton::value& value) {
    if (value.type() == proton::TIMESTAMP) {
        return proton::get<proton::timestamp>(value).milliseconds();
    }
    try {
        return proton::coerce<std::int64_t>(value);
    } catch (const proton::conversion_error&) {
        return std::nullopt;
    }
}

std::optional<std::string> id_text(const proton::message_id& id) {
    if (id.empty()) {
        return std::nullopt;
    }
    if (id.type() == proton::STRING) {
        return proton::get<std::string>(id);
    }
    return proton::to_string(id);
}

void append_optional_string(std::string& out, const std::optional<std::string>& text) {
    if (text) {
        pipeline::append_json_string(out, *text);
    } else {
        out += "null";
    }
}

bool all_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

void read_event_annotations(const proton::message& message, const std::string& partition_id,
                            event_metadata& metadata, partition_position& position) {
    std::map<proton::annotation_key, proton::value> annotations;
    proton::get(message.message_annotations().value(), annotations);
    const auto find = [&annotations](const char* key) -> const proton::value* {
        const auto found = annotations.find(proton::annotation_key(proton::symbol(key)));
        return found == annotations.end() ? nullptr : &found->second;
    };
    metadata = event_metadata{};
    metadata.partition_id = partition_id;
    position.partition_id = partition_id;
    if (const auto* value = find("x-opt-enqueued-time")) {
        metadata.enqueued_ms = millis_of(*value);
        position.enqueued_ms = metadata.enqueued_ms.value_or(0);
    }
    if (const auto* value = find("x-opt-offset")) {
        position.offset = text_of(*value).value_or("");
    }
    if (const auto* value = find("x-opt-sequence-number")) {
        position.sequence = millis_of(*value).value_or(-1);
    }
    if (const auto* value = find("iothub-connection-device-id")) {
        metadata.iothub = true;
        metadata.device_id = text_of(*value);
        metadata.message_id = id_text(message.id());
        metadata.correlation_id = id_text(message.correlation_id());
        if (const auto* generation = find("iothub-connection-auth-generation-id")) {
            metadata.generation_id = text_of(*generation);
        }
        if (const auto* enqueued = find("iothub-enqueuedtime")) {
            metadata.iothub_enqueued_ms = millis_of(*enqueued);
        }
    }
}

std::string format_asa_time(std::int64_t epoch_ms) {
    using namespace std::chrono;
    const sys_time<milliseconds> time{milliseconds(epoch_ms)};
    const auto day = floor<days>(time);
    const year_month_day date{day};
    const hh_mm_ss clock{time - day};
    std::array<char, 40> text{};
    std::snprintf(text.data(), text.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03d0000Z",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()),
                  static_cast<int>(clock.subseconds().count()));
    return text.data();
}

void append_with_metadata(std::string& out, std::string_view body, const event_metadata& metadata) {
    const std::string_view trimmed = pipeline::trim_json_whitespace(body);
    if (trimmed.size() < 2 || trimmed.front() != '{' || trimmed.back() != '}') {
        out.append(body);
        return;
    }
    const std::string_view inside =
        pipeline::trim_json_whitespace(trimmed.substr(1, trimmed.size() - 2));
    out.append(trimmed.substr(0, trimmed.size() - 1));
    if (!inside.empty()) {
        out += ',';
    }
    out += "\"EventEnqueuedUtcTime\":";
    if (metadata.enqueued_ms) {
        out += '"';
        out += format_asa_time(*metadata.enqueued_ms);
        out += '"';
    } else {
        out += "null";
    }
    out += ",\"PartitionId\":";
    if (all_digits(metadata.partition_id)) {
        out += metadata.partition_id;
    } else {
        pipeline::append_json_string(out, metadata.partition_id);
    }
    if (metadata.iothub) {
        out += R"(,"IoTHub":{"MessageId":)";
        append_optional_string(out, metadata.message_id);
        out += ",\"CorrelationId\":";
        append_optional_string(out, metadata.correlation_id);
        out += ",\"ConnectionDeviceId\":";
        append_optional_string(out, metadata.device_id);
        out += ",\"ConnectionDeviceGenerationId\":";
        append_optional_string(out, metadata.generation_id);
        out += ",\"EnqueuedTime\":";
        if (metadata.iothub_enqueued_ms) {
            out += '"';
            out += format_asa_time(*metadata.iothub_enqueued_ms);
            out += '"';
        } else {
            out += "null";
        }
        out += '}';
    }
    out += '}';
}

}  // namespace streamcp::adapters
