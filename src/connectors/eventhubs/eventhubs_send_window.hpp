// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace streamcp::adapters {

/// Counts messages handed to the AMQP thread and messages the peer accepted, so the pipeline
/// thread can wait for room (back-pressure) or for everything (`sync`).
class send_window {
  public:
    /// Waits until fewer than `limit` messages are unaccepted, then numbers the next message.
    std::uint64_t reserve(std::uint64_t limit) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return error_ || submitted_ - accepted_ < limit; });
        throw_if_failed();
        return submitted_++;
    }

    /// Whether `reserve(limit)` would wait now.
    [[nodiscard]] bool would_wait(std::uint64_t limit) {
        const std::lock_guard lock(mutex_);
        return !error_ && submitted_ - accepted_ >= limit;
    }

    /// Waits until every message numbered so far was accepted.
    void wait_all() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return error_ || accepted_ == submitted_; });
        throw_if_failed();
    }

    void accepted(std::uint64_t count) {
        {
            const std::lock_guard lock(mutex_);
            accepted_ += count;
        }
        changed_.notify_all();
    }

    /// Ends the output with an error: waiting and later calls throw it.
    void fail(std::string reason) {
        {
            const std::lock_guard lock(mutex_);
            if (!error_) {
                error_ = std::move(reason);
            }
        }
        changed_.notify_all();
    }

    [[nodiscard]] std::uint64_t accepted_count() {
        const std::lock_guard lock(mutex_);
        return accepted_;
    }

  private:
    void throw_if_failed() const {
        if (error_) {
            throw std::runtime_error(*error_);
        }
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::uint64_t submitted_ = 0;
    std::uint64_t accepted_ = 0;
    std::optional<std::string> error_;
};

}  // namespace streamcp::adapters
