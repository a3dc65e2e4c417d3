// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: replies of the `$cbs` and
// `$management` request/response nodes.
#pragma once

#include <string>

#include <proton/message.hpp>
#include <proton/value.hpp>

namespace streamcp::eventhubs_double {

/// A reply as the service sends it: application properties `status-code` (int) and
/// `status-description`, `correlation-id` = the request's message-id (or its correlation-id when
/// it has none), addressed to the request's reply-to.
[[nodiscard]] proton::message make_node_reply(const proton::message& request, int status_code,
                                              const std::string& description,
                                              const proton::value& body = proton::value());

/// Text of application property `name`, or "" when it is missing or not a string/symbol.
[[nodiscard]] std::string property_text(const proton::message& message, const std::string& name);

}  // namespace streamcp::eventhubs_double
