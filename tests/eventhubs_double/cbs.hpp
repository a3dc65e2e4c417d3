// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: the `$cbs` put-token exchange and the
// tokens each connection holds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <proton/message.hpp>

#include "sas_verifier.hpp"

namespace streamcp::eventhubs_double {

/// The tokens one connection has put, by audience. An entity link may stay attached while a
/// live token covers its address.
class token_grants {
  public:
    /// `audience_path`: audience without scheme and host, lower case ("" = the whole namespace).
    void grant(std::string audience_path, std::int64_t expires_ms);
    /// True when a token that has not expired at `now` covers `entity_address`.
    [[nodiscard]] bool covers(std::string_view entity_address, std::int64_t now) const;
    /// Makes every token count as expired (fault injection).
    void expire_all();
    [[nodiscard]] bool ever_granted() const { return ever_granted_; }

  private:
    struct grant_entry {
        std::string path;
        std::int64_t expires_ms;
    };
    std::vector<grant_entry> grants_;
    bool ever_granted_ = false;
};

struct cbs_settings {
    sas_key key;
    key_handling handling = key_handling::as_text;
    std::string required_host;                    // IoT Hub front: audience host; "" = any
    std::optional<std::int64_t> max_lifetime_ms;  // caps the life of an accepted token
};

struct cbs_outcome {
    int status_code = 200;
    std::string description;
};

/// Handles one put-token request: checks operation/type/name, verifies the token and, when it is
/// valid, records the grant. The caller sends the reply.
[[nodiscard]] cbs_outcome put_token(const proton::message& request, const cbs_settings& settings,
                                    token_grants& grants, std::int64_t now);

/// Verifies a SAS token for `audience` and returns the grant's expiry (ms), or nullopt and `why`.
/// Shared by put-token and SASL PLAIN on the IoT Hub front.
[[nodiscard]] std::optional<std::int64_t> check_token(std::string_view token,
                                                      std::string_view audience,
                                                      const cbs_settings& settings,
                                                      std::int64_t now, std::string& why);

/// "sb://Ns.servicebus.windows.net/Hub/" -> "ns.servicebus.windows.net/hub".
[[nodiscard]] std::string normalized_resource(std::string_view uri);

/// The path part of a normalized resource ("host/a/b" -> "a/b"; "host" -> "").
[[nodiscard]] std::string_view resource_path(std::string_view normalized);

}  // namespace streamcp::eventhubs_double
