// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: stored events <-> AMQP messages.
#pragma once

#include <optional>
#include <string>

#include <proton/message.hpp>

#include "event_store.hpp"

namespace streamcp::eventhubs_double {

/// The message a partition receiver gets: the stored bytes as one data section, the sender's
/// properties, and the system properties as message annotations (x-opt-*, and iothub-* for
/// device telemetry).
[[nodiscard]] proton::message to_delivery(const stored_event& event);

/// What a sender's message becomes when appended: body bytes (data section, or an amqp-value
/// binary/string), properties, and the `x-opt-partition-key` message annotation. nullopt (and
/// `why`) when the body is neither.
[[nodiscard]] std::optional<stored_event> from_sent_message(const proton::message& message,
                                                            std::string& why);

}  // namespace streamcp::eventhubs_double
