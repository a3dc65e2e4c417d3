// SPDX-License-Identifier: MIT
// IoT Hub routing's Avro records: the EnqueuedTimeUtc text, sync markers, and the container's
// framing (magic, metadata, blocks); fastavro reads whole files in tests/python.
#include "iothub_avro.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace streamcp::adapters {
namespace {

using namespace std::chrono_literals;

event_time at(std::chrono::sys_days day, std::chrono::nanoseconds since_midnight) {
    return to_event_time(day + since_midnight);  // finer than ticks: truncated
}

TEST(IotHubAvro, EnqueuedTimeHasSevenFractionDigitsAndZ) {
    using std::chrono::November;
    const auto day = std::chrono::sys_days{2019y / November / 18};
    EXPECT_EQ(iothub_enqueued_time(at(day, 19h)), "2019-11-18T19:00:00.0000000Z");
    EXPECT_EQ(iothub_enqueued_time(at(day, 19h + 5s + 123456789ns)),
              "2019-11-18T19:00:05.1234567Z");  // 100 ns ticks; finer digits are dropped
    EXPECT_EQ(iothub_enqueued_time(at(std::chrono::sys_days{1969y / std::chrono::December / 31},
                                      23h + 59min + 59s + 900ms)),
              "1969-12-31T23:59:59.9000000Z");
    // Both ends of .NET's range, beyond int64 nanoseconds (1677-09-21 .. 2262-04-11).
    EXPECT_EQ(iothub_enqueued_time(min_event_time), "0001-01-01T00:00:00.0000000Z");
    EXPECT_EQ(iothub_enqueued_time(max_event_time), "9999-12-31T23:59:59.9999999Z");
}

TEST(IotHubAvro, SyncMarkerDependsOnlyOnTheFileName) {
    EXPECT_EQ(avro_sync_marker_for("hub/0/2019/11/18/19/00-0000.avro"),
              avro_sync_marker_for("hub/0/2019/11/18/19/00-0000.avro"));
    EXPECT_NE(avro_sync_marker_for("hub/0/2019/11/18/19/00-0000.avro"),
              avro_sync_marker_for("hub/0/2019/11/18/19/00-0001.avro"));
}

TEST(IotHubAvro, HeaderAndBlockFraming) {
    iothub_avro_encoder encoder;
    const avro_sync_marker sync = avro_sync_marker_for("x");
    const std::string header = encoder.header(sync);
    EXPECT_EQ(header.substr(0, 4), std::string("Obj\x01", 4));
    EXPECT_NE(header.find(std::string(iothub_avro_encoder::schema_json())), std::string::npos);
    EXPECT_NE(header.find("avro.codec\x08null"), std::string::npos);  // zigzag 4 = 0x08
    EXPECT_EQ(header.substr(header.size() - 16), std::string(sync.data(), sync.size()));

    std::string records;
    encoder.append(records, "{}", event_time{});
    // EnqueuedTimeUtc (zigzag 28 = 0x38 + 28 chars), two empty maps, branch 1 (0x02), 2 bytes.
    EXPECT_EQ(records, std::string("\x38"
                                   "1970-01-01T00:00:00.0000000Z"
                                   "\x00\x00\x02\x04{}",
                                   35));
    const std::string block = encoder.block(records, 1, sync);
    EXPECT_EQ(block, std::string("\x02\x46", 2) + records + std::string(sync.data(), 16));
}

}  // namespace
}  // namespace streamcp::adapters
