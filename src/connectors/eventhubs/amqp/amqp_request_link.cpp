// SPDX-License-Identifier: MIT
#include "amqp_request_link.hpp"

#include <atomic>
#include <utility>

#include <proton/delivery.hpp>
#include <proton/error_condition.hpp>
#include <proton/message_id.hpp>
#include <proton/receiver_options.hpp>
#include <proton/scalar.hpp>
#include <proton/sender_options.hpp>
#include <proton/source_options.hpp>
#include <proton/target_options.hpp>

namespace streamcp::adapters {
namespace {

// Reply addresses must be unique per link pair within the process (several adapters may share a
// broker); a counter is enough.
std::string unique_reply_address(const std::string& node) {
    static std::atomic<std::uint64_t> counter{0};
    return node + "-reply-" + std::to_string(++counter);
}

}  // namespace

void amqp_request_link::open(proton::connection& connection) {
    fail_all("the connection was reopened");
    reply_to_ = unique_reply_address(node_);
    proton::target_options target;
    target.address(node_);
    sender_ = connection.open_sender(node_, proton::sender_options().handler(*this).target(target));
    proton::source_options source;
    source.address(node_);
    proton::target_options reply_target;
    reply_target.address(reply_to_);
    receiver_ = connection.open_receiver(node_, proton::receiver_options()
                                                    .handler(*this)
                                                    .source(source)
                                                    .target(reply_target)
                                                    .credit_window(16));
}

void amqp_request_link::request(proton::message request, reply_handler on_reply) {
    queued_.emplace_back(std::move(request), std::move(on_reply));
    send_queued();
}

void amqp_request_link::reset() {
    sender_ = proton::sender();
    receiver_ = proton::receiver();
    fail_all("the connection was lost");
}

void amqp_request_link::send_queued() {
    while (!queued_.empty() && sender_ && sender_.active() && sender_.credit() > 0) {
        auto [message, on_reply] = std::move(queued_.front());
        queued_.pop_front();
        const std::uint64_t id = next_id_++;
        message.id(proton::message_id(id));
        message.reply_to(reply_to_);
        pending_.emplace(id, std::move(on_reply));
        sender_.send(message);
    }
}

void amqp_request_link::on_sendable(proton::sender& /*unused*/) { send_queued(); }

void amqp_request_link::on_message(proton::delivery& /*unused*/, proton::message& message) {
    const proton::message_id correlation = message.correlation_id();
    auto match = pending_.end();
    if (correlation.type() == proton::ULONG) {
        match = pending_.find(proton::get<std::uint64_t>(correlation));
    } else if (pending_.size() == 1) {
        match = pending_.begin();  // a peer that does not echo the id: the only request waiting
    }
    if (match == pending_.end()) {
        return;  // a reply to a request of an earlier connection
    }
    reply_handler on_reply = std::move(match->second);
    pending_.erase(match);
    on_reply(&message, {});
}

void amqp_request_link::on_sender_error(proton::sender& sender) {
    fail_all(node_ + " link: " + sender.error().what());
}

void amqp_request_link::on_receiver_error(proton::receiver& receiver) {
    fail_all(node_ + " link: " + receiver.error().what());
}

void amqp_request_link::on_error(const proton::error_condition& error) {
    fail_all(node_ + ": " + error.what());
}

void amqp_request_link::fail_all(const std::string& reason) {
    auto pending = std::move(pending_);
    auto queued = std::move(queued_);
    pending_.clear();
    queued_.clear();
    for (auto& [id, on_reply] : pending) {
        on_reply(nullptr, reason);
    }
    for (auto& [message, on_reply] : queued) {
        on_reply(nullptr, reason);
    }
}

std::int64_t property_int(const proton::message& message, const std::string& key,
                          std::int64_t fallback) {
    const auto& properties = message.properties();
    if (!properties.exists(key)) {
        return fallback;
    }
    try {
        return proton::coerce<std::int64_t>(properties.get(key));
    } catch (const proton::conversion_error&) {
        return fallback;
    }
}

std::string property_text(const proton::message& message, const std::string& key) {
    const auto& properties = message.properties();
    if (!properties.exists(key)) {
        return {};
    }
    const proton::scalar value = properties.get(key);
    if (value.type() == proton::STRING) {
        return proton::get<std::string>(value);
    }
    if (value.type() == proton::SYMBOL) {
        return proton::get<proton::symbol>(value);
    }
    return proton::to_string(value);
}

}  // namespace streamcp::adapters
