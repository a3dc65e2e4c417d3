// SPDX-License-Identifier: MIT
// Header-only, so that the Python extension (built without the runtime) parses with this code.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

#include <streamcp/function/event_time.hpp>

#include "duration_parse.hpp"

namespace streamcp::pipeline {

namespace detail::text {

inline constexpr std::int64_t ns_per_tick = 100;
inline constexpr std::int64_t ticks_per_second = ns_per_second / ns_per_tick;

/// Reads exactly `count` digits at `pos`; false when any is missing.
[[nodiscard]] constexpr bool read_digits(std::string_view text, std::size_t& pos, int count,
                                         int& out) noexcept {
    if (pos + static_cast<std::size_t>(count) > text.size()) {
        return false;
    }
    int value = 0;
    for (int i = 0; i < count; ++i) {
        const char c = text[pos++];
        if (!is_digit(c)) {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

[[nodiscard]] constexpr bool skip(std::string_view text, std::size_t& pos, char c) noexcept {
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

/// Reads a UTC offset (`Z`, `+hh:mm`, `+hhmm`, `+hh`, or nothing) in minutes.
[[nodiscard]] constexpr std::string_view read_offset(std::string_view text, std::size_t& pos,
                                                     int& minutes) noexcept {
    minutes = 0;
    if (pos == text.size()) {
        return {};  // no offset: UTC, as ASA reads it
    }
    if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
        return {};
    }
    if (text[pos] != '+' && text[pos] != '-') {
        return "unexpected text after the time";
    }
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int hours = 0;
    int mins = 0;
    if (!read_digits(text, pos, 2, hours)) {
        return "the UTC offset must be Z, +hh:mm, +hhmm or +hh";
    }
    if (pos < text.size()) {
        (void)skip(text, pos, ':');
        if (!read_digits(text, pos, 2, mins)) {
            return "the UTC offset must be Z, +hh:mm, +hhmm or +hh";
        }
    }
    if (hours > 23 || mins > 59) {
        return "the UTC offset is out of range";
    }
    minutes = sign * (hours * 60 + mins);
    return {};
}

/// Why an instant is refused when it lies outside .NET's range (decoders compare against it to
/// give such events their own reject reason).
inline constexpr std::string_view time_out_of_range_why =
    "out of range: instants from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.9999999Z are allowed";

/// The instant `second_of_day` (plus `fraction_ns`, truncated to whole ticks) into `day` at a
/// UTC offset, or why not.
[[nodiscard]] constexpr std::string_view to_instant(std::chrono::sys_days day,
                                                    std::int64_t second_of_day,
                                                    std::int64_t fraction_ns, int offset_minutes,
                                                    event_time& out) noexcept {
    // Years 0000..9999 are about ±2.5e11 s from 1970: in ticks well inside int64.
    const std::int64_t seconds = std::int64_t{day.time_since_epoch().count()} * 86'400 +
                                 second_of_day - std::int64_t{offset_minutes} * 60;
    const event_time instant{tick_duration{seconds * ticks_per_second + fraction_ns / ns_per_tick}};
    if (!in_event_time_range(instant)) {
        return time_out_of_range_why;
    }
    out = instant;
    return {};
}

/// Two ASCII digits at `p` as a number, or -1.
[[nodiscard]] constexpr int two_digits(const char* p) noexcept {
    const unsigned hi = static_cast<unsigned char>(p[0]) - unsigned{'0'};
    const unsigned lo = static_cast<unsigned char>(p[1]) - unsigned{'0'};
    return hi <= 9 && lo <= 9 ? static_cast<int>(hi * 10 + lo) : -1;
}

/// What `read_fixed_iso8601` remembers between calls. A stream's timestamps share their date
/// for hours and their minute for many events: text equal to the last one but for the seconds
/// then costs three word compares, and a new minute of the same date no calendar arithmetic.
struct fixed_iso8601_memo {
    std::size_t size = 0;              ///< of the last text that parsed; 0: none yet
    std::uint64_t head = 0;            ///< its bytes 0-7
    std::uint64_t middle = 0;          ///< its bytes 8-15
    std::uint64_t tail = 0;            ///< its last 8 bytes, the seconds (17-18) zeroed
    std::uint64_t tail_mask = 0;       ///< zeroes the seconds in the last 8 bytes
    std::int64_t minute_ticks = 0;     ///< its instant at second 0, within range
    std::array<char, 10> date_text{};  ///< the last `YYYY-MM-DD` that is a day
    std::chrono::sys_days day{};       ///< that day
};

/// The 8 bytes at `p` as one word (in memory order: only compared, or masked by
/// `seconds_mask`, which is built the same way).
[[nodiscard]] inline std::uint64_t word_at(const char* p) noexcept {
    std::uint64_t word = 0;
    std::memcpy(&word, p, sizeof word);
    return word;
}

/// The mask that zeroes bytes 17 and 18 (the seconds) of a text of `size` 19..25 in the word
/// of its last 8 bytes.
[[nodiscard]] inline std::uint64_t seconds_mask(std::size_t size) noexcept {
    std::array<unsigned char, 8> bytes{};
    bytes.fill(0xFF);
    bytes[25 - size] = 0;
    bytes[26 - size] = 0;
    std::uint64_t mask = 0;
    std::memcpy(&mask, bytes.data(), sizeof mask);
    return mask;
}

/// The day of `YYYY-MM-DD` at `p` (already checked to be digits and dashes), or empty for a
/// day that does not exist. The last date is remembered: the calendar arithmetic then runs
/// once per day instead of per minute.
[[nodiscard]] inline std::optional<std::chrono::sys_days> remembered_day(
    const char* p, fixed_iso8601_memo& memo) noexcept {
    if (std::memcmp(p, memo.date_text.data(), memo.date_text.size()) == 0) {
        return memo.day;
    }
    const std::chrono::year_month_day date{
        std::chrono::year{two_digits(p) * 100 + two_digits(p + 2)},
        std::chrono::month{static_cast<unsigned>(two_digits(p + 5))},
        std::chrono::day{static_cast<unsigned>(two_digits(p + 8))}};
    if (!date.ok()) {
        return std::nullopt;
    }
    std::memcpy(memo.date_text.data(), p, memo.date_text.size());
    memo.day = std::chrono::sys_days{date};
    return memo.day;
}

/// `read_fixed_iso8601` for a text not of the remembered minute; remembers the text's.
[[nodiscard]] inline std::optional<event_time> read_fixed_iso8601_anew(
    std::string_view text, fixed_iso8601_memo& memo) noexcept {
    const std::size_t n = text.size();
    if (n != 19 && n != 20 && n != 24 && n != 25) {
        return std::nullopt;
    }
    const char* p = text.data();
    if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' ||
        two_digits(p) < 0 || two_digits(p + 2) < 0 || two_digits(p + 5) < 0 ||
        two_digits(p + 8) < 0) {
        return std::nullopt;
    }
    const int hour = two_digits(p + 11);
    const int minute = two_digits(p + 14);
    const int second = two_digits(p + 17);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
        return std::nullopt;
    }
    int offset_minutes = 0;
    if (n == 20) {
        if (p[19] != 'Z') {
            return std::nullopt;
        }
    } else if (n >= 24) {
        const char* o = p + 19;
        const int offset_hours = two_digits(o + 1);
        const int offset_mins = two_digits(o + (n == 25 ? 4 : 3));
        if ((o[0] != '+' && o[0] != '-') || (n == 25 && o[3] != ':') || offset_hours < 0 ||
            offset_hours > 23 || offset_mins < 0 || offset_mins > 59) {
            return std::nullopt;
        }
        offset_minutes = (o[0] == '-' ? -1 : 1) * (offset_hours * 60 + offset_mins);
    }
    const auto day = remembered_day(p, memo);
    event_time out{};
    if (!day ||
        !to_instant(*day, hour * 3'600 + minute * 60 + second, 0, offset_minutes, out).empty()) {
        return std::nullopt;
    }
    memo.size = n;
    memo.head = word_at(p);
    memo.middle = word_at(p + 8);
    memo.tail_mask = seconds_mask(n);
    memo.tail = word_at(p + n - 8) & memo.tail_mask;
    memo.minute_ticks = out.time_since_epoch().count() - second * ticks_per_second;
    return out;
}

/// The fixed shapes most streams write, `YYYY-MM-DDTHH:MM:SS` then nothing, `Z`, `+hhmm` or
/// `+hh:mm`, without the general grammar's checks per character. Empty whenever the text is
/// not exactly such a shape, valid and in range: the general grammar then decides, so the
/// results are the same.
[[nodiscard]] inline std::optional<event_time> read_fixed_iso8601(
    std::string_view text, fixed_iso8601_memo& memo) noexcept {
    const std::size_t n = text.size();
    const char* p = text.data();
    // The remembered minute holds whole: the range's ends are whole minutes (offsets too), so
    // every second of a minute whose second 0 is in range is, and only its seconds differ.
    if (n == memo.size && n != 0 && word_at(p) == memo.head && word_at(p + 8) == memo.middle &&
        (word_at(p + n - 8) & memo.tail_mask) == memo.tail && p[16] == ':') {
        const int second = two_digits(p + 17);
        if (second < 0 || second > 59) {
            return std::nullopt;
        }
        return event_time{tick_duration{memo.minute_ticks + second * ticks_per_second}};
    }
    return read_fixed_iso8601_anew(text, memo);
}

/// `read_fixed_iso8601` with a memo per thread.
[[nodiscard]] inline std::optional<event_time> read_fixed_iso8601(std::string_view text) noexcept {
    thread_local fixed_iso8601_memo memo;
    return read_fixed_iso8601(text, memo);
}

}  // namespace detail::text

/// Reads an ISO-8601 instant in the project's one grammar (docs/semantics.md#text-timestamps):
/// `YYYY-MM-DD`, optionally followed by `T` (or `t`, or a space) `hh:mm[:ss[.fraction]]` and an
/// offset `Z`, `+hh:mm`, `+hhmm` or `+hh` (none: UTC); whitespace around it is ignored.
/// Fraction digits beyond the seventh (whole 100 ns ticks) are dropped; instants outside
/// 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.9999999Z are refused with
/// `time_out_of_range_why`. Returns why `text` is not an instant, or an
/// empty view with the instant in `out`.
[[nodiscard]] constexpr std::string_view read_iso8601_time(std::string_view text,
                                                           event_time& out) noexcept {
    using namespace detail::text;
    text = trimmed(text);
    std::size_t pos = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    std::int64_t fraction_ns = 0;
    int offset_minutes = 0;
    if (!read_digits(text, pos, 4, year) || !skip(text, pos, '-') ||
        !read_digits(text, pos, 2, month) || !skip(text, pos, '-') ||
        !read_digits(text, pos, 2, day)) {
        return "expected a date YYYY-MM-DD";
    }
    if (pos < text.size()) {
        if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') {
            return "expected 'T' or a space after the date";
        }
        ++pos;
        if (!read_digits(text, pos, 2, hour) || !skip(text, pos, ':') ||
            !read_digits(text, pos, 2, minute)) {
            return "expected a time hh:mm[:ss]";
        }
        if (skip(text, pos, ':')) {
            if (!read_digits(text, pos, 2, second)) {
                return "expected seconds ss";
            }
            if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
                const std::size_t start = ++pos;
                std::int64_t scale = 100'000'000;
                for (; pos < text.size() && is_digit(text[pos]); ++pos) {
                    fraction_ns += (text[pos] - '0') * scale;
                    scale /= 10;  // the tenth digit on falls below 1 ns: dropped
                }
                if (pos == start) {
                    return "expected digits after the decimal mark";
                }
            }
        }
        if (const std::string_view why = read_offset(text, pos, offset_minutes); !why.empty()) {
            return why;
        }
        if (pos != text.size()) {
            return "unexpected text after the offset";
        }
    }
    const std::chrono::year_month_day date{std::chrono::year{year},
                                           std::chrono::month{static_cast<unsigned>(month)},
                                           std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok()) {
        return "not a valid date";
    }
    if (hour > 23 || minute > 59 || second > 59) {
        return "not a valid time of day";
    }
    return to_instant(std::chrono::sys_days{date}, hour * 3'600 + minute * 60 + second, fraction_ns,
                      offset_minutes, out);
}

/// Parses ISO-8601 text to a UTC instant in whole 100 ns ticks (finer digits are dropped, the
/// truncation toward the past semantics.md#decision-10 states). Empty when the text is not a valid
/// date-time in the project's grammar. The fixed shapes most streams write take a fast path with
/// the same results.
[[nodiscard]] inline std::optional<event_time> parse_iso8601_time(std::string_view text) noexcept {
    if (const auto fixed = detail::text::read_fixed_iso8601(text)) {
        return fixed;
    }
    event_time out{};
    if (!read_iso8601_time(text, out).empty()) {
        return std::nullopt;
    }
    return out;
}

}  // namespace streamcp::pipeline
