// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: the socket in front of Proton's listener.
#pragma once

#include <cstdint>
#include <string>
#include <thread>

namespace streamcp::eventhubs_double {

/// Accepts clients on 127.0.0.1:`public_port` and relays each to Proton's listener on
/// `inner_port`: the client's bytes unchanged (Proton enforces the frame size and idle limits on
/// them), Proton's with every performative field present (complete_performatives), because Proton
/// 0.37 leaves trailing fields out and has no way to send begin's handle-max. Either side closing
/// closes the other.
class frame_relay {
  public:
    frame_relay() = default;
    ~frame_relay();
    frame_relay(const frame_relay&) = delete;
    frame_relay& operator=(const frame_relay&) = delete;

    /// Listens and starts the relay thread; returns the bound port. Throws std::runtime_error
    /// naming the port when it cannot listen. Proton's open frames are rewritten to advertise
    /// `max_frame_size`.
    int start(int public_port, int inner_port, std::uint32_t max_frame_size);

  private:
    void run();

    int listen_fd_ = -1;
    int inner_port_ = 0;
    std::uint32_t max_frame_size_ = 0;
    int wake_pipe_[2] = {-1, -1};
    std::thread thread_;
};

}  // namespace streamcp::eventhubs_double
