// SPDX-License-Identifier: MIT
#include "start_position.hpp"

#include <charconv>
#include <string_view>

namespace streamcp::eventhubs_double {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

bool consume(std::string_view& text, std::string_view prefix) {
    if (!text.starts_with(prefix)) return false;
    text.remove_prefix(prefix.size());
    return true;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

std::optional<start_position> parse_selector(std::string_view expression) {
    std::string_view text = trim(expression);
    if (!consume(text, "amqp.annotation.x-opt-")) return std::nullopt;
    start_position position;
    if (consume(text, "offset")) {
        position.what = start_position::kind::offset;
    } else if (consume(text, "sequence-number")) {
        position.what = start_position::kind::sequence_number;
    } else if (consume(text, "enqueued-time")) {
        position.what = start_position::kind::enqueued_time;
    } else {
        return std::nullopt;
    }
    text = trim(text);
    if (consume(text, ">=")) {
        position.inclusive = true;
    } else if (!consume(text, ">")) {
        return std::nullopt;
    }
    text = trim(text);
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
        text = text.substr(1, text.size() - 2);
    }
    if (position.what == start_position::kind::offset && text == "@latest") {
        position.what = start_position::kind::latest;
        return position;
    }
    const std::optional<std::int64_t> value = parse_integer(text);
    if (!value) return std::nullopt;
    if (position.what == start_position::kind::offset && *value == -1) {
        position.what = start_position::kind::stream_start;
        return position;
    }
    position.value = *value;
    return position;
}

std::size_t first_index(const partition_log& log, const start_position& position) {
    const auto selected = [&](const stored_event& event) {
        std::int64_t key = 0;
        switch (position.what) {
            case start_position::kind::stream_start:
                return true;
            case start_position::kind::latest:
                return false;
            case start_position::kind::offset:
                key = static_cast<std::int64_t>(event.offset);
                break;
            case start_position::kind::sequence_number:
                key = event.sequence_number;
                break;
            case start_position::kind::enqueued_time:
                key = event.enqueued_ms;
                break;
        }
        return position.inclusive ? key >= position.value : key > position.value;
    };
    // Every key grows with the index, so the first match starts the selection.
    for (std::size_t index = 0; index < log.size(); ++index) {
        if (selected(log.at(index))) return index;
    }
    return log.size();
}

}  // namespace streamcp::eventhubs_double
