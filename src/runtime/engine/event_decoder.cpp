// SPDX-License-Identifier: MIT
#include "event_decoder.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include <streamcp/detail/validate.hpp>

namespace streamcp::pipeline {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

/// The field's element, or empty when it (or an object on its path) is absent.
std::optional<element> find_field(object root, const field_path& path) {
    element found;
    if (root.at_key(path.text).get(found) == simdjson::SUCCESS) {
        return found;
    }
    if (path.segments.size() < 2) {
        return std::nullopt;
    }
    object current = root;
    for (std::size_t i = 0; i < path.segments.size(); ++i) {
        if (current.at_key(path.segments[i]).get(found) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        if (i + 1 < path.segments.size() && found.get(current) != simdjson::SUCCESS) {
            return std::nullopt;
        }
    }
    return found;
}

/// Whether `token` (a JSON number) is an integer beyond int64 and uint64.
bool too_big_for_an_integer(std::string_view token) {
    if (token.find_first_of(".eE") != std::string_view::npos) {
        return false;
    }
    const char* end = token.data() + token.size();
    std::int64_t signed_value = 0;
    std::uint64_t unsigned_value = 0;
    const bool fits = token.starts_with('-')
                          ? std::from_chars(token.data(), end, signed_value).ec == std::errc{}
                          : std::from_chars(token.data(), end, unsigned_value).ec == std::errc{};
    return !fits;
}

/// `line` with `e0` after every integer too big for 64 bits, which makes it a floating-point
/// number of the same value: JSON sets no limit, and 100000000000000000000 must read as 1e20
/// does. False when the line holds none.
bool widen_big_integers(std::string_view line, std::string& out) {
    out.clear();
    bool widened = false;
    bool in_string = false;
    for (std::size_t i = 0; i < line.size();) {
        const char c = line[i];
        if (in_string) {
            out += c;
            if (c == '\\' && i + 1 < line.size()) {  // an escaped character, '"' included
                out += line[i + 1];
                i += 2;
                continue;
            }
            in_string = c != '"';
            ++i;
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            const std::size_t end = line.find_first_not_of("0123456789+-.eE", i);
            const std::string_view token = line.substr(i, end - i);
            out.append(token);
            if (too_big_for_an_integer(token)) {
                out.append("e0");
                widened = true;
            }
            i += token.size();
            continue;
        }
        in_string = c == '"';
        out += c;
        ++i;
    }
    return widened;
}

/// Whether an ISO-8601 text that did not parse has second 60 (hh:mm:60), to say so.
bool is_leap_second(std::string_view text) {
    const std::size_t t = text.find_first_of("Tt ");
    return t != std::string_view::npos && text.size() >= t + 9 && text[t + 3] == ':' &&
           text[t + 6] == ':' && text.substr(t + 7, 2) == "60";
}

reject_details reject(reject_reason reason, std::string detail) {
    return {reason, std::move(detail)};
}

std::optional<reject_details> read_time(element field, const event_fields& fields,
                                        event_time& out) {
    const std::string& name = fields.timestamp.text;
    if (fields.time_format == timestamp_format::iso8601) {
        std::string_view text;
        if (field.get(text) != simdjson::SUCCESS) {
            return reject(reject_reason::bad_timestamp, name + " is not an ISO-8601 string");
        }
        if (const auto fixed = detail::text::read_fixed_iso8601(text)) {
            out = *fixed;
            return std::nullopt;
        }
        const std::string_view why = read_iso8601_time(text, out);
        if (why == detail::text::time_out_of_range_why) {
            return reject(reject_reason::time_out_of_range,
                          name + " '" + std::string(text) + "' is " + std::string(why));
        }
        if (!why.empty()) {
            return reject(reject_reason::bad_timestamp,
                          name + " '" + std::string(text) + "' is not an ISO-8601 date-time" +
                              (is_leap_second(text) ? ": second 60 is a leap second, which "
                                                      "event times cannot hold"
                                                    : ""));
        }
        return std::nullopt;
    }
    double real = 0;
    std::int64_t integer = 0;
    std::string_view text;
    std::optional<event_time> time;
    if (field.get(integer) == simdjson::SUCCESS) {
        time = epoch_to_time(integer, fields.time_format);
    } else if (field.get(real) == simdjson::SUCCESS) {
        time = epoch_to_time(real, fields.time_format);
    } else if (field.get(text) == simdjson::SUCCESS) {
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), real);
        if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(real)) {
            return reject(reject_reason::bad_timestamp, name + " is not a usable epoch time");
        }
        time = epoch_to_time(real, fields.time_format);
    } else {
        return reject(reject_reason::bad_timestamp, name + " is not an epoch number");
    }
    if (!time) {  // a finite number: JSON holds no infinities
        return reject(reject_reason::time_out_of_range,
                      name +
                          " is out of range: epoch times from 0001-01-01T00:00:00Z to "
                          "9999-12-31T23:59:59.9999999Z are allowed");
    }
    out = *time;
    return std::nullopt;
}

std::optional<reject_details> read_value(std::optional<element> field, const event_fields& fields,
                                         std::optional<double>& out) {
    if (!field || field->is_null()) {
        out.reset();  // ASA reads a missing property as NULL
        return std::nullopt;
    }
    double value = 0;
    if (field->get(value) != simdjson::SUCCESS) {
        return reject(reject_reason::bad_value, fields.value.text + " is not a number");
    }
    if (!std::isfinite(value) || std::abs(value) >= streamcp::detail::float32_overflow_bound) {
        return reject(reject_reason::value_out_of_range,
                      fields.value.text + " is beyond float32's range (|value| <= 3.4028235e38)");
    }
    out = value;
    return std::nullopt;
}

std::optional<reject_details> read_key(std::optional<element> field, const event_fields& fields,
                                       partition_key& out) {
    if (!field || field->is_null()) {
        out.emplace<std::monostate>();
        return std::nullopt;
    }
    std::string_view text;
    if (field->get(text) == simdjson::SUCCESS) {
        if (auto* existing = std::get_if<std::string>(&out)) {
            existing->assign(text);  // reuses the string's buffer: no allocation per event
        } else {
            out.emplace<std::string>(text);
        }
        return std::nullopt;
    }
    std::int64_t integer = 0;
    if (field->get(integer) == simdjson::SUCCESS) {
        out.emplace<std::int64_t>(integer);
        return std::nullopt;
    }
    return reject(reject_reason::bad_partition_key,
                  fields.partition.text + " is not a string, an integer within int64 or null");
}

}  // namespace

field_path::field_path(std::string_view dotted) : text(dotted) {
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = dotted.find('.', start);
        segments.emplace_back(dotted.substr(start, dot - start));
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
}

std::string_view field_path::output_name() const noexcept {
    return segments.empty() ? std::string_view{text} : std::string_view{segments.back()};
}

event_decoder::event_decoder(event_fields fields, std::vector<std::string> output_names)
    : fields_(std::move(fields)), output_names_(std::move(output_names)) {
    for (const field_path* path :
         {&fields_.timestamp, &fields_.value, &fields_.partition, &fields_.when}) {
        wanted_fields_ += path->empty() ? 0U : 1U;
    }
}

std::optional<reject_details> event_decoder::decode(std::string_view line, decoded_event& event) {
    element root;
    if (const auto error = parser_.parse(line.data(), line.size(), false).get(root);
        error != simdjson::SUCCESS) {
        // simdjson refuses integers beyond 64 bits; the raw line is still what is written out.
        if (error != simdjson::NUMBER_ERROR || !widen_big_integers(line, widened_) ||
            parser_.parse(widened_).get(root) != simdjson::SUCCESS) {
            return reject(reject_reason::malformed_json, simdjson::error_message(error));
        }
    }
    object members;
    if (root.get(members) != simdjson::SUCCESS) {
        return reject(reject_reason::not_an_object, "the line is JSON but not an object");
    }
    // One pass over the members finds the top-level fields and the output names (each the
    // first member of its name, as at_key finds it) instead of a scan per name.
    std::array<std::optional<element>, 4> top;  // timestamp, value, partition, when
    const std::array<const field_path*, 4> paths = {&fields_.timestamp, &fields_.value,
                                                    &fields_.partition, &fields_.when};
    std::size_t member_count = 0;
    std::size_t found = 0;
    const std::size_t wanted = wanted_fields_;
    event.has_output_names = false;
    for (const auto member : members) {
        ++member_count;
        for (std::size_t f = 0; f < paths.size(); ++f) {
            if (!top[f] && !paths[f]->empty() && member.key == paths[f]->text) {
                top[f] = member.value;
                ++found;
            }
        }
        for (const std::string& name : output_names_) {
            event.has_output_names = event.has_output_names || member.key == name;
        }
        if (found == wanted && output_names_.empty()) {
            break;  // the rest of the members cannot matter
        }
    }
    for (std::size_t f = 0; f < paths.size(); ++f) {
        if (!top[f] && paths[f]->segments.size() > 1) {
            top[f] = find_field(members, *paths[f]);  // a.b: nested
        }
    }
    const std::optional<element>& time_field = top[0];
    if (!time_field || time_field->is_null()) {
        return reject(reject_reason::missing_timestamp, fields_.timestamp.text + " is missing");
    }
    if (auto bad = read_time(*time_field, fields_, event.time)) {
        return bad;
    }
    if (auto bad = read_value(top[1], fields_, event.value)) {
        return bad;
    }
    if (fields_.partition.empty()) {
        event.key.emplace<std::monostate>();
    } else if (auto bad = read_key(top[2], fields_, event.key)) {
        return bad;
    }
    if (fields_.when.empty()) {
        event.when = true;
    } else {
        bool flag = false;
        event.when = top[3] && top[3]->get(flag) == simdjson::SUCCESS && flag;
    }
    event.empty_object = member_count == 0;
    return std::nullopt;
}

}  // namespace streamcp::pipeline
