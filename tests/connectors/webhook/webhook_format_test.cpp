// SPDX-License-Identifier: MIT
// Request bodies, record-id headers, Retry-After parsing and the rate limit of the webhook sink.
#include "webhook_format.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "record_id.hpp"
#include "token_bucket.hpp"

namespace streamcp::adapters {
namespace {

const std::vector<std::string> records = {
    R"({"datetime":"2019-11-18T19:00:00+0000","device":"a1","temp":75.5,"AnomalyScore":1e-05})",
    R"({"datetime":"2019-11-18T19:00:10+0000","device":"b\"2","temp":-3,"AnomalyScore":0.25})"};

TEST(WebhookFormat, ArrayIsTheRecordsBytesInAJsonArray) {
    EXPECT_EQ(webhook_body(webhook_format::array, records, {}),
              "[" + records[0] + "," + records[1] + "]");
    EXPECT_EQ(webhook_body(webhook_format::array, {records[0]}, {}), "[" + records[0] + "]");
}

TEST(WebhookFormat, SlackIsOneTextPerBatchWithDeviceTimeValueAndScore) {
    EXPECT_EQ(webhook_body(webhook_format::slack, records, {}),
              R"({"text":"streamcp: 2 anomalies\n)"
              R"(- a1 at 2019-11-18T19:00:00+0000: temp 75.5, score 1e-05\n)"
              R"(- b\\\"2 at 2019-11-18T19:00:10+0000: temp -3, score 0.25"})");
    const slack_fields fields{
        .device = "device", .time = "datetime", .value = "humidity", .score = "Score"};
    EXPECT_EQ(webhook_body(webhook_format::slack, {records[0]}, fields),
              R"({"text":"streamcp: 1 anomaly\n- a1 at 2019-11-18T19:00:00+0000: humidity ?, )"
              R"(score ?"})");
}

TEST(WebhookFormat, RecordIdsAreThePipelineIdsCommaSeparated) {
    EXPECT_EQ(webhook_record_ids(records),
              pipeline::record_id(records[0]) + "," + pipeline::record_id(records[1]));
    EXPECT_EQ(webhook_record_ids({records[1]}).size(), 32U);
}

TEST(WebhookFormat, RetryAfterTakesSecondsOrAnHttpDate) {
    using std::chrono::milliseconds;
    const auto now = std::chrono::system_clock::from_time_t(784111777);  // 1994-11-06 08:49:37Z
    EXPECT_EQ(parse_retry_after("2", now), milliseconds(2000));
    EXPECT_EQ(parse_retry_after(" 0 ", now), milliseconds(0));
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now), milliseconds(3000));
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), milliseconds(0));
    EXPECT_FALSE(parse_retry_after("", now));
    EXPECT_FALSE(parse_retry_after("-1", now));
    EXPECT_FALSE(parse_retry_after("1.5", now));
    EXPECT_FALSE(parse_retry_after("soon", now));
    EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:49:40 PST", now));
}

TEST(WebhookRateLimit, BurstThenOneTokenPerPeriod) {
    using namespace std::chrono_literals;
    const auto start = token_bucket::clock::time_point{} + 1h;
    token_bucket bucket(2.0, 3.0, start);
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(bucket.wait_time(start), token_bucket::clock::duration::zero());
        bucket.take(start);
    }
    EXPECT_EQ(bucket.wait_time(start), 500ms);
    EXPECT_EQ(bucket.wait_time(start + 200ms), 300ms);
    EXPECT_EQ(bucket.wait_time(start + 500ms), token_bucket::clock::duration::zero());
    bucket.take(start + 500ms);
    EXPECT_EQ(bucket.wait_time(start + 500ms), 500ms);
    // Idle time refills only up to the burst.
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(bucket.wait_time(start + 1h), token_bucket::clock::duration::zero());
        bucket.take(start + 1h);
    }
    EXPECT_GT(bucket.wait_time(start + 1h), token_bucket::clock::duration::zero());
}

}  // namespace
}  // namespace streamcp::adapters
