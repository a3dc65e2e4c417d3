// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>

#include <streamcp/function/event_time.hpp>

#include "iso8601_parse.hpp"
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
    /// A member name the decoder looks for: a field's whole path (`target` 0-3: timestamp,
    /// value, partition, when) or an output name (`target` 4).
    struct member_name {
        std::string text;
        std::size_t target = 0;
    };
    /// Names longer than this share one bucket of `by_length_`.
    static constexpr std::size_t long_name = 32;

    event_fields fields_;
    std::vector<std::string> output_names_;
    std::size_t wanted_fields_ = 0;  ///< the non-empty paths among the four fields
    /// The names, ordered by length; those of length L (L <= long_name, else the longer
    /// ones) are `names_[by_length_[L]]` up to `names_[by_length_[L + 1]]`: a member is
    /// compared only with names of its length.
    std::vector<member_name> names_;
    std::array<std::size_t, long_name + 3> by_length_{};
    bool has_dotted_path_ = false;  ///< some field is `a.b`, to look up nested when not top-level
    detail::text::fixed_iso8601_memo time_memo_;
    simdjson::dom::parser parser_;
    std::string widened_;  ///< a line whose big integers were made floats (rare; reused)
};

}  // namespace streamcp::pipeline
