// SPDX-License-Identifier: MIT
// Test double of the Event Hubs AMQP endpoint: READ requests on the `$management` node.
#pragma once

#include <string>

#include <proton/message.hpp>
#include <proton/value.hpp>

#include "event_store.hpp"

namespace streamcp::eventhubs_double {

struct management_outcome {
    int status_code = 200;
    std::string description;
    proton::value body;  // map with string keys, as the service sends
};

/// `operation=READ`, `type=com.microsoft:eventhub`, `name=<hub>`: name, type, partition_count,
/// partition_ids (array of strings), created_at. `type=com.microsoft:partition` plus
/// `partition=<id>`: begin/last enqueued sequence number, last enqueued offset and time,
/// is_partition_empty. Unknown hub or partition: 404.
[[nodiscard]] management_outcome read_entity(const proton::message& request, event_store& store);

}  // namespace streamcp::eventhubs_double
