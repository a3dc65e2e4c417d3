// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace streamcp::pipeline {

/// Why an input event went to the rejects output instead of being scored.
enum class reject_reason {
    malformed_json,      ///< not JSON at all, or a number JSON cannot hold as a double
    not_an_object,       ///< valid JSON, but not an object
    missing_timestamp,   ///< the timestamp field is absent or null
    bad_timestamp,       ///< the timestamp field is of the wrong type or cannot be parsed
    time_out_of_range,   ///< the timestamp lies outside 0001-01-01..9999-12-31 (semantics.md#time)
    bad_value,           ///< the value field is present but not a number
    value_out_of_range,  ///< the value is not finite or overflows float32 (semantics.md#decision-4)
    bad_partition_key,   ///< the partition key is neither a string, an integer nor null
    out_of_order,        ///< later than the out-of-order tolerance, with action `drop`
    partition_limit,     ///< a new partition key beyond `--max-partitions`
};

/// The reason's name in rejects records: snake_case, stable.
[[nodiscard]] std::string_view reject_reason_name(reject_reason reason) noexcept;

/// A rejected event's reason and a short human explanation.
struct reject_details {
    reject_reason reason;
    std::string detail;
};

}  // namespace streamcp::pipeline
