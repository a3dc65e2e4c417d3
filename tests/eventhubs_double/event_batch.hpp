// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: sent messages read from their encoded
// bytes, batches (message format 0x80013700) split into their events.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event_store.hpp"

namespace streamcp::eventhubs_double {

/// What one sent message becomes: the events to append (one, or a batch's events in order), or
/// the AMQP error condition and description it is refused with.
struct sent_events {
    std::vector<stored_event> events;
    bool batch = false;
    std::string error_condition;  // non-empty: refuse the message, store nothing
    std::string error_description;
};

/// Reads a sent message from its encoded sections. A message whose first data section is itself
/// an encoded AMQP message is a batch (Azure's format 0x80013700: one data section per event);
/// each event keeps its own properties and application properties and takes the batch's
/// `x-opt-partition-key`. A batch with any section that is not a one-body-section message, or a
/// plain message with several data sections, is refused whole.
[[nodiscard]] sent_events read_sent_message(std::string_view encoded);

}  // namespace streamcp::eventhubs_double
