// SPDX-License-Identifier: MIT
#include "node_reply.hpp"

#include <proton/message_id.hpp>
#include <proton/scalar.hpp>
#include <proton/symbol.hpp>

namespace streamcp::eventhubs_double {

proton::message make_node_reply(const proton::message& request, int status_code,
                                const std::string& description, const proton::value& body) {
    proton::message reply;
    reply.to(request.reply_to());
    reply.correlation_id(request.id().empty() ? request.correlation_id() : request.id());
    reply.properties().put("status-code", status_code);
    reply.properties().put("status-description", description);
    if (!body.empty()) reply.body(body);
    return reply;
}

std::string property_text(const proton::message& message, const std::string& name) {
    const proton::message::property_map& properties = message.properties();
    if (!properties.exists(name)) return {};
    const proton::scalar value = properties.get(name);
    if (value.type() == proton::STRING) return proton::get<std::string>(value);
    if (value.type() == proton::SYMBOL) return proton::get<proton::symbol>(value);
    return {};
}

}  // namespace streamcp::eventhubs_double
