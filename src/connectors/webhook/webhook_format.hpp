// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamcp::adapters {

/// How a webhook request carries its records: `array` is a JSON array of the records (as the
/// Event Hubs sink's `array`); `slack` is Slack's incoming-webhook body, one `text` per batch.
enum class webhook_format { array, slack };

/// The output fields a Slack summary line shows (`device at time: value, score`).
struct slack_fields {
    std::string device = "device";
    std::string time = "datetime";
    std::string value = "temp";
    std::string score = "AnomalyScore";
};

/// The request body for `records` (output lines without their newlines, each a JSON object).
[[nodiscard]] std::string webhook_body(webhook_format format,
                                       const std::vector<std::string>& records,
                                       const slack_fields& fields);

/// The `streamcp-record-ids` header value: each record's pipeline::record_id, comma-separated,
/// so a receiver can drop the duplicates that retries produce.
[[nodiscard]] std::string webhook_record_ids(const std::vector<std::string>& records);

/// How long a `Retry-After` header value asks to wait: delay-seconds or an HTTP-date (RFC 9110
/// 10.2.3) relative to `now`. Empty when the value is neither; a date in the past waits zero.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace streamcp::adapters
