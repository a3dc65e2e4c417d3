// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: server-side SASL with PLAIN.
#pragma once

#include <functional>
#include <string>

namespace streamcp::eventhubs_double {

/// Proton's built-in SASL offers servers ANONYMOUS only; the services also accept PLAIN (Event
/// Hubs: key name / key; IoT Hub: `<policy>@sas.root.<hub>` / SAS token). Installs, for the whole
/// process, a server SASL implementation offering both: ANONYMOUS always succeeds (user
/// "anonymous"), PLAIN succeeds when `check(user, password)` is true (user = the PLAIN user).
/// Called from the container thread during the handshake.
void install_server_sasl(std::function<bool(const std::string&, const std::string&)> check);

}  // namespace streamcp::eventhubs_double
