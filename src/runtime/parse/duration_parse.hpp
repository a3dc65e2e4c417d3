// SPDX-License-Identifier: MIT
// Header-only, so that the Python extension (built without the runtime) parses with this code.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace streamcp::pipeline {

namespace detail::text {

[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

[[nodiscard]] constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

[[nodiscard]] constexpr char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `text` without surrounding ASCII whitespace.
[[nodiscard]] constexpr std::string_view trimmed(std::string_view text) noexcept {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

inline constexpr std::int64_t ns_per_second = 1'000'000'000;
inline constexpr std::int64_t ns_per_day = 86'400 * ns_per_second;

/// Adds `number` (`12`, `1.5`, `0,25`, `.5`: all of it) times `unit_ns` to `total`, truncated
/// to whole nanoseconds exactly. Empty reason on success.
[[nodiscard]] inline std::string add_amount(std::string_view number, std::int64_t unit_ns,
                                            std::int64_t& total) {
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    std::int64_t whole = 0;
    std::size_t pos = 0;
    for (; pos < number.size() && is_digit(number[pos]); ++pos) {
        if (whole > (max - 9) / 10) {
            return "too large";
        }
        whole = whole * 10 + (number[pos] - '0');
    }
    std::string_view fraction;
    if (pos < number.size()) {
        fraction = number.substr(pos + 1);  // after the decimal mark
        if (fraction.empty()) {
            return "expected digits after the decimal mark";
        }
        if (fraction.find_first_of(".,") != std::string_view::npos) {
            return "expected a number";
        }
    } else if (pos == 0) {
        return "expected a number";
    }
    if (whole > max / unit_ns) {
        return "too large";
    }
    // floor(0.d1d2...dk * unit) by Horner's rule from the last digit: each step's floor
    // division is exact in integers (floor(floor(a) / 10) = floor(a / 10)), and no partial
    // sum exceeds 10 * unit.
    std::int64_t fraction_ns = 0;
    for (auto digit = fraction.rbegin(); digit != fraction.rend(); ++digit) {
        fraction_ns = ((*digit - '0') * unit_ns + fraction_ns) / 10;
    }
    const std::int64_t amount = whole * unit_ns;
    if (amount > max - fraction_ns || amount + fraction_ns > max - total) {
        return "too large";
    }
    total += amount + fraction_ns;
    return {};
}

/// The end of the number (digits and decimal marks) that starts at `pos`.
[[nodiscard]] constexpr std::size_t number_end(std::string_view text, std::size_t pos) noexcept {
    while (pos < text.size() && (is_digit(text[pos]) || text[pos] == '.' || text[pos] == ',')) {
        ++pos;
    }
    return pos;
}

/// The length of a compound unit at `pos` (0 when there is none) and its size in ns.
[[nodiscard]] constexpr std::size_t read_unit(std::string_view text, std::size_t pos,
                                              std::int64_t& unit_ns) noexcept {
    struct unit {
        std::string_view name;
        std::int64_t ns;
    };
    // Longest names first, so that `min` and `ms` win over `m`. Matched case-insensitively;
    // `µs` is written with the micro sign or the Greek mu (UTF-8).
    constexpr std::array<unit, 10> units{{
        {"min", 60 * ns_per_second},
        {"ms", 1'000'000},
        {"us", 1'000},
        {"\xC2\xB5s", 1'000},
        {"\xCE\xBCs", 1'000},
        {"ns", 1},
        {"d", ns_per_day},
        {"h", 3'600 * ns_per_second},
        {"m", 60 * ns_per_second},
        {"s", ns_per_second},
    }};
    for (const unit& u : units) {
        if (text.size() - pos < u.name.size()) {
            continue;
        }
        bool same = true;
        for (std::size_t i = 0; i < u.name.size() && same; ++i) {
            same = lower(text[pos + i]) == u.name[i];
        }
        // A letter right after the name makes another (unknown) unit: `30mx`, `2hours`.
        const std::size_t end = pos + u.name.size();
        const bool letter_follows =
            end < text.size() && lower(text[end]) >= 'a' && lower(text[end]) <= 'z';
        if (same && !letter_follows) {
            unit_ns = u.ns;
            return u.name.size();
        }
    }
    return 0;
}

[[nodiscard]] inline std::string read_iso_duration(std::string_view text, std::int64_t& out) {
    // P[nW][nD][T[nH][nM][nS]]: designators in this order, each at most once.
    constexpr std::string_view date_designators = "WD";
    constexpr std::string_view time_designators = "HMS";
    constexpr std::array<std::int64_t, 5> unit_ns{7 * ns_per_day, ns_per_day, 3'600 * ns_per_second,
                                                  60 * ns_per_second, ns_per_second};
    std::size_t pos = 1;              // after 'P'
    std::size_t next_designator = 0;  // index into "WDHMS": nothing before it may come again
    bool in_time = false;
    bool time_has_amount = false;
    bool any = false;
    std::int64_t total = 0;
    while (pos < text.size()) {
        if (lower(text[pos]) == 't') {
            if (in_time) {
                return "'T' appears twice";
            }
            in_time = true;
            next_designator = date_designators.size();
            ++pos;
            continue;
        }
        const std::size_t unit_pos = number_end(text, pos);
        if (unit_pos >= text.size()) {
            return "a number has no designator";
        }
        const char designator = static_cast<char>(lower(text[unit_pos]) - 'a' + 'A');
        const std::string_view allowed = in_time ? time_designators : date_designators;
        const std::size_t offset = in_time ? date_designators.size() : 0;
        const std::size_t at = allowed.find(designator);
        if (at == std::string_view::npos) {
            if (!in_time && (designator == 'Y' || designator == 'M')) {
                return "years and months are not fixed durations; use W, D, or T with H, M, S";
            }
            return in_time && designator == 'D'
                       ? "days come before 'T'"
                       : "unknown designator '" + std::string(1, text[unit_pos]) + "'";
        }
        if (at + offset < next_designator) {
            return "designators must appear once each, in the order W, D, T, H, M, S";
        }
        next_designator = at + offset + 1;
        if (std::string why =
                add_amount(text.substr(pos, unit_pos - pos), unit_ns[at + offset], total);
            !why.empty()) {
            return why;
        }
        any = true;
        time_has_amount = time_has_amount || in_time;
        pos = unit_pos + 1;
    }
    if (in_time && !time_has_amount) {
        return "'T' must be followed by an amount";
    }
    if (!any) {
        return "no amount";
    }
    out = total;
    return {};
}

}  // namespace detail::text

/// Reads a duration in the project's one grammar (docs/semantics.md#text-durations): one or
/// more `<number><unit>` parts (`30m`, `1h30m`, `1.5m`, `500ms`, units d h m min s ms us µs ns
/// in any case), or ISO-8601 `P[nW][nD][T[nH][nM][nS]]`; whitespace around it is ignored.
/// Returns why `text` is not a duration, or an empty string with the duration in `out`.
[[nodiscard]] inline std::string read_duration(std::string_view text,
                                               std::chrono::nanoseconds& out) {
    using namespace detail::text;
    text = trimmed(text);
    if (text.empty()) {
        return "empty";
    }
    if (text[0] == '-') {
        return "negative durations are not allowed";
    }
    std::int64_t total = 0;
    if (text[0] == 'P' || text[0] == 'p') {
        std::string why = read_iso_duration(text, total);
        if (why.empty()) {
            out = std::chrono::nanoseconds{total};
        }
        return why;
    }
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t unit_pos = number_end(text, pos);
        std::int64_t unit_ns = 0;
        const std::size_t unit_size = read_unit(text, unit_pos, unit_ns);
        if (unit_size == 0) {
            if (unit_pos == text.size()) {
                return unit_pos == pos ? "expected a number" : "a number has no unit";
            }
            std::size_t end = unit_pos;
            while (end < text.size() && !is_digit(text[end])) {
                ++end;
            }
            return "unknown unit '" + std::string(text.substr(unit_pos, end - unit_pos)) +
                   "' (allowed d, h, m, min, s, ms, us, µs, ns)";
        }
        if (std::string why = add_amount(text.substr(pos, unit_pos - pos), unit_ns, total);
            !why.empty()) {
            return why;
        }
        pos = unit_pos + unit_size;
    }
    out = std::chrono::nanoseconds{total};
    return {};
}

/// Parses a duration as the CLI, config files and the Python package write it
/// (docs/semantics.md#text-durations). Throws `std::invalid_argument` naming the text and why.
[[nodiscard]] inline std::chrono::nanoseconds parse_duration(std::string_view text) {
    std::chrono::nanoseconds out{};
    if (const std::string why = read_duration(text, out); !why.empty()) {
        throw std::invalid_argument("duration '" + std::string(text) + "' is invalid: " + why +
                                    " (examples: 30m, 2h, 1h30m, 1.5m, 500ms, PT30M)");
    }
    return out;
}

}  // namespace streamcp::pipeline
