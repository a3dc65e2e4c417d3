// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <proton/container.hpp>
#include <proton/work_queue.hpp>

namespace streamcp::adapters {

/// A Proton container running its event loop in its own thread. Every Proton object of an
/// adapter lives on that thread; other threads act on them only through `post`.
class amqp_runner {
  public:
    /// Starts the event loop. `id` is the AMQP container id (shows in broker logs);
    /// `on_crash` hears of an exception that ended the loop (so waiting threads can stop).
    amqp_runner(const std::string& id, std::function<void(const std::string&)> on_crash);
    /// Stops the event loop (connections close) and joins the thread.
    ~amqp_runner();
    amqp_runner(const amqp_runner&) = delete;
    amqp_runner& operator=(const amqp_runner&) = delete;

    /// Runs `work` on the event-loop thread. False when the loop has ended.
    bool post(std::function<void()> work);

    /// The container, for use on the event-loop thread only.
    [[nodiscard]] proton::container& container() noexcept { return container_; }

    /// Stops the loop and joins the thread; idempotent.
    void stop();

    /// Runs `close` on the event-loop thread, which calls its argument once its connections are
    /// closed; waits for that (at most `patience`), then stops. Work posted earlier (a last
    /// settlement) reaches the peer first.
    void close_and_stop(const std::function<void(std::function<void()>)>& close,
                        std::chrono::milliseconds patience);

  private:
    proton::container container_;
    std::unique_ptr<proton::work_queue> queue_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

/// Runs `work` on the event-loop thread after `delay`. Event-loop thread only.
void schedule_after(proton::container& container, std::chrono::milliseconds delay,
                    std::function<void()> work);

}  // namespace streamcp::adapters
