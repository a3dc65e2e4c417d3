// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: fault injection through stdin commands.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include <proton/container.hpp>

#include "amqp_server.hpp"
#include "line_output.hpp"
#include "ordered_handoff.hpp"

namespace streamcp::eventhubs_double {

/// Executes one command on the container thread and returns the reply line(s):
/// `detach-all [CONDITION [DESCRIPTION]]`, `drop-connections`, `expire-tokens`, `busy K`,
/// `append DEVICE BODY`, `stats`, `quit`. Replies start with `ok <command>` or `error <why>`.
[[nodiscard]] std::string run_command(const std::string& line, amqp_server& server);

/// Reads commands from stdin on its own thread and hands each to the container thread. EOF ends
/// reading, not the double.
class control_channel {
  public:
    control_channel(amqp_server& server, proton::container& container, line_output& out);
    ~control_channel();
    control_channel(const control_channel&) = delete;
    control_channel& operator=(const control_channel&) = delete;

  private:
    void read_loop();

    ordered_handoff<std::string> commands_;
    std::atomic<bool> stopping_{false};
    std::thread reader_;
};

}  // namespace streamcp::eventhubs_double
