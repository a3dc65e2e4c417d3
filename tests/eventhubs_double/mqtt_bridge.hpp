// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: the MQTT ingest path. Plays IoT Hub's
// device side on top of a Mosquitto broker: device telemetry published to
// devices/<id>/messages/events/<property bag> becomes an event of the IoT Hub endpoint.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "event_store.hpp"
#include "line_output.hpp"

struct mosquitto;
struct mosquitto_message;

namespace streamcp::eventhubs_double {

/// Device id and system/application properties from a telemetry topic; nullopt when the topic is
/// not devices/<id>/messages/events[/<bag>]. `$.ct`/`$.ce`/`$.mid`/`$.cid` fill content-type,
/// content-encoding, message-id and correlation-id; plain entries become application properties.
[[nodiscard]] std::optional<stored_event> event_from_topic(std::string_view topic);

class mqtt_bridge {
  public:
    using sink = std::function<void(stored_event)>;

    /// `url`: mqtt://HOST:PORT. `deliver` runs on the bridge's network thread.
    mqtt_bridge(const std::string& url, sink deliver, line_output& out);
    ~mqtt_bridge();
    mqtt_bridge(const mqtt_bridge&) = delete;
    mqtt_bridge& operator=(const mqtt_bridge&) = delete;

    /// Connects in the background (and reconnects); prints `bridge-subscribed` on each SUBACK.
    void start();
    void stop();

  private:
    static void on_connect(mosquitto* client, void* self, int result);
    static void on_subscribe(mosquitto* client, void* self, int mid, int count, const int* qos);
    static void on_message(mosquitto* client, void* self, const mosquitto_message* message);

    std::string host_;
    int port_ = 1883;
    sink deliver_;
    line_output& out_;
    mosquitto* client_ = nullptr;
    bool running_ = false;
};

}  // namespace streamcp::eventhubs_double
