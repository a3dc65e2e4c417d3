// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
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

/// A partition's sequence numbers as `$management` reports them (READ of
/// `com.microsoft:partition`).
struct partition_sequence_range {
    std::int64_t begin = 0;
    std::int64_t last_enqueued = -1;  ///< -1: the partition is empty
};

/// Asks `$management` for partition `partition_id`'s sequence numbers; `done` gets them, or
/// nullopt when the request failed (the metric then keeps its last value). Event-loop thread.
void read_partition_range(amqp_request_link& management, const std::string& hub,
                          const std::string& partition_id,
                          std::function<void(std::optional<partition_sequence_range>)> done);

}  // namespace streamcp::adapters
