// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>

#include <streamcp/function/event_time.hpp>

#include "reject_reason.hpp"
#include "timestamp_parse.hpp"

namespace streamcp::pipeline {

/// A partition key as JSON can carry it: NULL (missing or null), an integer or a string.
/// `1` and `"1"` are different keys.
using partition_key = std::variant<std::monostate, std::int64_t, std::string>;

/// A field of the input object: `temp`, or a dotted path into nested objects such as
/// `reading.temp` (a top-level key that itself contains the dot wins).
struct field_path {
    std::string text;
    std::vector<std::string> segments;

    field_path() = default;
    explicit field_path(std::string_view dotted);
    [[nodiscard]] bool empty() const noexcept { return text.empty(); }
    /// The name a projection gives the field: its last segment.
    [[nodiscard]] std::string_view output_name() const noexcept;
};

/// Which fields of the input object feed the function.
struct event_fields {
    field_path value;
    field_path timestamp;
    field_path partition;  ///< empty: every event is in the one NULL-key partition
    field_path when;       ///< empty: every event is included
    timestamp_format time_format = timestamp_format::iso8601;
};

/// One decoded input event. `raw` is the trimmed object text the event came from.
struct decoded_event {
    partition_key key;
    event_time time;
    std::optional<double> value;
    bool when = true;
    /// The object is `{}`; the output then gets no separating comma.
    bool empty_object = false;
    /// The object already has a member named like one the output adds; it must be replaced.
    bool has_output_names = false;
};

/// Turns JSON Lines into events with simdjson, applying the CLI's field rules: a missing or
/// null value is NULL, a non-number value is rejected, a missing or unparsable timestamp is
/// rejected, keys are strings, integers or NULL, WHEN is true only for JSON `true`.
class event_decoder {
  public:
    /// `output_names`: member names the output adds (`Score`, `IsAnomaly`), reported in
    /// `decoded_event::has_output_names`.
    event_decoder(event_fields fields, std::vector<std::string> output_names);

    /// Decodes `line`; at least `simdjson::SIMDJSON_PADDING` bytes after it must be readable.
    /// Returns the reason when the line is rejected; `event` is then unspecified.
    std::optional<reject_details> decode(std::string_view line, decoded_event& event);

    [[nodiscard]] const event_fields& fields() const noexcept { return fields_; }

  private:
    event_fields fields_;
    std::vector<std::string> output_names_;
    std::size_t wanted_fields_ = 0;  ///< the non-empty paths among the four fields
    simdjson::dom::parser parser_;
    std::string widened_;  ///< a line whose big integers were made floats (rare; reused)
};

}  // namespace streamcp::pipeline
