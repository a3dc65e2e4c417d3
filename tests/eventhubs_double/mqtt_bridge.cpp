// SPDX-License-Identifier: MIT
#include "mqtt_bridge.hpp"

#include <charconv>
#include <stdexcept>

#include <mosquitto.h>
#include <unistd.h>

#include "sas_verifier.hpp"

namespace streamcp::eventhubs_double {
namespace {

constexpr const char* telemetry_filter = "devices/+/messages/events/#";

// libmosquitto needs one mosquitto_lib_init() per process before any client.
void init_library_once() {
    static const int result = mosquitto_lib_init();
    if (result != MOSQ_ERR_SUCCESS)
        throw std::runtime_error("--mqtt-bridge: mosquitto_lib_init failed");
}

}  // namespace

std::optional<stored_event> event_from_topic(std::string_view topic) {
    constexpr std::string_view devices = "devices/";
    constexpr std::string_view events = "/messages/events";
    if (!topic.starts_with(devices)) return std::nullopt;
    topic.remove_prefix(devices.size());
    const std::size_t slash = topic.find('/');
    if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
    stored_event event;
    event.device_id = url_decode(topic.substr(0, slash));
    topic.remove_prefix(slash);
    if (!topic.starts_with(events)) return std::nullopt;
    topic.remove_prefix(events.size());
    if (!topic.empty() && topic.front() != '/') return std::nullopt;
    if (!topic.empty()) topic.remove_prefix(1);
    while (!topic.empty()) {  // the property bag: k=v&k=v, URL-encoded
        const std::size_t amp = std::min(topic.find('&'), topic.size());
        const std::string_view entry = topic.substr(0, amp);
        const std::size_t eq = entry.find('=');
        const std::string key = url_decode(entry.substr(0, eq));
        const std::string value =
            eq == std::string_view::npos ? "" : url_decode(entry.substr(eq + 1));
        if (key == "$.ct") {
            event.content_type = value;
        } else if (key == "$.ce") {
            event.content_encoding = value;
        } else if (key == "$.mid") {
            event.message_id = value;
        } else if (key == "$.cid") {
            event.correlation_id = value;
        } else if (!key.empty() && !key.starts_with("$.")) {
            event.application_properties.put(key, value);
        }
        topic.remove_prefix(std::min(amp + 1, topic.size()));
    }
    return event;
}

mqtt_bridge::mqtt_bridge(const std::string& url, sink deliver, line_output& out)
    : deliver_(std::move(deliver)), out_(out) {
    std::string_view rest(url);
    if (!rest.starts_with("mqtt://"))
        throw std::invalid_argument("--mqtt-bridge: use mqtt://HOST:PORT");
    rest.remove_prefix(7);
    while (rest.ends_with('/')) rest.remove_suffix(1);
    const std::size_t colon = rest.rfind(':');
    host_ = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
        const std::string_view port = rest.substr(colon + 1);
        const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), port_);
        if (error != std::errc{} || end != port.data() + port.size() || port_ < 1 ||
            port_ > 65535) {
            throw std::invalid_argument("--mqtt-bridge: port of '" + url + "' must be 1..65535");
        }
    }
    init_library_once();
    const std::string client_id = "streamcp-eventhubs-double-" + std::to_string(getpid());
    client_ = mosquitto_new(client_id.c_str(), true, this);
    if (client_ == nullptr) throw std::runtime_error("--mqtt-bridge: mosquitto_new failed");
    mosquitto_connect_callback_set(client_, &mqtt_bridge::on_connect);
    mosquitto_subscribe_callback_set(client_, &mqtt_bridge::on_subscribe);
    mosquitto_message_callback_set(client_, &mqtt_bridge::on_message);
    mosquitto_reconnect_delay_set(client_, 1, 5, false);
}

mqtt_bridge::~mqtt_bridge() {
    stop();
    mosquitto_destroy(client_);
}

void mqtt_bridge::start() {
    // connect_async: the broker may come up after the double; the loop keeps retrying.
    const int result = mosquitto_connect_async(client_, host_.c_str(), port_, 30);
    if (result != MOSQ_ERR_SUCCESS && result != MOSQ_ERR_ERRNO) {
        throw std::runtime_error(std::string("--mqtt-bridge: ") + mosquitto_strerror(result));
    }
    if (mosquitto_loop_start(client_) != MOSQ_ERR_SUCCESS) {
        throw std::runtime_error("--mqtt-bridge: cannot start the network thread");
    }
    running_ = true;
}

void mqtt_bridge::stop() {
    if (!running_) return;
    running_ = false;
    mosquitto_disconnect(client_);
    mosquitto_loop_stop(client_, false);
}

void mqtt_bridge::on_connect(mosquitto* client, void* self, int result) {
    auto& bridge = *static_cast<mqtt_bridge*>(self);
    if (result != 0) {
        bridge.out_.diagnostic(std::string("mqtt bridge: connection refused: ") +
                               mosquitto_connack_string(result));
        return;
    }
    mosquitto_subscribe(client, nullptr, telemetry_filter, 1);
}

void mqtt_bridge::on_subscribe(mosquitto*, void* self, int, int, const int*) {
    static_cast<mqtt_bridge*>(self)->out_.line("bridge-subscribed");
}

void mqtt_bridge::on_message(mosquitto*, void* self, const mosquitto_message* message) {
    auto& bridge = *static_cast<mqtt_bridge*>(self);
    std::optional<stored_event> event = event_from_topic(message->topic);
    if (!event) {
        bridge.out_.diagnostic(std::string("mqtt bridge: ignored topic ") + message->topic);
        return;
    }
    event->body.assign(static_cast<const char*>(message->payload),
                       static_cast<std::size_t>(message->payloadlen));
    bridge.deliver_(std::move(*event));
}

}  // namespace streamcp::eventhubs_double
