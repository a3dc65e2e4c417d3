// SPDX-License-Identifier: MIT
// Unit tests of the Event Hubs test double's pure parts: selector filters, SAS verification,
// token coverage and MQTT topics. The SAS tokens are signed here, independently of the double.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cbs.hpp"
#include "event_store.hpp"
#include "mqtt_bridge.hpp"
#include "partition_key_hash.hpp"
#include "sas_verifier.hpp"
#include "start_position.hpp"

namespace streamcp::eventhubs_double {
namespace {

std::string sign(const std::string& encoded_resource, std::int64_t expiry, const std::string& key) {
    const std::string data = encoded_resource + "\n" + std::to_string(expiry);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
    std::string base64(4 * ((length + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()),
                                        digest.data(), static_cast<int>(length));
    base64.resize(static_cast<std::size_t>(written));
    std::string encoded;  // sig is URL-encoded in the token
    for (char c : base64) {
        if (c == '+')
            encoded += "%2B";
        else if (c == '/')
            encoded += "%2F";
        else if (c == '=')
            encoded += "%3D";
        else
            encoded += c;
    }
    return encoded;
}

std::string token(const std::string& encoded_resource, std::int64_t expiry, const std::string& key,
                  const std::string& key_name) {
    return "SharedAccessSignature sr=" + encoded_resource +
           "&sig=" + sign(encoded_resource, expiry, key) + "&se=" + std::to_string(expiry) +
           "&skn=" + key_name;
}

TEST(SelectorFilter, ParsesTheAzureSdkForms) {
    auto p = parse_selector("amqp.annotation.x-opt-offset > '120'");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->what, start_position::kind::offset);
    EXPECT_EQ(p->value, 120);
    EXPECT_FALSE(p->inclusive);
    p = parse_selector("amqp.annotation.x-opt-sequence-number >= '7'");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->what, start_position::kind::sequence_number);
    EXPECT_TRUE(p->inclusive);
    p = parse_selector("amqp.annotation.x-opt-enqueued-time > 1700000000000");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->what, start_position::kind::enqueued_time);
    EXPECT_EQ(p->value, 1700000000000);
    EXPECT_EQ(parse_selector("amqp.annotation.x-opt-offset > '-1'")->what,
              start_position::kind::stream_start);
    EXPECT_EQ(parse_selector("amqp.annotation.x-opt-offset > '@latest'")->what,
              start_position::kind::latest);
    EXPECT_FALSE(parse_selector("color = 'red'"));
    EXPECT_FALSE(parse_selector("amqp.annotation.x-opt-offset < '5'"));
}

TEST(SelectorFilter, SelectsTheFirstEventAfterThePosition) {
    partition_log log;
    for (const char* body : {"aaaa", "bb", "c"}) {
        stored_event event;
        event.body = body;
        log.append(event);
    }
    EXPECT_EQ(log.at(1).offset, 4U);
    EXPECT_EQ(log.at(2).offset, 6U);
    EXPECT_EQ(first_index(log, *parse_selector("amqp.annotation.x-opt-offset > '4'")), 2U);
    EXPECT_EQ(first_index(log, *parse_selector("amqp.annotation.x-opt-offset >= '4'")), 1U);
    EXPECT_EQ(first_index(log, *parse_selector("amqp.annotation.x-opt-sequence-number > '0'")), 1U);
    EXPECT_EQ(first_index(log, *parse_selector("amqp.annotation.x-opt-offset > '-1'")), 0U);
    EXPECT_EQ(first_index(log, *parse_selector("amqp.annotation.x-opt-offset > '@latest'")), 3U);
}

TEST(SasVerifier, EventHubsKeyIsUsedAsText) {
    const sas_key key{"send", "not-base64-key!"};
    const std::string resource = "sb%3A%2F%2Fns.servicebus.windows.net%2Fhub";
    std::string why;
    const auto ok = verify_sas_token(token(resource, 2000, key.value, "send"), key,
                                     key_handling::as_text, 1000, why);
    ASSERT_TRUE(ok) << why;
    EXPECT_EQ(ok->resource, "sb://ns.servicebus.windows.net/hub");
    EXPECT_FALSE(verify_sas_token(token(resource, 2000, "other", "send"), key,
                                  key_handling::as_text, 1000, why));
    EXPECT_FALSE(verify_sas_token(token(resource, 2000, key.value, "listen"), key,
                                  key_handling::as_text, 1000, why));
    EXPECT_FALSE(verify_sas_token(token(resource, 900, key.value, "send"), key,
                                  key_handling::as_text, 1000, why));
    EXPECT_NE(why.find("expired"), std::string::npos);
}

TEST(SasVerifier, IotHubKeyIsBase64Decoded) {
    const sas_key key{"service", "c2VjcmV0LWtleQ=="};  // base64 of "secret-key"
    std::string why;
    EXPECT_TRUE(verify_sas_token(token("localhub.azure-devices.net", 2000, "secret-key", "service"),
                                 key, key_handling::base64_decoded, 1000, why))
        << why;
    // Signing with the key text (the Event Hubs way) must fail on the IoT Hub host.
    EXPECT_FALSE(verify_sas_token(token("localhub.azure-devices.net", 2000, key.value, "service"),
                                  key, key_handling::base64_decoded, 1000, why));
}

TEST(TokenGrants, CoverEntitiesUnderTheAudienceUntilExpiry) {
    token_grants grants;
    grants.grant(std::string(resource_path(normalized_resource("sb://ns/Hub"))), 5000);
    EXPECT_TRUE(grants.covers("hub/ConsumerGroups/$Default/Partitions/0", 1000));
    EXPECT_TRUE(grants.covers("hub", 1000));
    EXPECT_FALSE(grants.covers("hubx", 1000));
    EXPECT_FALSE(grants.covers("hub", 5000));
    grants.grant("hub", 9000);  // renewal
    EXPECT_TRUE(grants.covers("hub", 5000));
    grants.expire_all();
    EXPECT_FALSE(grants.covers("hub", 5000));
}

TEST(MqttTopic, ReadsDeviceAndPropertyBag) {
    const auto event = event_from_topic(
        "devices/dev%2D1/messages/events/$.ct=application%2Fjson&$.ce=utf-8&level=high");
    ASSERT_TRUE(event);
    EXPECT_EQ(event->device_id, "dev-1");
    EXPECT_EQ(event->content_type, "application/json");
    EXPECT_EQ(event->content_encoding, "utf-8");
    EXPECT_EQ(proton::get<std::string>(event->application_properties.get("level")), "high");
    EXPECT_TRUE(event_from_topic("devices/d/messages/events/"));
    EXPECT_TRUE(event_from_topic("devices/d/messages/events"));
    EXPECT_FALSE(event_from_topic("devices/d/messages/devicebound/x"));
}

TEST(PartitionForKey, IsStableAndInRange) {
    EXPECT_EQ(partition_for_key("device-7", 4), partition_for_key("device-7", 4));
    for (int i = 0; i < 100; ++i) EXPECT_LT(partition_for_key(std::to_string(i), 3), 3U);
}

// Hash codes printed by azure-eventhub 5.15.1's generate_hash_code (its buffered producer's
// resolver); the keys cover every tail length of lookup3 (0..12 bytes) and several full blocks.
// tests/eventhubs_double/sdk_interop/test_partition_mapping.py compares thousands more.
TEST(PartitionForKey, HashCodeMatchesTheAzureSdk) {
    const std::pair<std::string_view, std::int16_t> expected[] = {
        {"", 0},
        {"a", -16220},
        {"ab", 2093},
        {"abc", -14161},
        {"abcd", 23398},
        {"device-1", 26788},
        {"device-7", 28322},
        {"abcdefghijk", -2676},
        {"abcdefghijkl", -2373},
        {"abcdefghijklm", -31855},
        {"sensor-000000000000000000042", 16127},
        {"The quick brown fox jumps over the lazy dog", -31937},
    };
    for (const auto& [key, hash_code] : expected) {
        EXPECT_EQ(partition_key_hash_code(key), hash_code) << key;
    }
}

// Azure (and the .NET / Java resolvers) take |hash % count| with a truncating remainder.
TEST(PartitionForKey, NegativeHashCodesUseTheTruncatingRemainder) {
    EXPECT_EQ(partition_for_key("a", 4), 0U);    // -16220 % 4 == 0
    EXPECT_EQ(partition_for_key("abc", 4), 1U);  // -14161 % 4 == -1
    EXPECT_EQ(partition_for_key("abc", 32), 17U);
    EXPECT_EQ(partition_for_key("abcd", 3), 1U);  // 23398 % 3
    EXPECT_EQ(partition_for_key("", 7), 0U);
}

}  // namespace
}  // namespace streamcp::eventhubs_double
