// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamcp::adapters {

/// One IoT Hub device identity: one MQTT connection (IoT Hub allows one per device).
struct mqtt_identity {
    std::string hub_host;   ///< `<hub>.azure-devices.net`: username prefix and SAS resource
    std::string device_id;  ///< MQTT client id
    std::string key;        ///< the device's symmetric key (base64), signs the SAS password
};

struct mqtt_publisher_options {
    std::string
        url;  ///< `mqtt://HOST[:PORT]` (plain TCP, 1883) or `mqtts://HOST[:PORT]` (TLS, 8883)
    std::string ca_file;  ///< mqtts: trust these CAs; empty = the system's CA store
    std::string api_version = "2021-04-12";
    /// SAS passwords live this long; a connection reconnects with a fresh token after 80% of it.
    std::chrono::seconds token_lifetime{3600};
    /// A fixed token expiry instead (reproducible passwords for tests); no renewal then.
    std::optional<std::chrono::system_clock::time_point> fixed_expiry;
    std::size_t max_in_flight = 64;  ///< unacknowledged QoS 1 publishes per connection
    std::chrono::seconds keepalive{60};
    std::chrono::milliseconds retry_initial{100};  ///< first reconnect delay, doubled each time
    std::chrono::milliseconds retry_max{10'000};
    /// Give up (throw) when a connection stays down this long; zero = never.
    std::chrono::milliseconds give_up_after{300'000};
};

struct mqtt_publisher_stats {
    std::uint64_t published = 0;     ///< messages handed to publish()
    std::uint64_t acknowledged = 0;  ///< messages whose PUBACK arrived
    std::uint64_t sends = 0;         ///< PUBLISH packets sent, republishes included
    std::uint64_t republished = 0;   ///< sends of messages already sent on a lost connection
    std::uint64_t connects = 0;      ///< successful CONNACKs
    std::uint64_t connection_losses = 0;
    std::uint64_t token_renewals = 0;  ///< reconnects made to present a fresh SAS token
};

/// Publishes device telemetry the way IoT Hub's MQTT endpoint expects: client id = device id,
/// username `<hub>/<device>/?api-version=..`, password = device SAS token, topic
/// `devices/<id>/messages/events/` + the `$.ct`/`$.ce` JSON property bag, QoS 1.
///
/// At least once: a message counts as delivered only when its PUBACK arrives. A lost connection
/// is reopened with exponential backoff and everything unacknowledged is published again, in
/// order. Single-threaded: I/O happens inside publish(), service() and finish().
class mqtt_publisher {
  public:
    /// Throws `std::invalid_argument` for a bad URL or an empty identity list.
    mqtt_publisher(mqtt_publisher_options options, std::vector<mqtt_identity> identities);
    ~mqtt_publisher();
    mqtt_publisher(const mqtt_publisher&) = delete;
    mqtt_publisher& operator=(const mqtt_publisher&) = delete;

    /// Queues `payload` for identity number `identity`, then runs I/O; blocks while more than
    /// max_in_flight messages per connection wait. Throws `std::runtime_error` when the broker
    /// refuses the credentials or a connection stays down longer than give_up_after.
    void publish(std::size_t identity, std::string_view payload);

    /// Runs I/O (acknowledgements, keep-alive, reconnects) until `until`.
    void service(std::chrono::steady_clock::time_point until);

    /// Blocks until every message published so far is acknowledged, then disconnects.
    void finish();

    [[nodiscard]] const mqtt_publisher_stats& stats() const noexcept;

    /// `devices/<id>/messages/events/$.ct=application%2Fjson%3Bcharset%3Dutf-8&$.ce=utf-8`
    [[nodiscard]] static std::string telemetry_topic(std::string_view device_id);
    /// `<hub host>/<device id>/?api-version=<version>`
    [[nodiscard]] static std::string username(std::string_view hub_host, std::string_view device_id,
                                              std::string_view api_version);

  private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace streamcp::adapters
