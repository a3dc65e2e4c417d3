// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <proton/message.hpp>

#include "eventhubs_position.hpp"

namespace streamcp::adapters {

/// What Stream Analytics exposes of an Event Hubs / IoT Hub event as input fields. Not
/// EventProcessedUtcTime: it would make a replay differ from the first run.
struct event_metadata {
    std::optional<std::int64_t> enqueued_ms;  ///< x-opt-enqueued-time
    std::string partition_id;
    bool iothub = false;  ///< the event came through IoT Hub (a device id annotation)
    std::optional<std::string> message_id;
    std::optional<std::string> correlation_id;
    std::optional<std::string> device_id;
    std::optional<std::string> generation_id;
    std::optional<std::int64_t> iothub_enqueued_ms;
};

/// Reads the metadata and the reader position of a received message.
void read_event_annotations(const proton::message& message, const std::string& partition_id,
                            event_metadata& metadata, partition_position& position);

/// `YYYY-MM-DDTHH:MM:SS.fffffffZ`, as Stream Analytics prints times (7 fractional digits).
[[nodiscard]] std::string format_asa_time(std::int64_t epoch_ms);

/// Appends `body` to `out`, adding `EventEnqueuedUtcTime`, `PartitionId` and (IoT Hub) `IoTHub`
/// members before the closing brace when `body` is a JSON object; other bodies are appended
/// unchanged (the decoder rejects them with a reason).
void append_with_metadata(std::string& out, std::string_view body, const event_metadata& metadata);

}  // namespace streamcp::adapters
