// SPDX-License-Identifier: MIT
#include "timestamp_parse.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace streamcp::pipeline {
namespace {

using std::chrono::nanoseconds;

/// Reads exactly `count` digits at `pos`; false when any is missing.
bool read_digits(std::string_view text, std::size_t& pos, int count, int& out) noexcept {
    if (pos + static_cast<std::size_t>(count) > text.size()) {
        return false;
    }
    int value = 0;
    for (int i = 0; i < count; ++i) {
        const char c = text[pos++];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) noexcept {
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

/// Reads a UTC offset (`Z`, `+hh:mm`, `+hhmm`, `+hh`, or nothing) in minutes.
bool read_offset(std::string_view text, std::size_t& pos, int& minutes) noexcept {
    minutes = 0;
    if (pos == text.size()) {
        return true;  // no offset: UTC, as ASA reads it
    }
    if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
        return true;
    }
    if (text[pos] != '+' && text[pos] != '-') {
        return false;
    }
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int hours = 0;
    int mins = 0;
    if (!read_digits(text, pos, 2, hours)) {
        return false;
    }
    if (pos < text.size()) {
        expect(text, pos, ':');
        if (!read_digits(text, pos, 2, mins)) {
            return false;
        }
    }
    if (hours > 23 || mins > 59) {
        return false;
    }
    minutes = sign * (hours * 60 + mins);
    return true;
}

/// Two ASCII digits at `p` as a number, or -1.
int two_digits(const char* p) noexcept {
    const unsigned hi = static_cast<unsigned char>(p[0]) - '0';
    const unsigned lo = static_cast<unsigned char>(p[1]) - '0';
    return hi <= 9 && lo <= 9 ? static_cast<int>(hi * 10 + lo) : -1;
}

/// The day count of `YYYY-MM-DD` at `p` (already checked to be digits and dashes), or empty for
/// a day that does not exist. The last date is remembered: a stream's timestamps share their
/// date for hours, and the calendar arithmetic then runs once per day instead of per event.
std::optional<std::chrono::sys_days> day_of(const char* p) noexcept {
    thread_local std::array<char, 10> last_text{};
    thread_local std::chrono::sys_days last_day{};
    if (std::memcmp(p, last_text.data(), last_text.size()) == 0) {
        return last_day;
    }
    const int year = two_digits(p) * 100 + two_digits(p + 2);
    const std::chrono::year_month_day date{
        std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(two_digits(p + 5))},
        std::chrono::day{static_cast<unsigned>(two_digits(p + 8))}};
    if (!date.ok()) {
        return std::nullopt;
    }
    std::memcpy(last_text.data(), p, last_text.size());
    last_day = std::chrono::sys_days{date};
    return last_day;
}

/// The fixed shapes most streams write, `YYYY-MM-DDTHH:MM:SS` then nothing, `Z`, `+hhmm` or
/// `+hh:mm`, without the general parser's checks per character. Empty whenever the text is not
/// exactly such a shape, valid: the general parser then decides, so results are the same.
std::optional<event_time> parse_fixed_iso8601(std::string_view text) noexcept {
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
    const auto day = day_of(p);
    if (!day) {
        return std::nullopt;
    }
    return event_time{*day + std::chrono::hours{hour} + std::chrono::minutes{minute} +
                      std::chrono::seconds{second} - std::chrono::minutes{offset_minutes}};
}

}  // namespace

timestamp_format parse_timestamp_format(std::string_view name) {
    if (name == "iso" || name == "iso8601") {
        return timestamp_format::iso8601;
    }
    if (name == "epoch-s") {
        return timestamp_format::epoch_seconds;
    }
    if (name == "epoch-ms") {
        return timestamp_format::epoch_milliseconds;
    }
    throw std::invalid_argument("timestamp format '" + std::string(name) +
                                "' is invalid: allowed iso, epoch-s, epoch-ms");
}

std::optional<event_time> parse_iso8601_time(std::string_view text) noexcept {
    if (const auto fixed = parse_fixed_iso8601(text)) {
        return fixed;
    }
    std::size_t pos = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') ||
        !read_digits(text, pos, 2, month) || !expect(text, pos, '-') ||
        !read_digits(text, pos, 2, day)) {
        return std::nullopt;
    }
    if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
        return std::nullopt;
    }
    ++pos;
    if (!read_digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, minute)) {
        return std::nullopt;
    }
    std::int64_t fraction_ns = 0;
    if (expect(text, pos, ':')) {
        if (!read_digits(text, pos, 2, second)) {
            return std::nullopt;
        }
        if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
            ++pos;
            const std::size_t start = pos;
            std::int64_t scale = 100'000'000;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                fraction_ns += (text[pos] - '0') * scale;
                scale /= 10;  // the tenth digit on falls below 1 ns: dropped
                ++pos;
            }
            if (pos == start) {
                return std::nullopt;
            }
        }
    }
    int offset_minutes = 0;
    if (!read_offset(text, pos, offset_minutes) || pos != text.size()) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{year},
                                           std::chrono::month{static_cast<unsigned>(month)},
                                           std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
        return std::nullopt;
    }
    const auto local = std::chrono::sys_days{date} + std::chrono::hours{hour} +
                       std::chrono::minutes{minute} + std::chrono::seconds{second} +
                       nanoseconds{fraction_ns};
    return event_time{local - std::chrono::minutes{offset_minutes}};
}

std::optional<event_time> epoch_to_time(double count, timestamp_format format) noexcept {
    const double ns_per_unit = format == timestamp_format::epoch_milliseconds ? 1e6 : 1e9;
    // Beyond ±2^62 ns (about ±146 years) the instant cannot become .NET ticks reliably.
    if (!(std::abs(count * ns_per_unit) < 0x1p62)) {
        return std::nullopt;
    }
    // Whole units and the fraction apart: 1574104296.25 s times 1e9 in one double would land
    // 128 ns off, the fraction alone is exact to well under a nanosecond.
    const double whole = std::floor(count);
    const auto units = static_cast<std::int64_t>(whole);
    const auto fraction_ns = static_cast<std::int64_t>(std::floor((count - whole) * ns_per_unit));
    const auto unit_ns = static_cast<std::int64_t>(ns_per_unit);
    return event_time{nanoseconds{units * unit_ns + fraction_ns}};
}

std::optional<event_time> epoch_to_time(std::int64_t count, timestamp_format format) noexcept {
    const std::int64_t ns_per_unit =
        format == timestamp_format::epoch_milliseconds ? 1'000'000 : 1'000'000'000;
    constexpr std::int64_t limit = std::int64_t{1} << 62;
    if (count > limit / ns_per_unit || count < -limit / ns_per_unit) {
        return std::nullopt;
    }
    return event_time{nanoseconds{count * ns_per_unit}};
}

std::string format_seed_time(event_time time) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
    const auto days = std::chrono::floor<std::chrono::days>(seconds);
    const std::chrono::year_month_day date{days};
    const std::chrono::hh_mm_ss clock{seconds - days};
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d+0000",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return buffer;
}

}  // namespace streamcp::pipeline
