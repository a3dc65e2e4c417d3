// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <streamcp/function/event_time.hpp>

#include "iso8601_parse.hpp"

namespace streamcp::pipeline {

/// How an event's timestamp field is written.
enum class timestamp_format {
    /// ISO-8601 text (`parse_iso8601_time`, docs/semantics.md#text-timestamps). Without an
    /// offset the time is UTC, as in ASA.
    iso8601,
    /// Seconds since the Unix epoch, a JSON number (fractions allowed) or a numeric string.
    epoch_seconds,
    /// Milliseconds since the Unix epoch, likewise.
    epoch_milliseconds,
};

/// Parses "iso", "epoch-s" or "epoch-ms"; throws `std::invalid_argument` otherwise.
[[nodiscard]] timestamp_format parse_timestamp_format(std::string_view name);

/// An epoch count in the unit of `format` (not iso8601) to an instant, truncated toward the past
/// to whole ticks; empty when not finite or outside 0001-01-01 .. 9999-12-31T23:59:59.9999999Z.
[[nodiscard]] std::optional<event_time> epoch_to_time(double count,
                                                      timestamp_format format) noexcept;
[[nodiscard]] std::optional<event_time> epoch_to_time(std::int64_t count,
                                                      timestamp_format format) noexcept;

/// Formats an instant as `YYYY-MM-DDTHH:MM:SS+0000`, the seed's message shape.
[[nodiscard]] std::string format_seed_time(event_time time);

}  // namespace streamcp::pipeline
