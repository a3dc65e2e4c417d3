// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: checks SAS tokens the way the services
// do. Deliberately independent of src/adapters (the code under test signs; this code verifies).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamcp::eventhubs_double {

/// How the shared access key becomes the HMAC key: Event Hubs uses the key text's bytes as they
/// are, IoT Hub base64-decodes the key first.
enum class key_handling { as_text, base64_decoded };

struct sas_key {
    std::string name;   // policy name, must equal the token's `skn`
    std::string value;  // the key as shown in the portal / connection string
};

struct verified_token {
    std::string resource;  // URL-decoded `sr`
    std::int64_t expiry_s = 0;
};

/// Verifies `SharedAccessSignature sr=..&sig=..&se=..&skn=..` (fields in any order): `skn` names
/// the key, `sig` = base64(HMAC-SHA256(key, <sr as written in the token> + "\n" + <se>)) and `se`
/// lies after `now_s`. On failure returns nullopt and sets `why` (for status-description).
[[nodiscard]] std::optional<verified_token> verify_sas_token(std::string_view token,
                                                             const sas_key& key,
                                                             key_handling handling,
                                                             std::int64_t now_s, std::string& why);

/// Base64 (standard alphabet, padded) decode; nullopt when `text` is not base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

/// %XX decoding as used in SAS tokens.
[[nodiscard]] std::string url_decode(std::string_view text);

}  // namespace streamcp::eventhubs_double
