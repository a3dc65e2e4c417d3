// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace streamcp::adapters {

enum class connection_string_kind {
    iothub_service,  ///< HostName=..;SharedAccessKeyName=..;SharedAccessKey=..
    iothub_device,   ///< HostName=..;DeviceId=..;SharedAccessKey=..
    eventhubs,       ///< Endpoint=sb://..;SharedAccessKeyName=..;SharedAccessKey=..[;EntityPath=..]
};

/// An Azure connection string, split into its parts. The key stays in memory only.
struct connection_string {
    connection_string_kind kind = connection_string_kind::iothub_service;
    /// The host to connect to: HostName, or Endpoint's host (`<ns>.servicebus.windows.net`,
    /// `localhost:5672` for the emulator; a port stays attached).
    std::string host;
    std::string endpoint;  ///< Event Hubs: Endpoint as given (`sb://<host>/`); else empty
    std::string device_id;
    std::string key_name;  ///< SharedAccessKeyName (policy); empty for device strings
    std::string key;       ///< SharedAccessKey, as given (base64 text)
    std::string entity_path;
    bool use_development_emulator = false;

    /// IoT Hub's short name: the first label of `host` (`myhub` of `myhub.azure-devices.net`).
    [[nodiscard]] std::string hub_name() const;
};

/// The parts of `Key=Value;Key=Value...` (key names lower-cased, values as given and may contain
/// '=', empty segments ignored). Throws `std::invalid_argument` as "`what`: why; `forms`" for a
/// malformed or repeated part or an empty string; no value is ever part of a message.
[[nodiscard]] std::map<std::string, std::string, std::less<>> connection_string_parts(
    std::string_view text, std::string_view what, std::string_view forms);

/// Parses `Key=Value;Key=Value...` (key names case-insensitive, values may contain '=', empty
/// segments ignored) and classifies it. `what` names the source in errors (e.g. "option
/// connection_string_env (variable IOTHUB_CS)"). Throws `std::invalid_argument` naming the missing
/// or malformed part and the accepted forms; the key's value is never part of a message.
[[nodiscard]] connection_string parse_connection_string(
    std::string_view text, std::string_view what = "connection string");

}  // namespace streamcp::adapters
