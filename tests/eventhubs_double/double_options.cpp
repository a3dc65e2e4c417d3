// SPDX-License-Identifier: MIT
#include "double_options.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include <CLI/CLI.hpp>

namespace streamcp::eventhubs_double {
namespace {

hub_spec parse_hub(const std::string& text, std::uint32_t default_partitions) {
    hub_spec spec;
    const std::size_t colon = text.find(':');
    spec.name = text.substr(0, colon);
    spec.partitions = default_partitions;
    if (colon != std::string::npos) {
        const std::string count = text.substr(colon + 1);
        const auto [end, error] =
            std::from_chars(count.data(), count.data() + count.size(), spec.partitions);
        if (error != std::errc{} || end != count.data() + count.size()) spec.partitions = 0;
    }
    if (spec.name.empty() || spec.name.find('/') != std::string::npos) {
        throw std::invalid_argument("--hub: '" + text + "' is not NAME[:PARTITIONS]");
    }
    if (spec.partitions < 1 || spec.partitions > 32) {
        throw std::invalid_argument("--hub: partitions of '" + text + "' must be 1..32");
    }
    return spec;
}

}  // namespace

std::int64_t parse_duration_ms(const std::string& text, const std::string& flag) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    const std::string unit(end, text.data() + text.size());
    if (error == std::errc{} && value >= 0) {
        if (unit == "ms") return value;
        if (unit == "s") return value * 1000;
        if (unit == "m") return value * 60000;
    }
    throw std::invalid_argument(flag + ": '" + text + "' is not a duration like 500ms, 20s or 2m");
}

double_options parse_options(int argc, char** argv) {
    double_options options;
    CLI::App app{
        "streamcp_eventhubs_double: a TEST DOUBLE of the Event Hubs / IoT Hub AMQP endpoints "
        "($cbs, $management, partition receivers, senders, redirect) on 127.0.0.1"};
    std::vector<std::string> hubs;
    std::uint32_t partitions = 4;
    std::string consumer_groups;
    std::string key_env = "STREAMCP_DOUBLE_KEY";
    std::string token_deadline = "20s";
    std::string idle_timeout = "120s";
    std::string max_token_lifetime;
    options.key.name = "service";
    app.add_option("--hub", hubs,
                   "NAME[:PARTITIONS]; repeatable; the first is the IoT Hub "
                   "built-in endpoint (default: hub)");
    app.add_option("--partitions", partitions, "partitions of hubs given without :PARTITIONS")
        ->check(CLI::Range(1, 32));
    app.add_option("--consumer-groups", consumer_groups, "comma-separated, besides $Default");
    app.add_option("--key-name", options.key.name, "SAS policy name (skn), SASL PLAIN user");
    app.add_option("--key-env", key_env, "environment variable holding the key");
    app.add_option("--port", options.port, "Event Hubs listener port (0 = free)")
        ->check(CLI::Range(0, 65535));
    app.add_option("--port-file", options.port_file, "write the Event Hubs port here");
    app.add_option("--iothub", options.iothub_name, "enable the IoT Hub front (short hub name)");
    app.add_option("--iothub-host", options.iothub_host,
                   "IoT Hub host (default NAME.azure-devices.net)");
    app.add_option("--iothub-port", options.iothub_port, "IoT Hub front port (0 = free)")
        ->check(CLI::Range(0, 65535));
    app.add_option("--iothub-port-file", options.iothub_port_file, "write the IoT Hub port here");
    app.add_option("--eh-host", options.eventhubs_host, "hostname reported in the redirect");
    app.add_option("--token-deadline", token_deadline, "time to put a first token (e.g. 20s)");
    app.add_option("--max-token-lifetime", max_token_lifetime, "cap on a token's life (e.g. 2s)");
    app.add_option("--busy-first", options.busy_first, "reject the first K messages (server-busy)");
    app.add_option("--busy-every", options.busy_every, "reject every K-th message (server-busy)");
    app.add_option("--max-message-size", options.max_message_size, "bytes (default 262144)")
        ->check(CLI::Range(1, 1 << 30));
    app.add_option(
        "--idle-timeout", idle_timeout,
        "advertised idle-time-out (default 120s, Azure's); silent connections close at twice it");
    app.add_option("--preload", options.preload_file, "JSON lines appended to the first hub");
    app.add_option("--preload-device-field", options.preload_device_field,
                   "field naming the device id of a preload line");
    app.add_option("--mqtt-bridge", options.mqtt_bridge_url, "mqtt://127.0.0.1:PORT to bridge");
    app.add_flag("--verbose", options.verbose, "log decisions to stderr");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        std::exit(app.exit(error));
    }

    if (hubs.empty()) hubs.emplace_back("hub");
    for (const std::string& hub : hubs) options.hubs.push_back(parse_hub(hub, partitions));
    options.consumer_groups.emplace_back("$Default");
    for (std::size_t start = 0; start < consumer_groups.size();) {
        const std::size_t comma =
            std::min(consumer_groups.find(',', start), consumer_groups.size());
        if (comma > start)
            options.consumer_groups.push_back(consumer_groups.substr(start, comma - start));
        start = comma + 1;
    }
    const char* key = std::getenv(key_env.c_str());
    if (key == nullptr || *key == '\0') {
        throw std::invalid_argument("--key-env: environment variable " + key_env +
                                    " (the shared access key) is unset or empty");
    }
    options.key.value = key;
    if (!options.iothub_name.empty() && options.iothub_host.empty()) {
        options.iothub_host = options.iothub_name + ".azure-devices.net";
    }
    if (!options.iothub_name.empty() && !base64_decode(options.key.value)) {
        throw std::invalid_argument("--iothub: the key in " + key_env +
                                    " must be base64 (IoT Hub signs with the decoded key)");
    }
    options.token_deadline_ms = parse_duration_ms(token_deadline, "--token-deadline");
    options.idle_timeout_ms = parse_duration_ms(idle_timeout, "--idle-timeout");
    if (options.idle_timeout_ms <= 0) {
        throw std::invalid_argument("--idle-timeout: '" + idle_timeout + "' must be above 0");
    }
    if (!max_token_lifetime.empty()) {
        options.max_token_lifetime_ms =
            parse_duration_ms(max_token_lifetime, "--max-token-lifetime");
    }
    if (!options.mqtt_bridge_url.empty() && !options.mqtt_bridge_url.starts_with("mqtt://")) {
        throw std::invalid_argument("--mqtt-bridge: '" + options.mqtt_bridge_url +
                                    "' must be mqtt://HOST:PORT");
    }
    return options;
}

}  // namespace streamcp::eventhubs_double
