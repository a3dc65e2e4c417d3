// SPDX-License-Identifier: MIT
#include "event_message.hpp"

#include <cstdint>

#include <proton/annotation_key.hpp>
#include <proton/binary.hpp>
#include <proton/symbol.hpp>
#include <proton/timestamp.hpp>
#include <proton/value.hpp>

namespace streamcp::eventhubs_double {
namespace {

// Same number for a device on every run: readers compare it across reconnects.
std::string auth_generation_id(const std::string& device_id) {
    const auto hash = static_cast<std::uint16_t>(partition_key_hash_code(device_id));
    return "63" + std::to_string(600000000000000000ULL + hash);
}

}  // namespace

proton::message to_delivery(const stored_event& event) {
    proton::message message;
    message.body(proton::binary(event.body));
    message.inferred(true);  // binary body = one data section
    if (!event.message_id.empty()) message.id(event.message_id);
    if (!event.correlation_id.empty()) message.correlation_id(event.correlation_id);
    if (!event.content_type.empty()) message.content_type(event.content_type);
    if (!event.content_encoding.empty()) message.content_encoding(event.content_encoding);
    message.properties() = event.application_properties;

    proton::message::annotation_map& annotations = message.message_annotations();
    annotations.put(proton::symbol("x-opt-enqueued-time"), proton::timestamp(event.enqueued_ms));
    annotations.put(proton::symbol("x-opt-offset"), std::to_string(event.offset));
    annotations.put(proton::symbol("x-opt-sequence-number"), event.sequence_number);
    if (!event.partition_key.empty()) {
        annotations.put(proton::symbol("x-opt-partition-key"), event.partition_key);
    }
    if (!event.device_id.empty()) {
        annotations.put(proton::symbol("iothub-connection-device-id"), event.device_id);
        annotations.put(proton::symbol("iothub-connection-auth-generation-id"),
                        auth_generation_id(event.device_id));
        annotations.put(proton::symbol("iothub-connection-auth-method"),
                        std::string(R"({"scope":"device","type":"sas","issuer":"iothub"})"));
        annotations.put(proton::symbol("iothub-enqueuedtime"),
                        proton::timestamp(event.enqueued_ms));
        annotations.put(proton::symbol("iothub-message-source"), std::string("Telemetry"));
    }
    return message;
}

std::optional<stored_event> from_sent_message(const proton::message& message, std::string& why) {
    stored_event event;
    const proton::value& body = message.body();
    if (body.type() == proton::BINARY) {
        const auto bytes = proton::get<proton::binary>(body);
        event.body.assign(bytes.begin(), bytes.end());
    } else if (body.type() == proton::STRING) {
        event.body = proton::get<std::string>(body);
    } else {
        why = "body must be a data section or an AMQP binary/string value, got " +
              proton::type_name(body.type());
        return std::nullopt;
    }
    event.message_id = message.id();
    event.correlation_id = message.correlation_id();
    event.content_type = message.content_type();
    event.content_encoding = message.content_encoding();
    event.application_properties = message.properties();
    const proton::message::annotation_map& annotations = message.message_annotations();
    const proton::symbol key_name("x-opt-partition-key");
    if (annotations.exists(key_name)) {
        const proton::value key = annotations.get(key_name);
        if (key.type() == proton::STRING) event.partition_key = proton::get<std::string>(key);
    }
    return event;
}

}  // namespace streamcp::eventhubs_double
