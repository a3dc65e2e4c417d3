// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: hands work from other threads (MQTT
// bridge, stdin) to the Proton container thread in the order it was given.
#pragma once

#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <utility>

#include <proton/container.hpp>
#include <proton/work_queue.hpp>

namespace streamcp::eventhubs_double {

/// container::schedule() does not keep the order of work due at the same time (seen: commands
/// answered out of order), and device telemetry must keep its order. Items queue here; every
/// scheduled run drains the queue front to back on the container thread.
template <class Item>
class ordered_handoff {
  public:
    ordered_handoff(proton::container& container, std::function<void(Item)> consume)
        : container_(container), consume_(std::move(consume)) {}

    /// Any thread. Dropped silently once the container has stopped.
    void push(Item item) {
        {
            const std::lock_guard lock(mutex_);
            queued_.push_back(std::move(item));
        }
        try {
            container_.schedule(proton::duration(0), [this] { drain(); });
        } catch (const std::exception&) {
            // The container is stopping: the double ends with it.
        }
    }

  private:
    void drain() {
        for (;;) {
            Item item;
            {
                const std::lock_guard lock(mutex_);
                if (queued_.empty()) return;
                item = std::move(queued_.front());
                queued_.pop_front();
            }
            consume_(std::move(item));
        }
    }

    proton::container& container_;
    std::function<void(Item)> consume_;
    std::mutex mutex_;
    std::deque<Item> queued_;
};

}  // namespace streamcp::eventhubs_double
