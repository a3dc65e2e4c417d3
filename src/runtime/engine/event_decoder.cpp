// SPDX-License-Identifier: MIT
#include "event_decoder.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
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

/// Whether the `size` bytes at `a` and `b` are equal. Member names are mostly short: two
/// overlapping word compares then do instead of a call to memcmp.
bool same_bytes(const char* a, const char* b, std::size_t size) noexcept {
    const auto load8 = [](const char* p) {
        std::uint64_t word = 0;
        std::memcpy(&word, p, sizeof word);
        return word;
    };
    const auto load4 = [](const char* p) {
        std::uint32_t word = 0;
        std::memcpy(&word, p, sizeof word);
        return word;
    };
    if (size > 16) {
        return std::memcmp(a, b, size) == 0;
    }
    if (size >= 8) {
        return load8(a) == load8(b) && load8(a + size - 8) == load8(b + size - 8);
    }
    if (size >= 4) {
        return load4(a) == load4(b) && load4(a + size - 4) == load4(b + size - 4);
    }
    for (std::size_t i = 0; i < size; ++i) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

reject_details reject(reject_reason reason, std::string detail) {
    return {reason, std::move(detail)};
}

/// The timestamp of a text that is not one of the fixed shapes (`read_fixed_iso8601` is tried
/// first, inline), or of an epoch number.
std::optional<reject_details> read_other_time(element field, const event_fields& fields,
                                              event_time& out) {
    const std::string& name = fields.timestamp.text;
    if (fields.time_format == timestamp_format::iso8601) {
        std::string_view text;
        if (field.get(text) != simdjson::SUCCESS) {
            return reject(reject_reason::bad_timestamp, name + " is not an ISO-8601 string");
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

/// `field`: null when absent.
std::optional<reject_details> read_value(const element* field, const event_fields& fields,
                                         std::optional<double>& out) {
    if (field == nullptr || field->is_null()) {
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

/// `field`: null when absent.
std::optional<reject_details> read_key(const element* field, const event_fields& fields,
                                       partition_key& out) {
    if (field == nullptr || field->is_null()) {
        out.emplace<std::monostate>();
        return std::nullopt;
    }
    std::string_view text;
    if (field->get(text) == simdjson::SUCCESS) {
        if (auto* existing = std::get_if<std::string>(&out)) {
            // Reuses the string's buffer: no allocation per event. Keys of one length (ids)
            // are common, and a plain copy then spares assign's general replace.
            if (existing->size() == text.size()) {
                std::memcpy(existing->data(), text.data(), text.size());
            } else {
                existing->assign(text);
            }
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
    const std::array<const field_path*, 4> paths = {&fields_.timestamp, &fields_.value,
                                                    &fields_.partition, &fields_.when};
    for (std::size_t f = 0; f < paths.size(); ++f) {
        if (!paths[f]->empty()) {
            ++wanted_fields_;
            names_.push_back({paths[f]->text, f});
            has_dotted_path_ = has_dotted_path_ || paths[f]->segments.size() > 1;
        }
    }
    for (const std::string& name : output_names_) {
        names_.push_back({name, paths.size()});
    }
    const auto bucket = [](std::size_t size) { return std::min(size, long_name + 1); };
    std::stable_sort(names_.begin(), names_.end(), [&](const member_name& a, const member_name& b) {
        return bucket(a.text.size()) < bucket(b.text.size());
    });
    for (std::size_t b = 0; b < by_length_.size(); ++b) {
        by_length_[b] = static_cast<std::size_t>(
            std::find_if(names_.begin(), names_.end(),
                         [&](const member_name& name) { return bucket(name.text.size()) >= b; }) -
            names_.begin());
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
    std::array<element, 4> top;  // timestamp, value, partition, when
    unsigned found_fields = 0;   // bit f: top[f] is set
    std::size_t member_count = 0;
    std::size_t found = 0;
    const std::size_t wanted = wanted_fields_;
    bool has_output_names = false;
    const auto end = members.end();
    for (auto member = members.begin(); member != end; ++member) {
        ++member_count;
        const std::string_view key = member.key();
        const std::size_t b = std::min(key.size(), long_name + 1);
        for (std::size_t i = by_length_[b]; i < by_length_[b + 1]; ++i) {
            const member_name& name = names_[i];
            if (name.text.size() != key.size() ||
                !same_bytes(name.text.data(), key.data(), key.size())) {
                continue;
            }
            if (name.target >= top.size()) {
                has_output_names = true;
            } else if ((found_fields & (1U << name.target)) == 0) {
                top[name.target] = member.value();
                found_fields |= 1U << name.target;
                ++found;
            }
        }
        if (found == wanted && (has_output_names || output_names_.empty())) {
            break;  // the rest of the members cannot matter
        }
    }
    event.has_output_names = has_output_names;
    if (has_dotted_path_) {
        const std::array<const field_path*, 4> paths = {&fields_.timestamp, &fields_.value,
                                                        &fields_.partition, &fields_.when};
        for (std::size_t f = 0; f < paths.size(); ++f) {
            if ((found_fields & (1U << f)) == 0 && paths[f]->segments.size() > 1) {
                if (const auto nested = find_field(members, *paths[f])) {  // a.b: nested
                    top[f] = *nested;
                    found_fields |= 1U << f;
                }
            }
        }
    }
    const auto field_at = [&](std::size_t f) {
        return (found_fields & (1U << f)) != 0 ? &top[f] : nullptr;
    };
    if ((found_fields & 1U) == 0 || top[0].is_null()) {
        return reject(reject_reason::missing_timestamp, fields_.timestamp.text + " is missing");
    }
    std::string_view time_text;
    if (fields_.time_format == timestamp_format::iso8601 &&
        top[0].get(time_text) == simdjson::SUCCESS) {
        if (const auto fixed = detail::text::read_fixed_iso8601(time_text, time_memo_)) {
            event.time = *fixed;
        } else if (auto bad = read_other_time(top[0], fields_, event.time)) {
            return bad;
        }
    } else if (auto bad = read_other_time(top[0], fields_, event.time)) {
        return bad;
    }
    if (auto bad = read_value(field_at(1), fields_, event.value)) {
        return bad;
    }
    if (fields_.partition.empty()) {
        event.key.emplace<std::monostate>();
    } else if (auto bad = read_key(field_at(2), fields_, event.key)) {
        return bad;
    }
    if (fields_.when.empty()) {
        event.when = true;
    } else {
        bool flag = false;
        event.when = field_at(3) != nullptr && top[3].get(flag) == simdjson::SUCCESS && flag;
    }
    event.empty_object = member_count == 0;
    return std::nullopt;
}

}  // namespace streamcp::pipeline
