// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "amqp_request_link.hpp"

namespace streamcp::adapters {

/// Asks the `$management` node for an event hub's partition ids (READ of
/// `com.microsoft:eventhub`). `done` gets the ids, or an empty list, a reason and the reply's
/// status code (0 when the link failed). Event-loop thread only.
void read_partition_ids(
    amqp_request_link& management, const std::string& hub,
    std::function<void(std::vector<std::string> ids, const std::string& error, std::int64_t status)>
        done);

}  // namespace streamcp::adapters
