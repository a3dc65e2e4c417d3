// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "line_sink.hpp"
#if STREAMCP_WITH_MQTT
#include "mqtt_publisher.hpp"
#endif

namespace streamcp::pipeline {

/// Where the simulator's messages go. Beside the line, it gets the sending device (MQTT signs in
/// as that device) and the pauses between ticks (MQTT keeps acknowledging during them), which a
/// `line_sink` has no place for.
class message_output {
  public:
    virtual ~message_output() = default;
    /// `line` ends with a newline; `device` is the simulated device's index.
    virtual void write(std::string_view line, std::size_t device) = 0;
    /// Lets time pass until `until`.
    virtual void wait_until(std::chrono::steady_clock::time_point until) = 0;
    /// Hands over everything written (MQTT: waits for every acknowledgement).
    virtual void finish() = 0;
};

/// Messages as JSON Lines into any of the runtime's line sinks (a file, stdout).
class line_sink_output final : public message_output {
  public:
    explicit line_sink_output(std::unique_ptr<line_sink> sink) : sink_(std::move(sink)) {}
    void write(std::string_view line, std::size_t device) override;
    void wait_until(std::chrono::steady_clock::time_point until) override;
    void finish() override;

  private:
    std::unique_ptr<line_sink> sink_;
};

#if STREAMCP_WITH_MQTT
/// Messages published over MQTT as IoT Hub devices: through one identity (`shared`, as the
/// seed), or through one identity per simulated device.
class mqtt_output final : public message_output {
  public:
    mqtt_output(adapters::mqtt_publisher_options options,
                std::vector<adapters::mqtt_identity> identities, bool shared);
    void write(std::string_view line, std::size_t device) override;
    void wait_until(std::chrono::steady_clock::time_point until) override;
    /// Also prints the publisher's counts to stderr.
    void finish() override;

  private:
    std::string url_;
    adapters::mqtt_publisher publisher_;
    bool shared_;
};
#endif

}  // namespace streamcp::pipeline
