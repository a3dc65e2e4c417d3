// SPDX-License-Identifier: MIT
// streamcp_eventhubs_double: a TEST DOUBLE of the Event Hubs / IoT Hub AMQP endpoints for
// streamcp's adapter tests (not an emulator of Azure). Command line: see double_options.cpp and
// tests/eventhubs_double/README.md.
#include <csignal>
#include <exception>
#include <iostream>
#include <memory>

#include <proton/container.hpp>

#include "amqp_server.hpp"
#include "cbs.hpp"
#include "control_channel.hpp"
#include "double_options.hpp"
#include "event_store.hpp"
#include "line_output.hpp"
#include "mqtt_bridge.hpp"
#include "ordered_handoff.hpp"
#include "preload.hpp"
#include "server_sasl.hpp"

namespace {

using namespace streamcp::eventhubs_double;

extern "C" void on_stop_signal(int) { amqp_server::request_stop(); }

// SASL PLAIN as the services take it: Event Hubs = key name / key, IoT Hub front =
// <policy>@sas.root.<hub> / SAS token for the hub host.
bool plain_credentials_valid(const double_options& options, const std::string& user,
                             const std::string& password) {
    if (user == options.key.name) return password == options.key.value;
    if (options.iothub_name.empty() ||
        user != options.key.name + "@sas.root." + options.iothub_name) {
        return false;
    }
    cbs_settings settings;
    settings.key = options.key;
    settings.handling = key_handling::base64_decoded;
    settings.required_host = options.iothub_host;
    std::string why;
    return check_token(password, options.iothub_host, settings, now_ms(), why).has_value();
}

int run(int argc, char** argv) {
    const double_options options = parse_options(argc, argv);
    line_output out;
    event_store store(options.hubs);
    amqp_server server(options, store, out);
    install_server_sasl([&options](const std::string& user, const std::string& password) {
        return plain_credentials_valid(options, user, password);
    });
    if (!options.preload_file.empty()) {
        for (stored_event& event :
             read_preload(options.preload_file, options.preload_device_field)) {
            server.append_telemetry(std::move(event));
        }
    }

    proton::container container("streamcp-eventhubs-double");
    server.start(container);
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGPIPE, SIG_IGN);

    ordered_handoff<stored_event> telemetry(
        container, [&server](stored_event event) { server.append_telemetry(std::move(event)); });
    std::unique_ptr<mqtt_bridge> bridge;
    if (!options.mqtt_bridge_url.empty()) {
        bridge = std::make_unique<mqtt_bridge>(
            options.mqtt_bridge_url,
            [&telemetry](stored_event event) { telemetry.push(std::move(event)); }, out);
        bridge->start();
    }
    {
        const control_channel control(server, container, out);
        container.run();
    }
    if (bridge) bridge->stop();
    return server.failed() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& error) {
        std::cerr << "streamcp_eventhubs_double: " << error.what() << '\n';
        return 2;
    }
}
