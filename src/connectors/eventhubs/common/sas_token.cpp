// SPDX-License-Identifier: MIT
#include "sas_token.hpp"

#include <array>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ascii_case.hpp"

namespace streamcp::adapters {
namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
    const std::size_t at = base64_alphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

std::string url_encode(std::string_view text) {
    static constexpr std::string_view hex = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3);
    for (const char c : text) {
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(hex[byte >> 4]);
            out.push_back(hex[byte & 0x0F]);
        }
    }
    return out;
}

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group =
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
            static_cast<unsigned char>(bytes[i + 2]);
        out.push_back(base64_alphabet[group >> 18]);
        out.push_back(base64_alphabet[(group >> 12) & 0x3F]);
        out.push_back(base64_alphabet[(group >> 6) & 0x3F]);
        out.push_back(base64_alphabet[group & 0x3F]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]))
                              << 16;
        if (rest == 2) {
            group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        }
        out.push_back(base64_alphabet[group >> 18]);
        out.push_back(base64_alphabet[(group >> 12) & 0x3F]);
        out.push_back(rest == 2 ? base64_alphabet[(group >> 6) & 0x3F] : '=');
        out.push_back('=');
    }
    return out;
}

std::string base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        throw std::invalid_argument("not base64: the length (" + std::to_string(text.size()) +
                                    ") is not a multiple of 4");
    }
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        std::array<int, 4> values{};
        std::size_t padding = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            if (c == '=' && last && j >= 2) {
                ++padding;
                values[j] = 0;
                continue;
            }
            values[j] = base64_value(c);
            if (values[j] < 0 || padding > 0) {
                throw std::invalid_argument("not base64: invalid character at position " +
                                            std::to_string(i + j));
            }
        }
        const auto group = static_cast<std::uint32_t>(values[0] << 18 | values[1] << 12 |
                                                      values[2] << 6 | values[3]);
        out.push_back(static_cast<char>(group >> 16));
        if (padding < 2) {
            out.push_back(static_cast<char>((group >> 8) & 0xFF));
        }
        if (padding < 1) {
            out.push_back(static_cast<char>(group & 0xFF));
        }
    }
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    // An empty key needs a non-null pointer: HMAC() treats a null key as "reuse the last one".
    static constexpr unsigned char empty = 0;
    const auto* key_bytes =
        key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
    if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
             &length) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
    }
    return {reinterpret_cast<const char*>(digest.data()), length};
}

std::string make_sas_token(std::string_view resource_uri, std::string_view key,
                           sas_key_encoding encoding, std::chrono::system_clock::time_point expiry,
                           std::string_view policy_name) {
    if (resource_uri.empty()) {
        throw std::invalid_argument("SAS token: the resource URI is empty");
    }
    if (key.empty()) {
        throw std::invalid_argument("SAS token: the shared access key is empty");
    }
    std::string hmac_key;
    if (encoding == sas_key_encoding::base64) {
        try {
            hmac_key = base64_decode(key);
        } catch (const std::invalid_argument& error) {
            throw std::invalid_argument(
                std::string("SAS token: an IoT Hub shared access key must be base64 (") +
                error.what() + ")");
        }
    } else {
        hmac_key = std::string(key);
    }
    const std::string seconds = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(expiry.time_since_epoch()).count());
    const std::string encoded_uri = url_encode(resource_uri);
    const std::string signature =
        base64_encode(hmac_sha256(hmac_key, encoded_uri + "\n" + seconds));
    std::string token = "SharedAccessSignature sr=" + encoded_uri +
                        "&sig=" + url_encode(signature) + "&se=" + seconds;
    if (!policy_name.empty()) {
        token += "&skn=";
        token += url_encode(policy_name);
    }
    return token;
}

std::string iothub_resource_uri(std::string_view host, std::string_view device_id) {
    std::string uri = lower_ascii(host);
    if (!device_id.empty()) {
        uri += "/devices/";
        uri += device_id;
    }
    return uri;
}

std::string eventhubs_resource_uri(std::string_view host, std::string_view entity) {
    std::string uri = "sb://" + lower_ascii(host) + "/";
    uri += entity;
    return uri;
}

}  // namespace streamcp::adapters
