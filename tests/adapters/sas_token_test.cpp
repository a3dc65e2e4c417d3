// SPDX-License-Identifier: MIT
// SAS tokens checked against signatures computed outside our code: Python's hmac/base64/urllib
// (run through popen, following Microsoft's documented Python sample) and fixed vectors from
// the openssl command line.
#include "sas_token.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using streamcp::adapters::base64_decode;
using streamcp::adapters::base64_encode;
using streamcp::adapters::eventhubs_resource_uri;
using streamcp::adapters::iothub_resource_uri;
using streamcp::adapters::make_sas_token;
using streamcp::adapters::sas_key_encoding;
using streamcp::adapters::url_encode;

std::chrono::system_clock::time_point at_seconds(long long seconds) {
    return std::chrono::system_clock::time_point{std::chrono::seconds{seconds}};
}

struct token_case {
    std::string uri;
    std::string key;
    bool base64_key = true;
    long long expiry = 0;
    std::string policy;
};

/// The tokens as Microsoft's Python sample builds them (authenticate-authorize-sas.md), run by
/// one python3 process: quote_plus(uri), HMAC-SHA256 keyed by b64decode(key) (IoT Hub) or the
/// key's UTF-8 bytes (Event Hubs), then urlencode of sr/sig/se[/skn]; one token per line.
/// Arguments must not contain single quotes.
std::vector<std::string> python_tokens(const std::vector<token_case>& cases) {
    const std::string script =
        "import sys, hmac, hashlib, base64, urllib.parse as u\n"
        "a = sys.argv[1:]\n"
        "for i in range(0, len(a), 5):\n"
        "    uri, key, mode, se, skn = a[i:i + 5]\n"
        "    k = base64.b64decode(key, validate=True) if mode == 'b64' else key.encode()\n"
        "    sig = base64.b64encode(hmac.new(k, (u.quote_plus(uri) + '\\n' + se).encode(),"
        " hashlib.sha256).digest()).decode()\n"
        "    t = 'SharedAccessSignature sr=' + u.quote_plus(uri) + '&sig=' + u.quote_plus(sig)"
        " + '&se=' + se\n"
        "    t += ('&skn=' + u.quote_plus(skn)) if skn else ''\n"
        "    print(t)\n";
    ::setenv("STREAMCP_SAS_SCRIPT", script.c_str(), 1);
    std::string command = "python3 -c \"$STREAMCP_SAS_SCRIPT\"";
    for (const token_case& c : cases) {
        command += " '" + c.uri + "' '" + c.key + "' " + (c.base64_key ? "b64" : "utf8") + " " +
                   std::to_string(c.expiry) + " '" + c.policy + "'";
    }
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error("cannot run python3");
    }
    std::string out;
    std::array<char, 512> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        out.append(buffer.data(), n);
    }
    if (::pclose(pipe) != 0) {
        throw std::runtime_error("python3 failed for: " + command);
    }
    std::vector<std::string> tokens;
    for (std::size_t at = 0; at < out.size();) {
        const std::size_t newline = out.find('\n', at);
        tokens.push_back(out.substr(at, newline - at));
        at = newline == std::string::npos ? out.size() : newline + 1;
    }
    return tokens;
}

std::vector<std::string> our_tokens(const std::vector<token_case>& cases) {
    std::vector<std::string> tokens;
    for (const token_case& c : cases) {
        tokens.push_back(make_sas_token(
            c.uri, c.key, c.base64_key ? sas_key_encoding::base64 : sas_key_encoding::utf8,
            at_seconds(c.expiry), c.policy));
    }
    return tokens;
}

std::string random_bytes(std::mt19937_64& random, std::size_t size) {
    std::string out(size, '\0');
    for (char& c : out) {
        c = static_cast<char>(random() & 0xFF);
    }
    return out;
}

TEST(SasToken, KnownAnswerIotHubDeviceToken) {
    // Key = base64("streamcp-test-device-key-32bytes"). Signature computed with:
    // printf 'localhub.azure-devices.net%%2Fdevices%%2Fiotsim\n1893456000' | openssl dgst -sha256
    //   -mac HMAC -macopt hexkey:$(printf 'streamcp-test-device-key-32bytes' | xxd -p -c 64)
    //   -binary | base64
    // -> /fiGu1oo5GcCtBchJ74yA9S3nUw1ru/Dd1ba1lUuUe4=
    const std::string token =
        make_sas_token(iothub_resource_uri("LocalHub.azure-devices.net", "iotsim"),
                       "c3RyZWFtY3AtdGVzdC1kZXZpY2Uta2V5LTMyYnl0ZXM=", sas_key_encoding::base64,
                       at_seconds(1893456000));
    EXPECT_EQ(token,
              "SharedAccessSignature sr=localhub.azure-devices.net%2Fdevices%2Fiotsim"
              "&sig=%2FfiGu1oo5GcCtBchJ74yA9S3nUw1ru%2FDd1ba1lUuUe4%3D&se=1893456000");
}

TEST(SasToken, KnownAnswerEventHubsTokenUsesTheKeyTextAsGiven) {
    // printf 'sb%%3A%%2F%%2Flocalns.servicebus.windows.net%%2Fanomalies\n1893456000' |
    //   openssl dgst -sha256 -hmac 'c3RyZWFtY3AtZXZlbnRodWJzLWtleQ==' -binary | base64
    // -> D55KiZkqEK9VYCrPazc3gfHGZPgfULzboTVpH1tVOEo=
    const std::string token =
        make_sas_token(eventhubs_resource_uri("localns.servicebus.windows.net", "anomalies"),
                       "c3RyZWFtY3AtZXZlbnRodWJzLWtleQ==", sas_key_encoding::utf8,
                       at_seconds(1893456000), "RootManageSharedAccessKey");
    EXPECT_EQ(token,
              "SharedAccessSignature sr=sb%3A%2F%2Flocalns.servicebus.windows.net%2Fanomalies"
              "&sig=D55KiZkqEK9VYCrPazc3gfHGZPgfULzboTVpH1tVOEo%3D&se=1893456000"
              "&skn=RootManageSharedAccessKey");
}

TEST(SasToken, MatchesPythonForRandomIotHubKeys) {
    std::mt19937_64 random{7};
    std::vector<token_case> cases;
    for (int i = 0; i < 10; ++i) {
        const std::string key = base64_encode(random_bytes(random, 16 + random() % 33));
        const std::string device = "dev-" + std::to_string(random() % 1000) + "_A.b~c";
        const long long expiry = 1'700'000'000 + static_cast<long long>(random() % 100'000'000);
        cases.push_back(
            {iothub_resource_uri("myhub.azure-devices.net", device), key, true, expiry, ""});
        // A service token for the same hub, with the policy name.
        cases.push_back(
            {iothub_resource_uri("myhub.azure-devices.net"), key, true, expiry, "iothubowner"});
    }
    EXPECT_EQ(our_tokens(cases), python_tokens(cases));
}

TEST(SasToken, MatchesPythonForRandomEventHubsKeys) {
    std::mt19937_64 random{11};
    std::vector<token_case> cases;
    for (int i = 0; i < 10; ++i) {
        const std::string key = base64_encode(random_bytes(random, 32));
        const long long expiry = 1'700'000'000 + static_cast<long long>(random() % 100'000'000);
        cases.push_back({eventhubs_resource_uri("ns.servicebus.windows.net", "hub-1"), key, false,
                         expiry, "send"});
    }
    EXPECT_EQ(our_tokens(cases), python_tokens(cases));
}

TEST(SasToken, SameKeyDiffersByEncoding) {
    const std::string key = "c3RyZWFtY3AtdGVzdC1kZXZpY2Uta2V5LTMyYnl0ZXM=";
    const auto expiry = at_seconds(1893456000);
    EXPECT_NE(make_sas_token("h", key, sas_key_encoding::base64, expiry),
              make_sas_token("h", key, sas_key_encoding::utf8, expiry));
}

TEST(SasToken, DeviceTokenHasNoPolicyName) {
    const std::string token = make_sas_token("hub.azure-devices.net/devices/d", "AAAA",
                                             sas_key_encoding::base64, at_seconds(1));
    EXPECT_EQ(token.find("skn="), std::string::npos);
    EXPECT_NE(token.find("&se=1"), std::string::npos);
}

TEST(SasToken, RejectsBadKeysWithoutEchoingThem) {
    const std::string secret = "not*base64*secret";
    try {
        (void)make_sas_token("h", secret, sas_key_encoding::base64, at_seconds(1));
        FAIL() << "expected std::invalid_argument";
    } catch (const std::invalid_argument& error) {
        EXPECT_EQ(std::string(error.what()).find(secret), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("base64"), std::string::npos) << error.what();
    }
    EXPECT_THROW((void)make_sas_token("h", "", sas_key_encoding::utf8, at_seconds(1)),
                 std::invalid_argument);
    EXPECT_THROW((void)make_sas_token("", "k", sas_key_encoding::utf8, at_seconds(1)),
                 std::invalid_argument);
}

TEST(SasToken, ResourceUris) {
    EXPECT_EQ(iothub_resource_uri("MyHub.Azure-Devices.NET", "Dev1"),
              "myhub.azure-devices.net/devices/Dev1");
    EXPECT_EQ(iothub_resource_uri("MyHub.azure-devices.net"), "myhub.azure-devices.net");
    EXPECT_EQ(eventhubs_resource_uri("NS.servicebus.windows.net", "hub"),
              "sb://ns.servicebus.windows.net/hub");
    EXPECT_EQ(eventhubs_resource_uri("ns.servicebus.windows.net"),
              "sb://ns.servicebus.windows.net/");
}

TEST(UrlEncode, KeepsUnreservedAndEncodesTheRestUpperCase) {
    EXPECT_EQ(url_encode("aZ09-._~"), "aZ09-._~");
    EXPECT_EQ(url_encode("a/b:c=d+e f;g"), "a%2Fb%3Ac%3Dd%2Be%20f%3Bg");
    EXPECT_EQ(url_encode("\xC3\xA9"), "%C3%A9");
    EXPECT_EQ(url_encode("application/json;charset=utf-8"), "application%2Fjson%3Bcharset%3Dutf-8");
}

TEST(Base64, RoundTripsEveryLengthAndMatchesKnownText) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    std::mt19937_64 random{3};
    for (std::size_t size = 0; size < 40; ++size) {
        const std::string bytes = random_bytes(random, size);
        EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << size;
    }
    EXPECT_THROW((void)base64_decode("abc"), std::invalid_argument);
    EXPECT_THROW((void)base64_decode("ab=c"), std::invalid_argument);
    EXPECT_THROW((void)base64_decode("a==="), std::invalid_argument);
    EXPECT_THROW((void)base64_decode("ab!d"), std::invalid_argument);
}

}  // namespace
