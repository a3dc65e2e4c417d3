// SPDX-License-Identifier: MIT
#include "timestamp_parse.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace streamcp::pipeline {

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

namespace {

/// The instant `whole_units` units (of `unit_ns` nanoseconds) and `fraction_ns` after 1970, when
/// it lies in .NET's range.
std::optional<event_time> checked_instant(std::int64_t whole_units, std::int64_t unit_ns,
                                          std::int64_t fraction_ns) noexcept {
    // Beyond ±2^62 ticks (about ±14,600 years) the product could overflow; far outside anyway.
    constexpr std::int64_t limit = std::int64_t{1} << 62;
    const std::int64_t unit_ticks = unit_ns / 100;
    if (whole_units > limit / unit_ticks || whole_units < -limit / unit_ticks) {
        return std::nullopt;
    }
    const event_time time{tick_duration{whole_units * unit_ticks + fraction_ns / 100}};
    return in_event_time_range(time) ? std::optional{time} : std::nullopt;
}

std::int64_t unit_ns(timestamp_format format) noexcept {
    return format == timestamp_format::epoch_milliseconds ? 1'000'000 : 1'000'000'000;
}

}  // namespace

std::optional<event_time> epoch_to_time(double count, timestamp_format format) noexcept {
    const std::int64_t ns_per_unit = unit_ns(format);
    if (!(std::abs(count) < 0x1p62)) {  // NaN and infinities included
        return std::nullopt;
    }
    // Whole units and the fraction apart: 1574104296.25 s times 1e9 in one double would land
    // 128 ns off, the fraction alone is exact to well under a nanosecond.
    const double whole = std::floor(count);
    const auto fraction_ns =
        static_cast<std::int64_t>(std::floor((count - whole) * static_cast<double>(ns_per_unit)));
    return checked_instant(static_cast<std::int64_t>(whole), ns_per_unit, fraction_ns);
}

std::optional<event_time> epoch_to_time(std::int64_t count, timestamp_format format) noexcept {
    return checked_instant(count, unit_ns(format), 0);
}

std::string format_seed_time(event_time time) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
    const auto days = std::chrono::floor<std::chrono::days>(seconds);
    const std::chrono::year_month_day date{days};
    const std::chrono::hh_mm_ss clock{seconds - days};
    std::array<char, 40> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%04d-%02u-%02uT%02d:%02d:%02d+0000",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return buffer.data();
}

}  // namespace streamcp::pipeline
