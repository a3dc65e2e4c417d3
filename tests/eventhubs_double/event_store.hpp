// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: the retained partition logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <proton/message.hpp>
#include <proton/message_id.hpp>

#include "partition_key_hash.hpp"

namespace streamcp::eventhubs_double {

/// One retained event, as the service stores it: the sender's bytes plus the system properties
/// stamped at enqueue time.
struct stored_event {
    std::string body;
    std::int64_t sequence_number = 0;  // 0, 1, 2, ... per partition
    std::uint64_t offset = 0;          // byte position in the partition; sent as decimal text
    std::int64_t enqueued_ms = 0;      // ms since the Unix epoch, never decreasing per partition
    std::string partition_key;         // empty: none
    std::string device_id;             // non-empty: IoT Hub telemetry (iothub-* annotations)
    std::string content_type;
    std::string content_encoding;
    proton::message_id message_id;  // empty: none
    proton::message_id correlation_id;
    proton::message::property_map application_properties;
};

/// An append-only partition. Events are never removed (the double has unlimited retention).
class partition_log {
  public:
    /// Assigns sequence number, offset and enqueued time (now, or later than the previous event).
    const stored_event& append(stored_event event);

    [[nodiscard]] std::size_t size() const { return events_.size(); }
    [[nodiscard]] bool empty() const { return events_.empty(); }
    [[nodiscard]] const stored_event& at(std::size_t index) const { return events_.at(index); }

  private:
    std::deque<stored_event> events_;
    std::uint64_t next_offset_ = 0;
    std::int64_t last_enqueued_ms_ = 0;
};

struct event_hub {
    std::string name;
    std::vector<partition_log> partitions;
    std::int64_t created_ms = 0;
    std::uint32_t next_round_robin = 0;
};

struct hub_spec {
    std::string name;
    std::uint32_t partitions = 4;
};

/// Every hub the double serves. Names compare case-insensitively, as Event Hubs entity names do.
class event_store {
  public:
    explicit event_store(const std::vector<hub_spec>& hubs);

    [[nodiscard]] event_hub* find(std::string_view name);
    /// The hub that stands for the IoT Hub built-in endpoint (bridge, preload, redirect).
    [[nodiscard]] event_hub& iothub_endpoint() { return hubs_.front(); }
    [[nodiscard]] std::vector<event_hub>& hubs() { return hubs_; }

  private:
    std::vector<event_hub> hubs_;
};

[[nodiscard]] std::int64_t now_ms();

bool iequals(std::string_view a, std::string_view b);

}  // namespace streamcp::eventhubs_double
