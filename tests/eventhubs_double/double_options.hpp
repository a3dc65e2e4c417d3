// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: its command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "event_store.hpp"
#include "sas_verifier.hpp"

namespace streamcp::eventhubs_double {

struct double_options {
    std::vector<hub_spec> hubs;                // first = the IoT Hub built-in endpoint
    std::vector<std::string> consumer_groups;  // always holds "$Default"
    sas_key key;
    int port = 0;
    std::string port_file;
    std::string iothub_name;  // empty: no IoT Hub front
    std::string iothub_host;
    int iothub_port = 0;
    std::string iothub_port_file;
    std::string eventhubs_host = "127.0.0.1";
    std::int64_t token_deadline_ms = 20000;
    std::optional<std::int64_t> max_token_lifetime_ms;
    std::uint64_t busy_first = 0;
    std::uint64_t busy_every = 0;
    std::size_t max_message_size = 262144;
    // Azure's open frame (README.md, "Framing"): max-frame-size 65536, channel-max 4999,
    // idle-time-out 120000 ms. The timeout is a flag so tests can watch an idle close quickly.
    std::uint32_t max_frame_size = 65536;
    std::uint16_t channel_max = 4999;
    std::int64_t idle_timeout_ms = 120000;
    std::string preload_file;
    std::string preload_device_field = "deviceId";
    std::string mqtt_bridge_url;
    bool verbose = false;
};

/// Parses argv and reads the key from the environment variable named by --key-env. Prints help
/// and exits for --help; throws std::invalid_argument naming the flag for bad values.
[[nodiscard]] double_options parse_options(int argc, char** argv);

/// "500ms", "20s", "2m" -> milliseconds; throws std::invalid_argument naming `flag`.
[[nodiscard]] std::int64_t parse_duration_ms(const std::string& text, const std::string& flag);

}  // namespace streamcp::eventhubs_double
