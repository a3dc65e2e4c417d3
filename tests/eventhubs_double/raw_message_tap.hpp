// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: the encoded bytes of received messages.
#pragma once

#include <string_view>

namespace streamcp::eventhubs_double {

/// The encoded bytes of the message Proton decoded last on this thread (valid until the next
/// decode). Proton 0.37's decoder keeps only the last data section of a message, which would
/// silently drop all but one event of a batch, so the double reads messages from these bytes.
[[nodiscard]] std::string_view last_decoded_message();

}  // namespace streamcp::eventhubs_double
