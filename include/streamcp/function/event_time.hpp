// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <ratio>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// A duration in 100 ns ticks, the resolution of .NET `DateTime` and so of ASA's event times
/// (semantics.md#time).
using tick_duration = std::chrono::duration<std::int64_t, std::ratio<1, 10'000'000>>;

/// An event's UTC instant, as the caller supplies it; the library never reads a clock. Whole
/// ticks, so that int64 covers .NET's whole range, 0001-01-01 to 9999-12-31 (min_event_time ..
/// max_event_time); finer instants become event times with `to_event_time`.
using event_time = std::chrono::sys_time<tick_duration>;

/// .NET `DateTime.Ticks`: 100 ns units since 0001-01-01T00:00:00Z (semantics.md#time).
using dotnet_ticks = std::int64_t;

/// Ticks of the Unix epoch 1970-01-01T00:00:00Z.
inline constexpr dotnet_ticks unix_epoch_ticks = 621'355'968'000'000'000;

/// .NET `DateTime.MaxValue.Ticks`: 9999-12-31T23:59:59.9999999Z.
inline constexpr dotnet_ticks max_dotnet_ticks = 3'155'378'975'999'999'999;

/// The earliest event time, 0001-01-01T00:00:00Z (.NET `DateTime.MinValue`).
inline constexpr event_time min_event_time{tick_duration{-unix_epoch_ticks}};

/// The latest event time, 9999-12-31T23:59:59.9999999Z (.NET `DateTime.MaxValue`).
inline constexpr event_time max_event_time{tick_duration{max_dotnet_ticks - unix_epoch_ticks}};

/// Whether `t` lies in .NET's range, min_event_time .. max_event_time.
[[nodiscard]] constexpr bool in_event_time_range(event_time t) noexcept {
    return t >= min_event_time && t <= max_event_time;
}

/// An instant of any resolution as an event time, truncated toward the past to whole ticks
/// (semantics.md#decision-10).
template <class Duration>
[[nodiscard]] constexpr event_time to_event_time(std::chrono::sys_time<Duration> t) noexcept {
    return std::chrono::floor<tick_duration>(t);
}

/// An instant as .NET ticks.
[[nodiscard]] constexpr dotnet_ticks to_dotnet_ticks(event_time t) noexcept {
    return unix_epoch_ticks + t.time_since_epoch().count();
}

/// A duration in whole ticks, truncated toward zero.
[[nodiscard]] constexpr dotnet_ticks to_dotnet_ticks(std::chrono::nanoseconds d) noexcept {
    return d.count() / 100;
}

STREAMCP_END_NAMESPACE
