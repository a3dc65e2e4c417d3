// SPDX-License-Identifier: MIT
#include "timestamp_parse.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace streamcp::pipeline {

using std::chrono::nanoseconds;

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
    std::array<char, 40> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%04d-%02u-%02uT%02d:%02d:%02d+0000",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return buffer.data();
}

}  // namespace streamcp::pipeline
