// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <proton/container.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/sender.hpp>

#include "amqp_connection.hpp"
#include "amqp_peer.hpp"
#include "eventhubs_send_window.hpp"

namespace streamcp::adapters {

struct eventhubs_writer_settings {
    amqp_peer peer;
    std::optional<cbs_credentials> cbs;  ///< none: SASL only (queue brokers)
    std::string address;                 ///< `<hub>`, `<hub>/Partitions/<n>` or a queue
    bool queue = false;                  ///< a plain broker: ask for an anycast queue
    backoff_policy backoff;
    std::string name;
};

/// The AMQP side of the Event Hubs sink, on the event-loop thread: keeps a sender attached,
/// sends messages in sequence order as credit allows, counts `accepted` outcomes into the send
/// window, and re-sends what was rejected, released or unsettled when a link or connection
/// failed (at-least-once; the message-id lets consumers drop duplicates).
class eventhubs_writer : public proton::messaging_handler {
  public:
    eventhubs_writer(proton::container& container, eventhubs_writer_settings settings,
                     send_window& window);

    void start();
    /// Queues messages numbered by `send_window::reserve`.
    void submit(const std::vector<std::pair<std::uint64_t, proton::message>>& messages);
    /// Closes the connection; `closed` runs when it is closed.
    void shutdown(std::function<void()> closed);

    void on_sendable(proton::sender& sender) override;
    void on_tracker_accept(proton::tracker& tracker) override;
    void on_tracker_reject(proton::tracker& tracker) override;
    void on_tracker_release(proton::tracker& tracker) override;
    void on_sender_close(proton::sender& sender) override;
    void on_sender_error(proton::sender& sender) override;
    void on_error(const proton::error_condition& error) override;

  private:
    void ready(proton::connection& connection);
    void lost();
    void fatal(const std::string& reason);
    void attach();
    void send_pending();
    void requeue_in_flight();
    void retry_later(std::uint64_t sequence, const std::string& outcome);
    [[nodiscard]] std::chrono::milliseconds next_delay();

    proton::container& container_;
    eventhubs_writer_settings settings_;
    send_window& window_;
    amqp_connection connection_;
    proton::sender sender_;
    std::map<std::uint64_t, proton::message> pending_;    // to send, in sequence order
    std::map<std::uint64_t, proton::message> in_flight_;  // sent, outcome not yet known
    std::uint64_t pause_generation_ = 0;
    bool paused_ = false;
    unsigned failures_ = 0;
    bool stopped_ = false;
};

}  // namespace streamcp::adapters
