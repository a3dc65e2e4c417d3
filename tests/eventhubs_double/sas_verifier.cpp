// SPDX-License-Identifier: MIT
#include "sas_verifier.hpp"

#include <array>
#include <charconv>
#include <map>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace streamcp::eventhubs_double {
namespace {

constexpr std::string_view token_prefix = "SharedAccessSignature ";

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Splits `a=1&b=2` into raw (still URL-encoded) values.
std::map<std::string, std::string, std::less<>> split_fields(std::string_view text) {
    std::map<std::string, std::string, std::less<>> fields;
    while (!text.empty()) {
        const std::size_t amp = text.find('&');
        const std::string_view field = text.substr(0, amp);
        const std::size_t eq = field.find('=');
        if (eq != std::string_view::npos) {
            fields.emplace(std::string(field.substr(0, eq)), std::string(field.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        text.remove_prefix(amp + 1);
    }
    return fields;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
    return {reinterpret_cast<const char*>(digest.data()), length};
}

}  // namespace

std::string url_decode(std::string_view text) {
    std::string decoded;
    decoded.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
            hex_digit(text[i + 2]) >= 0) {
            decoded.push_back(
                static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
            i += 2;
        } else {
            decoded.push_back(text[i]);
        }
    }
    return decoded;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::string decoded(text.size() / 4 * 3, '\0');
    const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                       reinterpret_cast<const unsigned char*>(text.data()),
                                       static_cast<int>(text.size()));
    if (length < 0) return std::nullopt;
    // EVP_DecodeBlock counts the bytes that padding stands for; drop them.
    std::size_t padding = 0;
    if (text.ends_with("==")) {
        padding = 2;
    } else if (text.ends_with('=')) {
        padding = 1;
    }
    decoded.resize(static_cast<std::size_t>(length) - padding);
    return decoded;
}

std::optional<verified_token> verify_sas_token(std::string_view token, const sas_key& key,
                                               key_handling handling, std::int64_t now_s,
                                               std::string& why) {
    if (!token.starts_with(token_prefix)) {
        why = "not a SharedAccessSignature token";
        return std::nullopt;
    }
    const auto fields = split_fields(token.substr(token_prefix.size()));
    const auto field = [&](std::string_view name) -> const std::string* {
        const auto it = fields.find(name);
        return it == fields.end() ? nullptr : &it->second;
    };
    const std::string* sr = field("sr");
    const std::string* sig = field("sig");
    const std::string* se = field("se");
    const std::string* skn = field("skn");
    if (sr == nullptr || sig == nullptr || se == nullptr) {
        why = "token lacks sr, sig or se";
        return std::nullopt;
    }
    if (skn == nullptr || url_decode(*skn) != key.name) {
        why = "unknown key name (skn)";
        return std::nullopt;
    }
    verified_token verified;
    verified.resource = url_decode(*sr);
    const auto [end, error] =
        std::from_chars(se->data(), se->data() + se->size(), verified.expiry_s);
    if (error != std::errc{} || end != se->data() + se->size()) {
        why = "se is not a number of seconds";
        return std::nullopt;
    }
    std::string hmac_key = key.value;
    if (handling == key_handling::base64_decoded) {
        std::optional<std::string> decoded = base64_decode(key.value);
        if (!decoded) {
            why = "the configured key is not base64";
            return std::nullopt;
        }
        hmac_key = std::move(*decoded);
    }
    const std::string expected = hmac_sha256(hmac_key, *sr + "\n" + *se);
    const std::optional<std::string> given = base64_decode(url_decode(*sig));
    if (!given || given->size() != expected.size() ||
        CRYPTO_memcmp(given->data(), expected.data(), expected.size()) != 0) {
        why = "signature does not match";
        return std::nullopt;
    }
    if (verified.expiry_s <= now_s) {
        why = "token expired (se is in the past)";
        return std::nullopt;
    }
    return verified;
}

}  // namespace streamcp::eventhubs_double
