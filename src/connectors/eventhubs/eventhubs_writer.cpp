// SPDX-License-Identifier: MIT
#include "eventhubs_writer.hpp"

#include <algorithm>
#include <iostream>
#include <utility>

#include <proton/binary.hpp>
#include <proton/connection.hpp>
#include <proton/error_condition.hpp>
#include <proton/sender_options.hpp>
#include <proton/symbol.hpp>
#include <proton/target_options.hpp>
#include <proton/tracker.hpp>

#include "amqp_runner.hpp"
#include "runtime_errors.hpp"

namespace streamcp::adapters {
namespace {

proton::binary tag_of(std::uint64_t sequence) {
    proton::binary tag(8, 0);
    for (std::size_t i = 0; i < 8; ++i) {
        tag[i] = static_cast<std::uint8_t>((sequence >> (8 * i)) & 0xFFU);
    }
    return tag;
}

std::optional<std::uint64_t> sequence_of(const proton::tracker& tracker) {
    const proton::binary tag = tracker.tag();
    if (tag.size() != 8) {
        return std::nullopt;
    }
    std::uint64_t sequence = 0;
    for (std::size_t i = 8; i-- > 0;) {
        sequence = (sequence << 8U) | tag[i];
    }
    return sequence;
}

}  // namespace

eventhubs_writer::eventhubs_writer(proton::container& container, eventhubs_writer_settings settings,
                                   send_window& window)
    : container_(container),
      settings_(std::move(settings)),
      window_(window),
      connection_(
          container, settings_.name, pipeline::runtime_component::sink, settings_.backoff,
          amqp_connection::events::calling(this, &eventhubs_writer::ready, &eventhubs_writer::lost,
                                           &eventhubs_writer::fatal)) {}

void eventhubs_writer::start() { connection_.connect(settings_.peer, settings_.cbs); }

void eventhubs_writer::shutdown(std::function<void()> closed) {
    stopped_ = true;
    connection_.shutdown(std::move(closed));
}

void eventhubs_writer::fatal(const std::string& reason) {
    stopped_ = true;
    connection_.shutdown();
    window_.fail(reason);
}

void eventhubs_writer::ready(proton::connection& /*unused*/) { attach(); }

void eventhubs_writer::attach() {
    proton::target_options target;
    target.address(settings_.address);
    if (settings_.queue) {
        target.capabilities({proton::symbol("queue")});
    }
    sender_ = connection_.connection().open_sender(
        settings_.address, proton::sender_options().handler(*this).target(target));
}

void eventhubs_writer::lost() {
    sender_ = proton::sender();
    requeue_in_flight();
}

void eventhubs_writer::requeue_in_flight() {
    // Their outcome is unknown: send again (the peer may see some twice).
    pending_.merge(in_flight_);
    in_flight_.clear();
}

void eventhubs_writer::submit(
    const std::vector<std::pair<std::uint64_t, proton::message>>& messages) {
    // proton::message copies (it has no move), so a const reference costs nothing extra.
    for (const auto& [sequence, message] : messages) {
        pending_.emplace(sequence, message);
    }
    send_pending();
    connection_.wake();
}

void eventhubs_writer::send_pending() {
    while (!paused_ && !stopped_ && sender_ && sender_.active() && sender_.credit() > 0 &&
           !pending_.empty()) {
        auto first = pending_.begin();
        sender_.send(first->second, tag_of(first->first));
        in_flight_.insert(pending_.extract(first));
    }
}

void eventhubs_writer::on_sendable(proton::sender& /*unused*/) { send_pending(); }

void eventhubs_writer::on_tracker_accept(proton::tracker& tracker) {
    const auto sequence = sequence_of(tracker);
    if (sequence && in_flight_.erase(*sequence) != 0) {
        failures_ = 0;
        connection_.healthy();
        window_.accepted(1);
    }
}

void eventhubs_writer::on_tracker_reject(proton::tracker& tracker) {
    if (const auto sequence = sequence_of(tracker)) {
        retry_later(*sequence, "rejected");
    }
}

void eventhubs_writer::on_tracker_release(proton::tracker& tracker) {
    if (const auto sequence = sequence_of(tracker)) {
        retry_later(*sequence, "released");
    }
}

std::chrono::milliseconds eventhubs_writer::next_delay() {
    const auto& backoff = settings_.backoff;
    const auto delay = backoff.delay(failures_);
    ++failures_;
    return delay;
}

void eventhubs_writer::retry_later(std::uint64_t sequence, const std::string& outcome) {
    auto found = in_flight_.find(sequence);
    if (found == in_flight_.end()) {
        return;
    }
    pending_.insert(in_flight_.extract(found));
    if (paused_) {
        return;
    }
    // Throttling (com.microsoft:server-busy) and transient refusals: pause, then send again in
    // order. A message refused for good blocks the output, as Stream Analytics' Retry policy does.
    paused_ = true;
    pipeline::count_runtime_error(pipeline::runtime_component::sink);
    const auto delay = next_delay();
    std::cerr << "streamcp: " << settings_.name << ": message " << outcome << " by the peer; "
              << "sending again in " << delay.count() << " ms\n";
    const std::uint64_t generation = ++pause_generation_;
    schedule_after(container_, delay, [this, generation] {
        if (generation == pause_generation_) {
            paused_ = false;
            send_pending();
            connection_.wake();
        }
    });
}

void eventhubs_writer::on_sender_error(proton::sender& /*unused*/) {}  // handled in on_sender_close

void eventhubs_writer::on_error(const proton::error_condition& /*unused*/) {}

void eventhubs_writer::on_sender_close(proton::sender& sender) {
    if (stopped_ || !(sender == sender_)) {
        return;
    }
    sender_ = proton::sender();
    requeue_in_flight();
    const proton::error_condition error = sender.error();
    const std::string name = error.name();
    if (name == "amqp:not-found") {
        fatal(settings_.name + ": " + error.what());
    } else if (name == "amqp:unauthorized-access") {
        connection_.retry_later(settings_.name + ": " + error.what());  // re-authorise
    } else {
        const auto delay = next_delay();
        std::cerr << "streamcp: " << settings_.name << ": sender detached ("
                  << (error ? error.what() : std::string("closed by the peer"))
                  << "); reattaching in " << delay.count() << " ms\n";
        schedule_after(container_, delay, [this] {
            if (!stopped_ && connection_.ready() && !sender_) {
                attach();
                connection_.wake();
            }
        });
    }
}

}  // namespace streamcp::adapters
