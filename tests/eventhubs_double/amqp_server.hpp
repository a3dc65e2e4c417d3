// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: the listeners and the link logic.
// Everything here runs on the Proton container's thread; other threads hand work over with
// proton::container::schedule().
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/error_condition.hpp>
#include <proton/listen_handler.hpp>
#include <proton/listener.hpp>
#include <proton/message.hpp>
#include <proton/receiver.hpp>
#include <proton/sender.hpp>

#include "cbs.hpp"
#include "double_options.hpp"
#include "event_store.hpp"
#include "line_output.hpp"

namespace streamcp::eventhubs_double {

enum class endpoint_role { eventhubs, iothub };

class amqp_server {
  public:
    amqp_server(const double_options& options, event_store& store, line_output& out);
    ~amqp_server();
    amqp_server(const amqp_server&) = delete;
    amqp_server& operator=(const amqp_server&) = delete;

    /// Opens the Event Hubs listener (then the IoT Hub front) and the periodic expiry sweep.
    void start(proton::container& container);

    /// Appends to a partition and hands the event to that partition's receivers.
    void append(event_hub& hub, std::size_t partition, stored_event event);
    /// Appends device telemetry to the IoT Hub endpoint, partition = hash(device id).
    void append_telemetry(stored_event event);

    // Fault injection (control commands).
    void detach_all(const std::string& condition, const std::string& description);
    void drop_connections();
    void expire_tokens();
    void add_busy(std::uint64_t count) { busy_pending_ += count; }
    [[nodiscard]] std::string stats();

    /// Set from a signal handler; the sweep stops the container when it sees it.
    static void request_stop();
    /// True when a listener could not be opened.
    [[nodiscard]] bool failed() const { return failed_; }

  private:
    class endpoint_handler;
    class announcing_listener;
    friend class endpoint_handler;

    struct connection_state {
        endpoint_role role = endpoint_role::eventhubs;
        token_grants grants;
        std::int64_t opened_ms = 0;
        bool sasl_plain = false;  // authorised by SASL PLAIN: no token needed
    };
    struct consumer_link {
        event_hub* hub = nullptr;
        std::string group;
        std::size_t partition = 0;
        std::size_t next = 0;  // index of the next event to send
        std::optional<std::int64_t> epoch;
        std::string address;
    };
    struct producer_link {
        event_hub* hub = nullptr;
        std::optional<std::size_t> partition;
        std::string address;
    };

    // Link opening, by address kind.
    void open_sender(endpoint_role role, proton::sender& sender);
    void open_receiver(endpoint_role role, proton::receiver& receiver);
    void open_partition_consumer(proton::sender& sender, const std::string& address);
    void open_producer(proton::receiver& receiver, const std::string& address);
    template <class Link>
    void answer_on_iothub(Link& link, const std::string& address);
    bool authorized(const proton::connection& connection, const std::string& address);

    // Messages.
    void on_message(proton::delivery& delivery, proton::message& message);
    void handle_put_token(const proton::receiver& receiver, const proton::message& request);
    void handle_management(const proton::receiver& receiver, const proton::message& request);
    void handle_event(proton::delivery& delivery);
    void reply(const proton::connection& connection, const std::string& node,
               const proton::message& request, proton::message reply);
    void on_sendable(proton::sender& sender);
    void push(const proton::sender& sender, consumer_link& consumer);
    [[nodiscard]] bool next_is_busy();

    void forget(const proton::connection& connection);
    void forget_link(const proton::link& link);
    void sweep();
    [[nodiscard]] const cbs_settings& cbs_for(endpoint_role role) const;
    void log(const std::string& text);

    const double_options& options_;
    event_store& store_;
    line_output& out_;
    proton::container* container_ = nullptr;
    cbs_settings eventhubs_cbs_;
    cbs_settings iothub_cbs_;
    int eventhubs_port_ = 0;
    std::unique_ptr<endpoint_handler> eventhubs_handler_;
    std::unique_ptr<endpoint_handler> iothub_handler_;
    std::unique_ptr<announcing_listener> eventhubs_listener_;
    std::unique_ptr<announcing_listener> iothub_listener_;
    std::map<proton::connection, connection_state> connections_;
    std::map<proton::sender, consumer_link> consumers_;
    std::map<proton::receiver, producer_link> producers_;
    std::map<proton::sender, std::deque<proton::message>> node_links_;  // $cbs/$management replies
    std::uint64_t messages_received_ = 0;
    std::uint64_t busy_pending_ = 0;
    bool failed_ = false;
};

}  // namespace streamcp::eventhubs_double
