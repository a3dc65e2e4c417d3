// SPDX-License-Identifier: MIT
#include "connection_string.hpp"

#include <map>
#include <stdexcept>

#include "ascii_case.hpp"

namespace streamcp::adapters {
namespace {

constexpr std::string_view accepted_forms =
    "expected an IoT Hub service string (HostName=<hub>.azure-devices.net;SharedAccessKeyName="
    "<policy>;SharedAccessKey=<key>), an IoT Hub device string (HostName=...;DeviceId=<id>;"
    "SharedAccessKey=<key>) or an Event Hubs string (Endpoint=sb://<namespace>/;"
    "SharedAccessKeyName=<policy>;SharedAccessKey=<key>[;EntityPath=<hub>])";

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                             text.front() == '\n')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n')) {
        text.remove_suffix(1);
    }
    return text;
}

[[noreturn]] void fail(std::string_view what, std::string_view why) {
    throw std::invalid_argument(std::string(what) + ": " + std::string(why) + "; " +
                                std::string(accepted_forms));
}

}  // namespace

std::string connection_string::hub_name() const { return host.substr(0, host.find('.')); }

std::map<std::string, std::string, std::less<>> connection_string_parts(std::string_view text,
                                                                        std::string_view what,
                                                                        std::string_view forms) {
    const auto fail_with = [&](std::string_view why) {
        throw std::invalid_argument(std::string(what) + ": " + std::string(why) + "; " +
                                    std::string(forms));
    };
    // Keys lower-cased; values as given. Only key names ever reach an error message.
    std::map<std::string, std::string, std::less<>> parts;
    std::size_t segment_number = 0;
    while (!text.empty()) {
        const std::size_t semicolon = text.find(';');
        const std::string_view segment = trim(text.substr(0, semicolon));
        text =
            semicolon == std::string_view::npos ? std::string_view{} : text.substr(semicolon + 1);
        ++segment_number;
        if (segment.empty()) {
            continue;
        }
        const std::size_t equals = segment.find('=');
        if (equals == std::string_view::npos || equals == 0) {
            fail_with("part " + std::to_string(segment_number) + " is not Key=Value");
        }
        const std::string name = lower_ascii(trim(segment.substr(0, equals)));
        const std::string_view value = trim(segment.substr(equals + 1));
        if (!parts.emplace(name, std::string(value)).second) {
            fail_with("'" + std::string(trim(segment.substr(0, equals))) + "' appears twice");
        }
    }
    if (parts.empty()) {
        fail_with("it is empty");
    }
    return parts;
}

connection_string parse_connection_string(std::string_view text, std::string_view what) {
    const auto parts = connection_string_parts(text, what, accepted_forms);
    const auto take = [&](std::string_view name) {
        const auto found = parts.find(name);
        return found == parts.end() ? std::string{} : found->second;
    };
    connection_string out;
    out.key = take("sharedaccesskey");
    out.key_name = take("sharedaccesskeyname");
    out.device_id = take("deviceid");
    out.entity_path = take("entitypath");
    const std::string emulator = lower_ascii(take("usedevelopmentemulator"));
    if (!emulator.empty() && emulator != "true" && emulator != "false") {
        fail(what, "UseDevelopmentEmulator must be true or false");
    }
    out.use_development_emulator = emulator == "true";
    const std::string host_name = take("hostname");
    const std::string endpoint = take("endpoint");
    if (!host_name.empty() && !endpoint.empty()) {
        fail(what, "it has both HostName and Endpoint");
    }
    if (host_name.empty() && endpoint.empty()) {
        fail(what, "HostName or Endpoint is missing");
    }
    if (out.key.empty()) {
        fail(what, "SharedAccessKey is missing");
    }
    if (!endpoint.empty()) {
        out.kind = connection_string_kind::eventhubs;
        out.endpoint = endpoint;
        constexpr std::string_view scheme = "sb://";
        if (lower_ascii(std::string_view(endpoint).substr(0, scheme.size())) != scheme) {
            fail(what, "Endpoint must start with sb://");
        }
        std::string_view host = std::string_view(endpoint).substr(scheme.size());
        host = host.substr(0, host.find('/'));
        if (host.empty()) {
            fail(what, "Endpoint has no host");
        }
        out.host = std::string(host);
        if (out.key_name.empty()) {
            fail(what, "SharedAccessKeyName is missing (Event Hubs strings need the policy name)");
        }
        if (!out.device_id.empty()) {
            fail(what, "DeviceId belongs to IoT Hub device strings, not to Endpoint=sb:// ones");
        }
        return out;
    }
    out.host = host_name;
    if (!out.device_id.empty()) {
        out.kind = connection_string_kind::iothub_device;
        return out;
    }
    if (out.key_name.empty()) {
        fail(what, "an IoT Hub string needs SharedAccessKeyName (service) or DeviceId (device)");
    }
    out.kind = connection_string_kind::iothub_service;
    return out;
}

}  // namespace streamcp::adapters
