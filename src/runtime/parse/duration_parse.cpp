// SPDX-License-Identifier: MIT
#include "duration_parse.hpp"

#include <cctype>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace streamcp::pipeline {
namespace {

using std::chrono::nanoseconds;

[[noreturn]] void bad_duration(std::string_view text, std::string_view why) {
    throw std::invalid_argument("duration '" + std::string(text) +
                                "' is invalid: " + std::string(why) +
                                " (examples: 30m, 2h, 120s, 500ms, 1h30m, PT30M)");
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Reads digits at `pos` as an integer part and an optional fraction scaled to `unit_ns`.
std::int64_t read_amount(std::string_view text, std::size_t& pos, std::int64_t unit_ns,
                         bool allow_fraction, std::string_view whole) {
    constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 10;
    std::int64_t integer = 0;
    const std::size_t start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
        if (integer > limit) {
            bad_duration(whole, "too large");
        }
        integer = integer * 10 + (text[pos] - '0');
        ++pos;
    }
    if (pos == start) {
        bad_duration(whole, "expected a number");
    }
    if (integer > std::numeric_limits<std::int64_t>::max() / unit_ns) {
        bad_duration(whole, "too large");
    }
    std::int64_t total = integer * unit_ns;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        if (!allow_fraction) {
            bad_duration(whole, "fractions are allowed only in ISO-8601 seconds");
        }
        ++pos;
        std::int64_t scale = unit_ns;
        const std::size_t fraction_start = pos;
        while (pos < text.size() && is_digit(text[pos])) {
            scale /= 10;  // digits below 1 ns are dropped: time is truncated to ticks anyway
            total += (text[pos] - '0') * scale;
            ++pos;
        }
        if (pos == fraction_start) {
            bad_duration(whole, "expected digits after the decimal point");
        }
    }
    return total;
}

nanoseconds parse_iso8601(std::string_view text) {
    std::size_t pos = 1;  // after 'P'
    std::int64_t total = 0;
    bool in_time = false;
    bool any = false;
    while (pos < text.size()) {
        if (text[pos] == 'T' || text[pos] == 't') {
            if (in_time) {
                bad_duration(text, "'T' appears twice");
            }
            in_time = true;
            ++pos;
            continue;
        }
        const std::size_t number_start = pos;
        // Parse the number once to find its unit, then again with the unit's scale.
        while (pos < text.size() && (is_digit(text[pos]) || text[pos] == '.' || text[pos] == ',')) {
            ++pos;
        }
        if (pos >= text.size()) {
            bad_duration(text, "a number has no unit");
        }
        const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text[pos])));
        std::int64_t unit_ns = 0;
        if (!in_time && unit == 'D') {
            unit_ns = 86'400'000'000'000;
        } else if (!in_time && unit == 'W') {
            unit_ns = 7 * 86'400'000'000'000;
        } else if (in_time && unit == 'H') {
            unit_ns = 3'600'000'000'000;
        } else if (in_time && unit == 'M') {
            unit_ns = 60'000'000'000;
        } else if (in_time && unit == 'S') {
            unit_ns = 1'000'000'000;
        } else {
            bad_duration(text, "years and months are not fixed durations; use D, H, M or S");
        }
        std::size_t number_pos = number_start;
        const std::int64_t amount =
            read_amount(text.substr(0, pos), number_pos, unit_ns, unit == 'S', text);
        if (amount > std::numeric_limits<std::int64_t>::max() - total) {
            bad_duration(text, "too large");
        }
        total += amount;
        any = true;
        ++pos;
    }
    if (!any) {
        bad_duration(text, "no amount");
    }
    return nanoseconds{total};
}

}  // namespace

nanoseconds parse_duration(std::string_view text) {
    if (text.empty()) {
        bad_duration(text, "empty");
    }
    if (text[0] == 'P' || text[0] == 'p') {
        return parse_iso8601(text);
    }
    std::size_t pos = 0;
    std::int64_t total = 0;
    while (pos < text.size()) {
        std::size_t unit_pos = pos;
        while (unit_pos < text.size() && is_digit(text[unit_pos])) {
            ++unit_pos;
        }
        std::size_t unit_end = unit_pos;
        while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) {
            ++unit_end;
        }
        const std::string_view unit = text.substr(unit_pos, unit_end - unit_pos);
        std::int64_t unit_ns = 0;
        if (unit == "d") {
            unit_ns = 86'400'000'000'000;
        } else if (unit == "h") {
            unit_ns = 3'600'000'000'000;
        } else if (unit == "m" || unit == "min") {
            unit_ns = 60'000'000'000;
        } else if (unit == "s") {
            unit_ns = 1'000'000'000;
        } else if (unit == "ms") {
            unit_ns = 1'000'000;
        } else if (unit == "us") {
            unit_ns = 1'000;
        } else if (unit == "ns") {
            unit_ns = 1;
        } else {
            bad_duration(text, unit.empty() ? "a number has no unit"
                                            : "unknown unit '" + std::string(unit) + "'");
        }
        const std::int64_t amount =
            read_amount(text.substr(0, unit_pos), pos, unit_ns, false, text);
        if (amount > std::numeric_limits<std::int64_t>::max() - total) {
            bad_duration(text, "too large");
        }
        total += amount;
        pos = unit_end;
    }
    return nanoseconds{total};
}

}  // namespace streamcp::pipeline
