// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "eventhubs_position.hpp"

namespace streamcp::adapters {

/// One received event on its way from the AMQP thread to `line_source::next`.
struct received_event {
    std::string line;  ///< body with the metadata members added
    std::size_t partition_index = 0;
    partition_position position;
    std::uint64_t delivery_id = 0;  ///< queue brokers: the delivery `committed` accepts
    std::uint64_t generation = 0;   ///< queue brokers: the connection it arrived on
};

/// The hand-over between the AMQP thread (producer) and the pipeline thread (consumer). Its
/// size is bounded by the receivers' link credit, so `push` never blocks the event loop.
class received_queue {
  public:
    void push(received_event event) {
        {
            const std::lock_guard lock(mutex_);
            if (event.partition_index >= queued_.size()) {
                queued_.resize(event.partition_index + 1, 0);
            }
            ++queued_[event.partition_index];
            events_.push_back(std::move(event));
        }
        ready_.notify_one();
    }

    /// Ends the stream with an error: the next `pop` throws it.
    void fail(std::string reason) {
        {
            const std::lock_guard lock(mutex_);
            if (!error_) {
                error_ = std::move(reason);
            }
        }
        ready_.notify_all();
    }

    /// Waits up to `timeout` for an event. False on timeout; throws `std::runtime_error` after
    /// `fail`.
    bool pop(received_event& out, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        ready_.wait_for(lock, timeout, [this] { return !events_.empty() || error_; });
        if (error_) {
            throw std::runtime_error(*error_);
        }
        if (events_.empty()) {
            return false;
        }
        out = std::move(events_.front());
        events_.pop_front();
        --queued_[out.partition_index];
        return true;
    }

    /// Events of `partition_index` waiting to be read (what its link credit must allow for).
    [[nodiscard]] std::size_t queued(std::size_t partition_index) {
        const std::lock_guard lock(mutex_);
        return partition_index < queued_.size() ? queued_[partition_index] : 0;
    }

    /// Drops events that arrived on connections before `generation` (queue brokers redeliver
    /// every unsettled message after a reconnect).
    void drop_before(std::uint64_t generation) {
        const std::lock_guard lock(mutex_);
        std::deque<received_event> kept;
        for (received_event& event : events_) {
            if (event.generation >= generation) {
                kept.push_back(std::move(event));
            } else {
                --queued_[event.partition_index];
            }
        }
        events_.swap(kept);
    }

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<received_event> events_;
    std::vector<std::size_t> queued_;
    std::optional<std::string> error_;
};

}  // namespace streamcp::adapters
