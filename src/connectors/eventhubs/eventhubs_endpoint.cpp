// SPDX-License-Identifier: MIT
#include "eventhubs_endpoint.hpp"

#include <chrono>
#include <stdexcept>

#include "connection_string.hpp"
#include "endpoint_options.hpp"
#include "sas_token.hpp"

namespace streamcp::adapters {
namespace {

std::string setting(const pipeline::endpoint_config& config, const std::string& key) {
    return config.section + "." + key;
}

std::string host_only(const std::string& host) { return host.substr(0, host.rfind(':')); }

eventhubs_endpoint generic_endpoint(const pipeline::endpoint_config& config) {
    eventhubs_endpoint endpoint;
    endpoint.mode = eventhubs_endpoint::kind::generic;
    const std::string url = pipeline::option_string(config, "url");
    const auto scheme_end = url.find("://");
    const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
    if (scheme != "amqp" && scheme != "amqps") {
        throw std::invalid_argument("config: " + setting(config, "url") + " '" + url +
                                    "' must be amqp://host:port or amqps://host:port");
    }
    std::string authority = url.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find('/'));
    split_host_port(authority, scheme == "amqps", "config: " + setting(config, "url"),
                    endpoint.peer);
    endpoint.peer.user = pipeline::option_string(config, "user", "");
    if (!endpoint.peer.user.empty()) {
        endpoint.peer.password = pipeline::secret_from_env(config, "password");
    }
    endpoint.display = endpoint.peer.url();
    return endpoint;
}

}  // namespace

eventhubs_endpoint parse_eventhubs_endpoint(const pipeline::endpoint_config& config,
                                            bool allow_iothub) {
    const std::string broker = pipeline::option_string(config, "broker", "eventhubs");
    if (broker == "generic") {
        return generic_endpoint(config);
    }
    if (broker != "eventhubs") {
        throw std::invalid_argument("config: " + setting(config, "broker") + " '" + broker +
                                    "' is not 'eventhubs' or 'generic'");
    }
    const std::string variable = pipeline::option_string(config, "connection_string_env");
    const connection_string parsed = parse_connection_string(
        pipeline::secret_from_env(config, "connection_string"),
        "option " + setting(config, "connection_string_env") + " (variable " + variable + ")");
    const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(
        pipeline::option_duration(config, "token_lifetime", std::chrono::hours(1)));
    if (lifetime < std::chrono::seconds(1)) {
        throw std::invalid_argument("config: " + setting(config, "token_lifetime") +
                                    " must be at least 1s");
    }
    const bool tls = pipeline::option_bool(config, "tls", !parsed.use_development_emulator);

    eventhubs_endpoint endpoint;
    split_host_port(parsed.host, tls, "option " + setting(config, "connection_string_env"),
                    endpoint.peer);
    cbs_credentials cbs;
    cbs.key_name = parsed.key_name;
    cbs.key = parsed.key;
    cbs.lifetime = lifetime;
    switch (parsed.kind) {
        case connection_string_kind::iothub_service:
            if (!allow_iothub) {
                throw std::invalid_argument(
                    "config: " + setting(config, "connection_string_env") +
                    ": an IoT Hub connection string cannot be an output; use the Event Hubs "
                    "connection string of the output hub");
            }
            endpoint.mode = eventhubs_endpoint::kind::iothub;
            cbs.encoding = sas_key_encoding::base64;
            cbs.audience = iothub_resource_uri(host_only(parsed.host));
            endpoint.display = "iothub://" + host_only(parsed.host);
            break;
        case connection_string_kind::eventhubs: {
            endpoint.mode = eventhubs_endpoint::kind::eventhubs;
            const std::string option_hub = pipeline::option_string(config, "eventhub", "");
            if (!parsed.entity_path.empty() && !option_hub.empty() &&
                parsed.entity_path != option_hub) {
                throw std::invalid_argument("config: " + setting(config, "eventhub") + " '" +
                                            option_hub +
                                            "' differs from the connection string's "
                                            "EntityPath '" +
                                            parsed.entity_path + "'");
            }
            endpoint.hub = parsed.entity_path.empty() ? option_hub : parsed.entity_path;
            if (endpoint.hub.empty()) {
                throw std::invalid_argument("config: " + setting(config, "eventhub") +
                                            " is required (a string) when the connection string "
                                            "has no EntityPath");
            }
            cbs.encoding = sas_key_encoding::utf8;
            cbs.audience = eventhubs_resource_uri(host_only(parsed.host), endpoint.hub);
            endpoint.display = "eventhubs://" + host_only(parsed.host) + "/" + endpoint.hub;
            break;
        }
        case connection_string_kind::iothub_device:
            throw std::invalid_argument("config: " + setting(config, "connection_string_env") +
                                        ": a device connection string cannot read or write "
                                        "Event Hubs; use the hub's service (iothubowner or "
                                        "service policy) or Event Hubs-compatible string");
    }
    endpoint.peer.virtual_host = host_only(parsed.host);
    endpoint.cbs = cbs;
    return endpoint;
}

}  // namespace streamcp::adapters
