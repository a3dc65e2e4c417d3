// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: seeding the IoT Hub partitions.
#pragma once

#include <string>
#include <vector>

#include "event_store.hpp"

namespace streamcp::eventhubs_double {

/// Reads JSON lines: each non-empty line becomes device telemetry whose body is the line's exact
/// bytes (without the newline), device id = the top-level string field `device_field`,
/// content-type application/json, content-encoding utf-8. Throws std::runtime_error naming the
/// file and line when a line is not a JSON object with that field.
[[nodiscard]] std::vector<stored_event> read_preload(const std::string& path,
                                                     const std::string& device_field);

}  // namespace streamcp::eventhubs_double
