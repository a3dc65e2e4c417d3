// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// An event's UTC instant, as the caller supplies it; the library never reads a clock.
using event_time = std::chrono::sys_time<std::chrono::nanoseconds>;

/// .NET `DateTime.Ticks`: 100 ns units since 0001-01-01T00:00:00Z (semantics.md#time).
using dotnet_ticks = std::int64_t;

/// Ticks of the Unix epoch 1970-01-01T00:00:00Z.
inline constexpr dotnet_ticks unix_epoch_ticks = 621'355'968'000'000'000;

/// Converts an instant to .NET ticks, truncating toward the past to whole ticks
/// (semantics.md#decision-10).
[[nodiscard]] constexpr dotnet_ticks to_dotnet_ticks(event_time t) noexcept {
    const std::int64_t ns = t.time_since_epoch().count();
    const std::int64_t q = ns / 100;
    return unix_epoch_ticks + (ns % 100 < 0 ? q - 1 : q);
}

/// A duration in whole ticks, truncated toward zero.
[[nodiscard]] constexpr dotnet_ticks to_dotnet_ticks(std::chrono::nanoseconds d) noexcept {
    return d.count() / 100;
}

STREAMCP_END_NAMESPACE
