// SPDX-License-Identifier: MIT
// Every reject reason with a crafted line, the count invariant, and the ordering policies.
#include <array>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "detect_job.hpp"
#include "seed_query.hpp"
#include "test_sinks.hpp"

namespace streamcp::pipeline {
namespace {

using namespace std::chrono_literals;
using testing::seed_query;
using testing::string_sink;

struct run_result {
    std::vector<std::string> output;
    std::vector<std::string> rejects;
    detect_counts counts;
};

run_result run(const detect_query& query, const std::vector<std::string>& lines) {
    string_sink output;
    string_sink rejects;
    const auto job = make_detect_engine(query, output, &rejects);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto line = testing::padded(lines[i]);
        job->process(std::string_view{line.data(), line.size()}, i + 1);
    }
    job->finish();
    return {output.lines(), rejects.lines(), job->counts()};
}

std::string reason_of(const std::string& reject_line) {
    simdjson::dom::parser parser;
    return std::string{std::string_view{parser.parse(reject_line)["reason"]}};
}

TEST(Rejects, EveryReasonWithACraftedLine) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"temp":1,"datetime":"2019-11-18T19:00:00Z",)", "malformed_json"},
        {R"({"temp":1e400,"datetime":"2019-11-18T19:00:00Z"})", "malformed_json"},
        {R"(["temp",1])", "not_an_object"},
        {R"({"temp":1})", "missing_timestamp"},
        {R"({"temp":1,"datetime":null})", "missing_timestamp"},
        {R"({"temp":1,"datetime":"2019-13-18T19:00:00Z"})", "bad_timestamp"},
        {R"({"temp":1,"datetime":"2019-11-18T19:00:00+2500"})", "bad_timestamp"},
        {R"({"temp":1,"datetime":1574103600})", "bad_timestamp"},
        {R"({"temp":1,"datetime":"0000-12-31T23:59:59.9999999Z"})", "time_out_of_range"},
        {R"({"temp":1,"datetime":"0001-01-01T00:00:00+00:01"})", "time_out_of_range"},
        {R"({"temp":1,"datetime":"10000-01-01T00:00:00Z"})", "bad_timestamp"},  // not YYYY
        {R"({"temp":1,"datetime":"9999-12-31T23:59:59-00:01"})", "time_out_of_range"},
        {R"({"temp":"93.95","datetime":"2019-11-18T19:00:00Z"})", "bad_value"},
        {R"({"temp":true,"datetime":"2019-11-18T19:00:00Z"})", "bad_value"},
        {R"({"temp":3.5e38,"datetime":"2019-11-18T19:00:00Z"})", "value_out_of_range"},
        {R"({"temp":-1e39,"datetime":"2019-11-18T19:00:00Z"})", "value_out_of_range"},
        {R"({"temp":1,"datetime":"2019-11-18T19:00:00Z","device":1.5})", "bad_partition_key"},
        {R"({"temp":1,"datetime":"2019-11-18T19:00:00Z","device":[1]})", "bad_partition_key"},
        {R"({"temp":1,"datetime":"2019-11-18T19:00:00Z","device":18446744073709551615})",
         "bad_partition_key"},
    };
    for (const auto& [line, reason] : cases) {
        const run_result result = run(seed_query(), {line});
        ASSERT_EQ(result.rejects.size(), 1U) << line;
        EXPECT_EQ(reason_of(result.rejects[0]), reason) << line;
        simdjson::dom::parser parser;
        const auto record = parser.parse(result.rejects[0]);
        EXPECT_EQ(std::string_view{record["raw"]}, line);
        EXPECT_EQ(std::int64_t{record["line"]}, 1);
        EXPECT_TRUE(result.output.empty());
    }
    // Epoch numbers in and beyond .NET's range, 0001-01-01 .. 9999-12-31T23:59:59.9999999Z.
    for (const auto& [format, numbers] :
         std::vector<std::pair<timestamp_format, std::vector<std::pair<std::string, bool>>>>{
             {timestamp_format::epoch_seconds,
              {{"-62135596800", true},
               {"253402300799", true},
               {"253402300799.9999", true},
               {"\"253402300799\"", true},
               {"-62135596801", false},
               {"253402300800", false},
               {"\"253402300800\"", false},
               {"1e300", false}}},
             {timestamp_format::epoch_milliseconds,
              {{"-62135596800000", true},
               {"253402300799999", true},
               {"-62135596800001", false},
               {"253402300800000", false}}}}) {
        detect_query query = seed_query();
        query.fields.time_format = format;
        for (const auto& [number, inside] : numbers) {
            const std::string line = R"({"temp":1,"datetime":)" + number + "}";
            const run_result result = run(query, {line});
            if (inside) {
                EXPECT_EQ(result.output.size(), 1U) << line;
            } else {
                ASSERT_EQ(result.rejects.size(), 1U) << line;
                EXPECT_EQ(reason_of(result.rejects[0]), "time_out_of_range") << line;
            }
        }
    }
    // Dropped out-of-order events are the last reason.
    detect_query query = seed_query();
    query.out_of_order = out_of_order_action::drop;
    const run_result dropped = run(query, {R"({"temp":1,"datetime":"2019-11-18T19:00:10Z"})",
                                           R"({"temp":1,"datetime":"2019-11-18T19:00:00Z"})"});
    ASSERT_EQ(dropped.rejects.size(), 1U);
    EXPECT_EQ(reason_of(dropped.rejects[0]), "out_of_order");
}

TEST(Rejects, TheRunContinuesAndTheCountsAddUp) {
    detect_query query = seed_query();
    query.shape.only_anomalies = true;
    std::vector<std::string> lines;
    for (int i = 0; i < 600; ++i) {
        const int second = i % 60;
        const int minute = i / 60;
        std::array<char, 160> line{};
        std::snprintf(line.data(), line.size(),
                      R"({"device":"d%d","temp":%d.5,"datetime":"2019-11-18T19:%02d:%02dZ"})",
                      i % 3, (i > 400 && i % 3 == 0) ? 80 : 20 + i % 5, minute, second);
        lines.emplace_back(line.data());
        if (i % 50 == 0) {
            lines.emplace_back("garbage");
        }
    }
    const run_result result = run(query, lines);
    EXPECT_EQ(result.counts.read, lines.size());
    EXPECT_EQ(result.counts.rejected, 12U);
    EXPECT_GT(result.counts.anomalies, 0U);
    EXPECT_EQ(result.counts.read,
              result.counts.written + result.counts.filtered + result.counts.rejected);
    EXPECT_EQ(result.counts.written, result.output.size());
}

TEST(Fields, MissingOrNullValueIsNullAndMissingKeyIsTheNullKey) {
    const run_result result =
        run(seed_query(), {R"({"datetime":"2019-11-18T19:00:00Z"})",
                           R"({"temp":null,"datetime":"2019-11-18T19:00:00Z","device":"a"})",
                           R"({"temp":2,"datetime":"2019-11-18T19:00:00Z"})"});
    ASSERT_EQ(result.output.size(), 3U);
    EXPECT_NE(result.output[0].find(R"("Score":null,"IsAnomaly":null)"), std::string::npos);
    EXPECT_NE(result.output[1].find(R"("Score":null,"IsAnomaly":null)"), std::string::npos);
    EXPECT_NE(result.output[2].find(R"("IsAnomaly":0)"), std::string::npos);
}

TEST(Fields, WhenIsTrueOnlyForJsonTrue) {
    detect_query query = seed_query();
    query.fields.when = field_path{"ok"};
    const run_result result =
        run(query, {R"({"temp":1,"datetime":"2019-11-18T19:00:00Z","ok":true})",
                    R"({"temp":1,"datetime":"2019-11-18T19:00:00Z","ok":1})",
                    R"({"temp":1,"datetime":"2019-11-18T19:00:00Z","ok":"true"})",
                    R"({"temp":1,"datetime":"2019-11-18T19:00:00Z"})"});
    ASSERT_EQ(result.output.size(), 4U);
    EXPECT_NE(result.output[0].find(R"("IsAnomaly":0)"), std::string::npos);
    for (std::size_t i = 1; i < 4; ++i) {
        EXPECT_NE(result.output[i].find(R"("IsAnomaly":null)"), std::string::npos);
    }
}

/// Scores of a key's events, in output order, from their "Score" fields.
std::vector<std::string> tags(const std::vector<std::string>& output) {
    std::vector<std::string> out;
    simdjson::dom::parser parser;
    out.reserve(output.size());
    for (const std::string& line : output) {
        out.emplace_back(std::string_view{parser.parse(line)["tag"]});
    }
    return out;
}

std::string event(const char* tag, const char* device, const char* time) {
    return std::string{R"({"tag":")"} + tag + R"(","device":")" + device + R"(","temp":)" + "21.5" +
           R"(,"datetime":"2019-11-18T19:)" + time + R"(Z"})";
}

TEST(Ordering, ToleranceZeroKeepsInputOrderAndAdjusts) {
    const run_result result = run(seed_query(), {event("a", "x", "00:10"), event("b", "x", "00:00"),
                                                 event("c", "y", "00:00")});
    EXPECT_EQ(tags(result.output), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(result.counts.rejected, 0U);
}

TEST(Ordering, WithinTheToleranceEventsAreReorderedPerKey) {
    detect_query query = seed_query();
    query.out_of_order_tolerance = 30s;
    const run_result result =
        run(query, {event("a", "x", "00:20"), event("b", "x", "00:10"), event("c", "y", "00:05"),
                    event("d", "x", "00:55"), event("e", "x", "01:30")});
    // x: a(20) b(10) held; d(55) releases b, a (<= 25); e(90) releases d (<= 60); the end
    // releases c(05) then e(90) in time order.
    EXPECT_EQ(tags(result.output), (std::vector<std::string>{"b", "a", "d", "c", "e"}));
}

TEST(Ordering, BeyondTheToleranceAdjustScoresAndDropRejects) {
    detect_query query = seed_query();
    query.out_of_order_tolerance = 10s;
    const std::vector<std::string> lines{event("a", "x", "01:00"), event("b", "x", "00:00"),
                                         event("c", "x", "00:55")};
    const run_result adjusted = run(query, lines);
    EXPECT_EQ(tags(adjusted.output), (std::vector<std::string>{"b", "c", "a"}));
    EXPECT_EQ(adjusted.counts.rejected, 0U);
    query.out_of_order = out_of_order_action::drop;
    const run_result dropped = run(query, lines);
    EXPECT_EQ(tags(dropped.output), (std::vector<std::string>{"c", "a"}));
    EXPECT_EQ(dropped.counts.rejected, 1U);
    EXPECT_EQ(dropped.counts.read,
              dropped.counts.written + dropped.counts.filtered + dropped.counts.rejected);
}

/// An event of `device` at the ISO instant `time`, tagged.
std::string event_at(const char* tag, const char* device, const char* time) {
    return std::string{R"({"tag":")"} + tag + R"(","device":")" + device +
           R"(","temp":21.5,"datetime":")" + time + R"("})";
}

TEST(Ordering, BothEndsOfTheDotnetRangeAreScoredInOrder) {
    // 0001-01-01 and 9999-12-31 lie beyond int64 nanoseconds (1677-09-21 .. 2262-04-11): they
    // are times like any other, and a key's times still order across the whole range.
    detect_query query = seed_query();
    query.out_of_order_tolerance = 1min;
    const run_result result =
        run(query, {event_at("a", "x", "0001-01-01T00:00:00Z"),
                    event_at("b", "x", "9999-12-31T23:59:59.9999999Z"),
                    event_at("c", "x", "9999-12-31T23:59:30Z"),  // late within the tolerance
                    event_at("d", "x", "5000-01-01T00:00:00Z"),  // beyond: adjusted
                    event_at("e", "y", "1677-09-21T00:00:00Z"), event_at("f", "y", "2262-04-12")});
    EXPECT_EQ(result.counts.rejected, 0U);
    EXPECT_EQ(tags(result.output), (std::vector<std::string>{"a", "d", "e", "f", "c", "b"}));
}

TEST(Ordering, LateEventsAcrossTheOldNanosecondLimit) {
    // int64 nanoseconds end at 2262-04-11T23:47:16.854775807Z; the tolerance works across it.
    detect_query query = seed_query();
    query.out_of_order_tolerance = 10min;
    const std::vector<std::string> lines{
        event_at("a", "x", "2262-04-11T23:50:00Z"), event_at("b", "x", "2262-04-11T23:45:00Z"),
        event_at("c", "x", "2262-04-12T00:30:00Z"), event_at("d", "x", "2262-04-12T00:00:00Z")};
    // a and b are held, c releases b then a (<= 00:20); d is later than 00:20: adjusted to it
    // and released at once; the end releases c.
    const run_result adjusted = run(query, lines);
    EXPECT_EQ(tags(adjusted.output), (std::vector<std::string>{"b", "a", "d", "c"}));
    query.out_of_order = out_of_order_action::drop;
    const run_result dropped = run(query, lines);
    EXPECT_EQ(tags(dropped.output), (std::vector<std::string>{"b", "a", "c"}));
    ASSERT_EQ(dropped.rejects.size(), 1U);
    EXPECT_EQ(reason_of(dropped.rejects[0]), "out_of_order");
    // The same before 1677-09-21T00:12:43Z.
    query.out_of_order = out_of_order_action::adjust;
    const run_result early = run(query, {event_at("a", "x", "1677-09-21T00:15:00Z"),
                                         event_at("b", "x", "1677-09-21T00:10:00Z"),
                                         event_at("c", "x", "1677-09-21T00:30:00Z")});
    EXPECT_EQ(tags(early.output), (std::vector<std::string>{"b", "a", "c"}));
}

TEST(Ordering, HeldEventsSurviveASnapshot) {
    detect_query query = seed_query();
    query.out_of_order_tolerance = 1min;
    const std::vector<std::string> lines{event("a", "x", "00:30"), event("b", "x", "00:10"),
                                         event("c", "x", "02:00"), event("d", "x", "01:50")};
    const run_result whole = run(query, lines);
    string_sink first_output;
    const auto first = make_detect_engine(query, first_output, nullptr);
    for (std::size_t i = 0; i < 2; ++i) {
        const auto line = testing::padded(lines[i]);
        first->process(std::string_view{line.data(), line.size()}, i + 1);
    }
    EXPECT_EQ(first->held(), 2U);
    string_sink second_output;
    const auto second = make_detect_engine(query, second_output, nullptr);
    second->load_state(first->save_state());
    for (std::size_t i = 2; i < lines.size(); ++i) {
        const auto line = testing::padded(lines[i]);
        second->process(std::string_view{line.data(), line.size()}, i + 1);
    }
    second->finish();
    EXPECT_EQ(first_output.text + second_output.text, [&] {
        std::string all;
        for (const auto& line : whole.output) {
            all += line + "\n";
        }
        return all;
    }());
}

}  // namespace
}  // namespace streamcp::pipeline
