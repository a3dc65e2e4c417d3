// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>

#include "amqp_peer.hpp"
#include "endpoint_config.hpp"

namespace streamcp::adapters {

/// The AMQP peer an `eventhubs` endpoint names, from its options:
/// - `broker = "eventhubs"` (default): `connection_string_env` names a variable holding an Event
///   Hubs(-compatible) connection string (`Endpoint=sb://..;SharedAccessKeyName=..;
///   SharedAccessKey=..[;EntityPath=..]`, event hub from EntityPath or option `eventhub`) or, for
///   sources, an IoT Hub service connection string (`HostName=..`); `tls` (default true; false
///   for loopback test doubles and the emulator), `token_lifetime` (default 1h).
/// - `broker = "generic"`: a plain AMQP 1.0 broker at `url` (`amqp://host:port`), optional
///   `user` with `password_env`; no `$cbs`, `$management` or filters.
struct eventhubs_endpoint {
    enum class kind { iothub, eventhubs, generic };
    kind mode = kind::eventhubs;
    amqp_peer peer;
    std::optional<cbs_credentials> cbs;
    std::string hub;      ///< event hub name (empty for IoT Hub until its redirect)
    std::string display;  ///< `eventhubs://host/hub` for names and messages
};

/// Options read here, for `reject_unknown_options`.
#define STREAMCP_EVENTHUBS_ENDPOINT_OPTIONS                                                \
    "broker", "connection_string_env", "eventhub", "tls", "token_lifetime", "url", "user", \
        "password_env", "reconnect_max_backoff"

/// Reads the endpoint options above. Throws `std::invalid_argument` naming the setting.
[[nodiscard]] eventhubs_endpoint parse_eventhubs_endpoint(const pipeline::endpoint_config& config,
                                                          bool allow_iothub);

}  // namespace streamcp::adapters
