// SPDX-License-Identifier: MIT
// The AMQP adapters' pure parts: batching, ASA metadata, positions and filters, endpoints.
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "amqp_test_support.hpp"
#include "eventhubs_batcher.hpp"
#include "eventhubs_endpoint.hpp"
#include "eventhubs_metadata.hpp"
#include "eventhubs_position.hpp"
#include "record_id.hpp"

namespace streamcp::test {
namespace {

using adapters::eventhubs_batcher;
using adapters::outgoing_body;

TEST(EventHubsBatcher, LinesFormatSendsOneRecordPerMessageWithItsRecordId) {
    eventhubs_batcher batcher(eventhubs_batcher::format::lines, 1000);
    std::vector<outgoing_body> out;
    batcher.add(R"({"a":1})", std::string_view("k"), out);
    batcher.add(R"({"a":2})", std::nullopt, out);
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[0].body, R"({"a":1})");
    EXPECT_EQ(out[0].partition_key, "k");
    EXPECT_EQ(out[0].id, pipeline::record_id(R"({"a":1})"));
    EXPECT_FALSE(out[1].partition_key);
}

TEST(EventHubsBatcher, ArrayFormatPacksPerKeyUpToTheSizeLimit) {
    eventhubs_batcher batcher(eventhubs_batcher::format::array, 20);
    std::vector<outgoing_body> out;
    batcher.add(R"({"a":1})", std::string_view("x"), out);  // [{"a":1}       9 bytes
    batcher.add(R"({"b":1})", std::string_view("y"), out);
    batcher.add(R"({"a":2})", std::string_view("x"), out);  // [..,{"a":2}]  17 bytes: fits
    EXPECT_TRUE(out.empty());
    batcher.add(R"({"a":3})", std::string_view("x"), out);  // 25 bytes: closes x's array
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].body, R"([{"a":1},{"a":2}])");
    EXPECT_EQ(out[0].records, 2U);
    EXPECT_EQ(out[0].partition_key, "x");
    EXPECT_EQ(out[0].id, pipeline::record_id(out[0].body));
    batcher.flush(out);
    ASSERT_EQ(out.size(), 3U);
    EXPECT_EQ(out[1].body, R"([{"a":3}])");
    EXPECT_EQ(out[2].body, R"([{"b":1}])");
}

TEST(EventHubsBatcher, ARecordLargerThanTheLimitIsAnError) {
    eventhubs_batcher batcher(eventhubs_batcher::format::lines, 8);
    std::vector<outgoing_body> out;
    EXPECT_THROW(batcher.add(R"({"abcdefgh":1})", std::nullopt, out), std::runtime_error);
}

TEST(EventHubsMetadata, AppendsAsaFieldsToTheObject) {
    adapters::event_metadata metadata;
    metadata.enqueued_ms = 1574104296123;  // 2019-11-18T19:11:36.123Z
    metadata.partition_id = "3";
    std::string out;
    adapters::append_with_metadata(out, R"( {"v":1} )", metadata);
    EXPECT_EQ(out,
              R"({"v":1,"EventEnqueuedUtcTime":"2019-11-18T19:11:36.1230000Z","PartitionId":3})");

    metadata.iothub = true;
    metadata.device_id = "dev\"1";
    metadata.iothub_enqueued_ms = 0;
    out.clear();
    adapters::append_with_metadata(out, "{}", metadata);
    EXPECT_EQ(
        out,
        R"({"EventEnqueuedUtcTime":"2019-11-18T19:11:36.1230000Z","PartitionId":3,)"
        R"("IoTHub":{"MessageId":null,"CorrelationId":null,"ConnectionDeviceId":"dev\"1",)"
        R"("ConnectionDeviceGenerationId":null,"EnqueuedTime":"1970-01-01T00:00:00.0000000Z"}})");

    out.clear();
    adapters::append_with_metadata(out, "[1,2]", metadata);  // not an object: unchanged
    EXPECT_EQ(out, "[1,2]");
}

TEST(EventHubsPosition, RoundTripsAndRejectsForeignBytes) {
    const std::vector<adapters::partition_position> positions{{"0", "4096", 12, 1000},
                                                              {"1", "", -1, 0}};
    EXPECT_EQ(adapters::decode_positions(adapters::encode_positions(positions), "src"), positions);
    const std::vector<std::byte> file_position(8, std::byte{1});
    EXPECT_THROW((void)adapters::decode_positions(file_position, "src"), std::runtime_error);
}

TEST(EventHubsPosition, SelectorFollowsCheckpointElseStart) {
    using adapters::start_position;
    const adapters::partition_position fresh{"0", "", -1, 0};
    const adapters::partition_position read{"0", "777", 5, 1};
    const start_position earliest = adapters::parse_start_position("earliest", "source.start");
    EXPECT_EQ(adapters::selector_expression(read, earliest),
              "amqp.annotation.x-opt-offset > '777'");
    EXPECT_EQ(adapters::selector_expression(fresh, earliest),
              "amqp.annotation.x-opt-offset > '-1'");
    EXPECT_EQ(adapters::selector_expression(
                  fresh, adapters::parse_start_position("latest", "source.start")),
              "amqp.annotation.x-opt-offset > '@latest'");
    EXPECT_EQ(adapters::selector_expression(
                  fresh, adapters::parse_start_position("2019-11-18T19:11:36Z", "source.start")),
              "amqp.annotation.x-opt-enqueued-time >= '1574104296000'");
    EXPECT_THROW((void)adapters::parse_start_position("yesterday", "source.start"),
                 std::invalid_argument);
}

TEST(EventHubsEndpoint, EventHubsAndIotHubStringsGetTheirOwnTokenKeys) {
    set_secret("STREAMCP_UNIT_EH",
               "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;"
               "SharedAccessKey=abc=;EntityPath=anomalies");
    const auto eh = adapters::parse_eventhubs_endpoint(
        eventhubs_endpoint("sinks[1]", {{"connection_string_env", "STREAMCP_UNIT_EH"}}), false);
    EXPECT_EQ(eh.mode, adapters::eventhubs_endpoint::kind::eventhubs);
    EXPECT_EQ(eh.peer.url(), "amqps://ns.servicebus.windows.net:5671");
    EXPECT_EQ(eh.hub, "anomalies");
    ASSERT_TRUE(eh.cbs);
    EXPECT_EQ(eh.cbs->audience, "sb://ns.servicebus.windows.net/anomalies");
    EXPECT_EQ(eh.cbs->encoding, adapters::sas_key_encoding::utf8);

    set_secret("STREAMCP_UNIT_IOT",
               "HostName=MyHub.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey=abc=");
    const auto iot = adapters::parse_eventhubs_endpoint(
        eventhubs_endpoint("source", {{"connection_string_env", "STREAMCP_UNIT_IOT"}}), true);
    EXPECT_EQ(iot.mode, adapters::eventhubs_endpoint::kind::iothub);
    EXPECT_EQ(iot.cbs->audience, "myhub.azure-devices.net");
    EXPECT_EQ(iot.cbs->encoding, adapters::sas_key_encoding::base64);
    EXPECT_THROW(
        (void)adapters::parse_eventhubs_endpoint(
            eventhubs_endpoint("sinks[1]", {{"connection_string_env", "STREAMCP_UNIT_IOT"}}),
            false),
        std::invalid_argument);

    const auto generic = adapters::parse_eventhubs_endpoint(
        eventhubs_endpoint("source", {{"broker", "generic"}, {"url", "amqp://127.0.0.1:61616"}}),
        true);
    EXPECT_EQ(generic.mode, adapters::eventhubs_endpoint::kind::generic);
    EXPECT_EQ(generic.peer.url(), "amqp://127.0.0.1:61616");
    EXPECT_FALSE(generic.cbs);
}

}  // namespace
}  // namespace streamcp::test
