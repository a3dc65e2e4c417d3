// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace streamcp::adapters {

/// How a shared access key becomes the HMAC key. The same IoT Hub policy key is used both ways,
/// depending on which host the token is for.
enum class sas_key_encoding {
    base64,  ///< IoT Hub (service and device tokens): the key is base64-decoded first.
    utf8,  ///< Event Hubs / Service Bus (incl. IoT Hub's Event Hubs-compatible endpoint): as given.
};

/// `SharedAccessSignature sr=<enc uri>&sig=<enc base64 HMAC-SHA256>&se=<expiry>[&skn=<policy>]`,
/// signing `<enc uri>\n<expiry>`. `resource_uri` is taken as given and URL-encoded here; build it
/// with `iothub_resource_uri` or `eventhubs_resource_uri`. Device tokens pass no policy name.
/// Throws `std::invalid_argument` for an empty key or URI, or a key that is not base64 when
/// `base64` is asked for (the message never contains the key).
[[nodiscard]] std::string make_sas_token(std::string_view resource_uri, std::string_view key,
                                         sas_key_encoding encoding,
                                         std::chrono::system_clock::time_point expiry,
                                         std::string_view policy_name = {});

/// IoT Hub's resource URI: the lower-cased host (`<hub>.azure-devices.net`), plus
/// `/devices/<id>` for a device token (the device id keeps its case: ids are case-sensitive).
[[nodiscard]] std::string iothub_resource_uri(std::string_view host,
                                              std::string_view device_id = {});

/// Event Hubs' resource URI: `sb://<host>/<entity>` (or the namespace `sb://<host>/` without an
/// entity), host lower-cased.
[[nodiscard]] std::string eventhubs_resource_uri(std::string_view host,
                                                 std::string_view entity = {});

/// Percent-encodes everything except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), with
/// upper-case hex digits, as `encodeURIComponent` / `quote_plus` do for these inputs.
[[nodiscard]] std::string url_encode(std::string_view text);

/// Standard base64 (RFC 4648, with padding).
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// Decodes standard base64 (padding required, no whitespace). Throws `std::invalid_argument`
/// (saying what is wrong, not echoing the input) when `text` is not base64.
[[nodiscard]] std::string base64_decode(std::string_view text);

/// HMAC-SHA256 of `message` under `key`: 32 raw bytes.
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view message);

}  // namespace streamcp::adapters
