// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

#include <proton/connection.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/sender.hpp>

namespace streamcp::adapters {

/// Request/response with a service node (`$cbs`, `$management`): a sender to the node and a
/// receiver from it whose target is the `reply-to` address; replies are matched to requests by
/// `correlation-id` = the request's `message-id`. Event-loop thread only.
class amqp_request_link : public proton::messaging_handler {
  public:
    /// Called with the reply, or with `nullptr` and a reason when the link failed.
    using reply_handler =
        std::function<void(const proton::message* reply, const std::string& error)>;

    explicit amqp_request_link(std::string node) : node_(std::move(node)) {}

    /// Attaches both links on `connection` (a fresh connection: earlier requests are dropped).
    void open(proton::connection& connection);
    /// Sends `request` (message-id and reply-to are set here) once the sender has credit.
    void request(proton::message request, reply_handler on_reply);
    /// Forgets links and pending requests (the connection is gone).
    void reset();

    void on_sendable(proton::sender& sender) override;
    void on_message(proton::delivery& delivery, proton::message& message) override;
    void on_sender_error(proton::sender& sender) override;
    void on_receiver_error(proton::receiver& receiver) override;
    void on_error(const proton::error_condition& error) override;

  private:
    void send_queued();
    void fail_all(const std::string& reason);

    std::string node_;
    std::string reply_to_;
    proton::sender sender_;
    proton::receiver receiver_;
    std::uint64_t next_id_ = 1;
    std::deque<std::pair<proton::message, reply_handler>> queued_;
    std::map<std::uint64_t, reply_handler> pending_;
};

/// Reads an application property as an integer (status codes arrive as int or long); `fallback`
/// when absent or not a number.
[[nodiscard]] std::int64_t property_int(const proton::message& message, const std::string& key,
                                        std::int64_t fallback);
/// Reads an application property as text; empty when absent.
[[nodiscard]] std::string property_text(const proton::message& message, const std::string& key);

}  // namespace streamcp::adapters
