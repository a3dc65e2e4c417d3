// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>

#include "amqp_connection.hpp"
#include "amqp_peer.hpp"
#include "eventhubs_backlog.hpp"
#include "eventhubs_event_queue.hpp"
#include "eventhubs_position.hpp"

namespace streamcp::adapters {

/// What the reader connects to and how it reads.
struct eventhubs_reader_settings {
    enum class kind {
        iothub,     ///< IoT Hub service host: follow its redirect to the Event Hubs-compatible one
        eventhubs,  ///< Event Hubs (or the compatible endpoint): partitions of a consumer group
        queue,      ///< a plain AMQP broker: addresses, deliveries settled on commit
    };
    kind mode = kind::eventhubs;
    amqp_peer peer;
    std::optional<cbs_credentials> cbs;  ///< none: SASL only (queue brokers, SASL PLAIN)
    std::string hub;                     ///< event hub name (unknown before an IoT Hub redirect)
    std::string consumer_group = "$Default";
    std::vector<std::string> partitions;  ///< Event Hubs: empty = ask $management; queue: addresses
    start_position start;
    std::uint32_t prefetch = 300;       ///< link credit per partition
    std::optional<std::int64_t> epoch;  ///< com.microsoft:epoch: an exclusive reader
    bool metadata = true;
    backoff_policy backoff;
    std::string name;  ///< for messages
    /// Event Hubs: where each partition's last enqueued sequence number goes, asked of
    /// `$management` every few seconds; null: not asked.
    partition_backlog* backlog = nullptr;
};

/// The AMQP side of the Event Hubs source, on the event-loop thread: connects (following an IoT
/// Hub redirect), discovers partitions, attaches one receiver per partition after its last
/// position, and pushes events into the queue; reattaches after detaches and reconnects.
class eventhubs_reader : public proton::messaging_handler {
  public:
    eventhubs_reader(proton::container& container, eventhubs_reader_settings settings,
                     received_queue& queue);

    /// Connects; partitions in `restored` resume after their positions.
    void start(std::vector<partition_position> restored);
    /// Returns `credit` to partition `index` (its events were read).
    void grant(std::size_t index, std::uint32_t credit);
    /// Queue brokers: accepts every delivery up to `delivery_id` (a checkpoint covers them).
    void accept_through(std::uint64_t delivery_id);
    /// Closes the connection; `closed` runs when it is closed.
    void shutdown(std::function<void()> closed);

    void on_message(proton::delivery& delivery, proton::message& message) override;
    void on_receiver_close(proton::receiver& receiver) override;
    void on_receiver_error(proton::receiver& receiver) override;
    void on_error(const proton::error_condition& error) override;

  private:
    struct partition_state {
        std::string id;  ///< Event Hubs partition id, or the queue address
        proton::receiver receiver;
        partition_position last;  ///< last event pushed: where a reattach resumes
        std::uint64_t link_generation = 0;
    };

    void ready(proton::connection& connection);
    void lost();
    void fatal(const std::string& reason);
    void discover();
    void poll_backlog();
    void set_partitions(const std::vector<std::string>& ids);
    void attach_all();
    void attach(std::size_t index);
    void reattach_later(std::size_t index, const std::string& reason);
    void follow_redirect(const proton::error_condition& error);
    [[nodiscard]] std::string address_of(const std::string& partition_id) const;
    [[nodiscard]] std::optional<std::size_t> index_of(const proton::receiver& receiver) const;

    proton::container& container_;
    eventhubs_reader_settings settings_;
    received_queue& queue_;
    amqp_connection connection_;
    std::vector<partition_position> restored_;
    std::vector<partition_state> partitions_;
    proton::receiver redirect_probe_;
    std::uint64_t generation_ = 0;  ///< connection count: queue deliveries of older ones are void
    std::uint64_t next_delivery_ = 0;
    std::deque<std::pair<std::uint64_t, proton::delivery>> unsettled_;
    unsigned link_failures_ = 0;
    bool stopped_ = false;
    bool polling_backlog_ = false;
    std::string body_;  ///< scratch for one event
};

}  // namespace streamcp::adapters
