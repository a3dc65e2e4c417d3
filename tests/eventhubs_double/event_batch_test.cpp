// SPDX-License-Identifier: MIT
// Batches (format 0x80013700) and plain messages as the double reads them from encoded bytes.
#include "event_batch.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <proton/annotation_key.hpp>
#include <proton/binary.hpp>
#include <proton/message.hpp>
#include <proton/symbol.hpp>

namespace streamcp::eventhubs_double {
namespace {

std::string encoded(proton::message message) {
    std::vector<char> bytes;
    message.encode(bytes);
    return {bytes.begin(), bytes.end()};
}

proton::message event(const std::string& body, const std::string& id) {
    proton::message message;
    message.body(proton::binary(body));
    message.inferred(true);
    message.id(id);
    message.content_type("application/json");
    message.properties().put("n", id);
    return message;
}

// A data section (0x00 0x53 0x75) holding `payload` as vbin32.
std::string data_section(const std::string& payload) {
    std::string bytes{'\0', '\x53', '\x75', '\xb0'};
    const auto size = static_cast<std::uint32_t>(payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(size >> shift));
    return bytes + payload;
}

// How the Azure SDKs build a batch: the batch's annotations, then one data section per event.
std::string batch(const std::vector<std::string>& inner, const std::string& key) {
    proton::message outer;
    outer.message_annotations().put(proton::symbol("x-opt-partition-key"), key);
    outer.body(proton::binary(inner.front()));
    outer.inferred(true);
    std::string bytes = encoded(outer);
    for (std::size_t i = 1; i < inner.size(); ++i) bytes += data_section(inner[i]);
    return bytes;
}

TEST(EventBatch, SplitsIntoEventsWithTheirOwnPropertiesAndTheBatchKey) {
    const sent_events sent = read_sent_message(
        batch({encoded(event(R"({"a":1})", "m1")), encoded(event(R"({"a":2})", "m2")),
               encoded(event(R"({"a":3})", "m3"))},
              "device-9"));
    ASSERT_TRUE(sent.error_condition.empty()) << sent.error_description;
    EXPECT_TRUE(sent.batch);
    ASSERT_EQ(sent.events.size(), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        const std::string n = std::to_string(i + 1);
        EXPECT_EQ(sent.events[i].body, R"({"a":)" + n + "}");
        EXPECT_EQ(proton::get<std::string>(sent.events[i].message_id), "m" + n);
        EXPECT_EQ(proton::get<std::string>(sent.events[i].application_properties.get("n")),
                  "m" + n);
        EXPECT_EQ(sent.events[i].content_type, "application/json");
        EXPECT_EQ(sent.events[i].partition_key, "device-9");
    }
}

TEST(EventBatch, OneEventBatchIsABatch) {
    const sent_events sent = read_sent_message(batch({encoded(event("x", "only"))}, "k"));
    ASSERT_TRUE(sent.error_condition.empty()) << sent.error_description;
    ASSERT_EQ(sent.events.size(), 1U);
    EXPECT_EQ(sent.events[0].body, "x");
    EXPECT_EQ(sent.events[0].partition_key, "k");
}

TEST(EventBatch, MalformedEventRefusesTheWholeBatch) {
    const std::string good = encoded(event("x", "m"));
    for (const std::string& bad : {std::string("plain bytes"), good.substr(0, good.size() - 2),
                                   std::string("\0\x53\x75", 3), good + good}) {
        const sent_events sent = read_sent_message(batch({good, bad, good}, "k"));
        EXPECT_EQ(sent.error_condition, "amqp:decode-error");
        EXPECT_NE(sent.error_description.find("batch event 1"), std::string::npos)
            << sent.error_description;
        EXPECT_TRUE(sent.events.empty());
    }
}

TEST(EventBatch, PlainMessageIsOneEvent) {
    proton::message plain = event(R"({"t":1})", "p");
    plain.message_annotations().put(proton::symbol("x-opt-partition-key"), "dev");
    const sent_events sent = read_sent_message(encoded(plain));
    ASSERT_TRUE(sent.error_condition.empty()) << sent.error_description;
    EXPECT_FALSE(sent.batch);
    ASSERT_EQ(sent.events.size(), 1U);
    EXPECT_EQ(sent.events[0].body, R"({"t":1})");
    EXPECT_EQ(sent.events[0].partition_key, "dev");
}

TEST(EventBatch, PlainMessageWithSeveralDataSectionsIsRefused) {
    const sent_events sent =
        read_sent_message(encoded(event("part one", "p")) + data_section("part two"));
    EXPECT_EQ(sent.error_condition, "amqp:not-implemented");
    EXPECT_TRUE(sent.events.empty());
}

TEST(EventBatch, TruncatedMessageIsADecodeError) {
    const std::string bytes = encoded(event("some body", "p"));
    const sent_events sent = read_sent_message(bytes.substr(0, bytes.size() - 3));
    EXPECT_EQ(sent.error_condition, "amqp:decode-error");
    EXPECT_TRUE(sent.events.empty());
}

}  // namespace
}  // namespace streamcp::eventhubs_double
