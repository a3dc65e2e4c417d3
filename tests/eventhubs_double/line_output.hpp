// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: the announcements on stdout that tests
// wait for ("listening <port>", "ok <command>"), written whole from any thread.
#pragma once

#include <iostream>
#include <mutex>
#include <string_view>

namespace streamcp::eventhubs_double {

class line_output {
  public:
    void line(std::string_view text) {
        const std::lock_guard lock(mutex_);
        std::cout << text << '\n' << std::flush;
    }
    void diagnostic(std::string_view text) {
        const std::lock_guard lock(mutex_);
        std::cerr << "eventhubs-double: " << text << '\n' << std::flush;
    }

  private:
    std::mutex mutex_;
};

}  // namespace streamcp::eventhubs_double
