// SPDX-License-Identifier: MIT
// The pipeline against the library on the same events, through the runtime's API.
#include "detect_job.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <streamcp/streamcp.hpp>

#include "json_text.hpp"
#include "test_sinks.hpp"
#include "timestamp_parse.hpp"

namespace streamcp::pipeline {
namespace {

using namespace std::chrono_literals;
using testing::string_sink;

struct generated_event {
    partition_key key;
    event_time time;
    std::optional<double> value;
    bool when;
    std::string line;
};

std::string key_json(const partition_key& key) {
    if (const auto* text = std::get_if<std::string>(&key)) {
        std::string out;
        append_json_string(out, *text);
        return out;
    }
    if (const auto* number = std::get_if<std::int64_t>(&key)) {
        return std::to_string(*number);
    }
    return "null";
}

/// Keys of every kind (1 and "1" differ), NULL values, WHEN false, gaps that impute, and a
/// spacing (30 min / history 7) whose interval does not divide a day (semantics.md#decision-10).
std::vector<generated_event> make_events(std::size_t count, std::uint64_t seed) {
    std::mt19937_64 random{seed};
    const std::vector<partition_key> keys{partition_key{std::string{"1"}},
                                          partition_key{std::int64_t{1}}, partition_key{},
                                          partition_key{std::string{"dev-\"q\""}}};
    std::vector<event_time> clocks(keys.size(),
                                   event_time{std::chrono::sys_days{2019y / 11 / 18} + 19h});
    std::vector<generated_event> out;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t k = random() % keys.size();
        const std::uint64_t roll = random() % 100;
        clocks[k] += roll < 5 ? std::chrono::minutes{random() % 90} : 257s;  // gaps impute
        generated_event event{keys[k], clocks[k], std::nullopt, roll % 7 != 0, ""};
        if (roll >= 3) {
            event.value = std::uniform_real_distribution<double>{20, 25}(random) +
                          (i > count / 2 && k == 0 ? 50.0 : 0.0);
        }
        // Fractional seconds and an offset: 19:00:00.000000000+0000.
        const std::string seed_time = format_seed_time(event.time);
        event.line = "{\"k\":" + key_json(event.key) + ",\"ts\":\"" + seed_time.substr(0, 19) +
                     ".000000000" + seed_time.substr(19) + "\"";
        if (event.value) {
            event.line += ",\"v\":";
            append_json_number(event.line, *event.value);
        } else if (roll == 1) {
            event.line += ",\"v\":null";
        }
        event.line += std::string(",\"w\":") + (event.when ? "true" : "false") + "}";
        out.push_back(std::move(event));
    }
    return out;
}

detect_query make_query() {
    detect_query query;
    query.fields.value = field_path{"v"};
    query.fields.timestamp = field_path{"ts"};
    query.fields.partition = field_path{"k"};
    query.fields.when = field_path{"w"};
    query.confidence = 80;
    query.history = 7;
    query.duration = 30min;
    return query;
}

TEST(DetectJob, MatchesTheLibraryEventForEvent) {
    const auto events = make_events(4000, 7);
    string_sink output;
    const auto job = make_detect_engine(make_query(), output, nullptr);
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto line = testing::padded(events[i].line);
        job->process(std::string_view{line.data(), line.size()}, i + 1);
    }
    job->finish();
    anomaly_detection_change_point<partition_key> reference{80, 7, 30min};
    const auto lines = output.lines();
    ASSERT_EQ(lines.size(), events.size());
    simdjson::dom::parser parser;
    std::size_t anomalies = 0;
    std::size_t nulls = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto expected =
            reference.evaluate(events[i].key, events[i].time, events[i].value, events[i].when);
        simdjson::dom::element row;
        ASSERT_EQ(parser.parse(lines[i]).get(row), simdjson::SUCCESS) << lines[i];
        // The input object's bytes come first, unchanged.
        ASSERT_EQ(lines[i].substr(0, events[i].line.size() - 1),
                  events[i].line.substr(0, events[i].line.size() - 1));
        if (!expected) {
            EXPECT_TRUE(row["Score"].is_null()) << lines[i];
            EXPECT_TRUE(row["IsAnomaly"].is_null()) << lines[i];
            ++nulls;
            continue;
        }
        EXPECT_EQ(std::int64_t{row["IsAnomaly"]}, expected->is_anomaly ? 1 : 0) << lines[i];
        ASSERT_TRUE(expected->score.has_value());
        EXPECT_EQ(double{row["Score"]}, *expected->score) << lines[i];  // round-trip exact
        anomalies += expected->is_anomaly ? 1U : 0U;
    }
    EXPECT_GT(anomalies, 0U);
    EXPECT_GT(nulls, 0U);
    EXPECT_EQ(job->counts().anomalies, anomalies);
}

TEST(DetectJob, SnapshotResumesExactly) {
    const auto events = make_events(2000, 11);
    string_sink whole;
    const auto uninterrupted = make_detect_engine(make_query(), whole, nullptr);
    string_sink first_part;
    const auto first = make_detect_engine(make_query(), first_part, nullptr);
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto line = testing::padded(events[i].line);
        uninterrupted->process(std::string_view{line.data(), line.size()}, i + 1);
        if (i < 1000) {
            first->process(std::string_view{line.data(), line.size()}, i + 1);
        }
    }
    string_sink second_part;
    const auto second = make_detect_engine(make_query(), second_part, nullptr);
    second->load_state(first->save_state());
    for (std::size_t i = 1000; i < events.size(); ++i) {
        const auto line = testing::padded(events[i].line);
        second->process(std::string_view{line.data(), line.size()}, i + 1);
    }
    EXPECT_EQ(first_part.text + second_part.text, whole.text);
    EXPECT_EQ(second->counts().read, events.size());
}

TEST(DetectJob, ProjectionAndOnlyAnomaliesGiveTheSeedShape) {
    detect_query query = make_query();
    query.shape.project = true;
    query.shape.only_anomalies = true;
    const auto events = make_events(3000, 5);
    string_sink output;
    const auto job = make_detect_engine(query, output, nullptr);
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto line = testing::padded(events[i].line);
        job->process(std::string_view{line.data(), line.size()}, i + 1);
    }
    const auto lines = output.lines();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(job->counts().written, lines.size());
    EXPECT_EQ(job->counts().read, job->counts().written + job->counts().filtered);
    for (const std::string& line : lines) {
        EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0U) << line;
        EXPECT_NE(line.find(",\"k\":"), std::string::npos) << line;
        EXPECT_NE(line.find(",\"AnomalyScore\":"), std::string::npos) << line;
        EXPECT_EQ(line.find("IsAnomaly"), std::string::npos) << line;
    }
}

TEST(DetectJob, AddedFieldsReplaceInputFieldsOfTheSameName) {
    detect_query query = make_query();
    query.fields.when = {};
    string_sink output;
    const auto job = make_detect_engine(query, output, nullptr);
    const auto line = testing::padded(
        R"({"Score":"old","v":1.50,"ts":"2019-11-18T19:00:00Z","IsAnomaly":7,"n":{"Score":1}})");
    job->process(std::string_view{line.data(), line.size()}, 1);
    anomaly_detection_change_point<partition_key> reference{80, 7, 30min};
    std::string score;
    append_json_number(score, *reference.evaluate({}, event_time{}, 1.5)->score);
    EXPECT_EQ(output.text,
              "{\"v\":1.50,\"ts\":\"2019-11-18T19:00:00Z\",\"n\":{\"Score\":1},"
              "\"Score\":" +
                  score + ",\"IsAnomaly\":0}\n");
}

TEST(DetectJob, NestedFieldPaths) {
    detect_query query;
    query.fields.value = field_path{"reading.temp"};
    query.fields.timestamp = field_path{"meta.at"};
    query.confidence = 80;
    query.history = 12;
    query.duration = 30min;
    query.shape.project = true;
    string_sink output;
    const auto job = make_detect_engine(query, output, nullptr);
    const auto line =
        testing::padded(R"({"meta":{"at":"2019-11-18T19:00:00Z"},"reading":{"temp":21.50}})");
    job->process(std::string_view{line.data(), line.size()}, 1);
    EXPECT_EQ(output.text,
              "{\"at\":\"2019-11-18T19:00:00Z\",\"temp\":21.50,"
              "\"AnomalyScore\":1.782887553630472e-09,\"IsAnomaly\":0}\n");
}

}  // namespace
}  // namespace streamcp::pipeline

namespace streamcp::pipeline {
namespace {

/// The built `streamcp` executable with the query `flags` on a file, against `reference`
/// on the same events; returns how many events it reported.
template <class Function>
std::size_t expect_command_matches(const std::string& name, const std::string& flags,
                                   Function reference) {
    const auto events = make_events(3000, 3);
    const std::string directory = ::testing::TempDir();
    const std::string input = directory + "/" + name + ".jsonl";
    const std::string output = directory + "/" + name + ".out";
    {
        std::FILE* file = std::fopen(input.c_str(), "w");
        EXPECT_NE(file, nullptr);
        for (const auto& event : events) {
            std::fprintf(file, "%s\n", event.line.c_str());
        }
        std::fclose(file);
    }
    const std::string command = std::string{STREAMCP_CLI_PATH} +
                                " detect --value v --timestamp ts --partition-by k --when w " +
                                flags + " --quiet -i " + input + " -o " + output + " 2>/dev/null";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    simdjson::dom::parser parser;
    simdjson::dom::document_stream rows;
    const auto text = simdjson::padded_string::load(output);
    EXPECT_EQ(text.error(), simdjson::SUCCESS);
    EXPECT_EQ(parser.parse_many(text.value_unsafe()).get(rows), simdjson::SUCCESS);
    std::size_t i = 0;
    std::size_t reported = 0;
    for (auto row : rows) {
        if (i == events.size()) {
            ADD_FAILURE() << "more rows than events";
            break;
        }
        const auto expected =
            reference.evaluate(events[i].key, events[i].time, events[i].value, events[i].when);
        if (!expected) {
            EXPECT_TRUE(row["IsAnomaly"].is_null());
        } else {
            EXPECT_EQ(std::int64_t{row["IsAnomaly"]}, expected->is_anomaly ? 1 : 0);
            EXPECT_EQ(double{row["Score"]}, *expected->score);
            reported += expected->is_anomaly ? 1U : 0U;
        }
        ++i;
    }
    EXPECT_EQ(i, events.size());
    return reported;
}

TEST(DetectCommand, MatchesTheLibraryEventForEvent) {
    (void)expect_command_matches("streamcp_cli_vs_library",
                                 "--confidence 80 --history 7 --duration 30m",
                                 anomaly_detection_change_point<partition_key>{80, 7, 30min});
}

/// `--detector robust` without confidence and history is the recommended detector at its
/// defaults, per partition, with the same imputation, WHEN and NULL rules. 7 days / 450 is an
/// interval of 1344 s: the events' long gaps impute. (At a shorter interval the key's shift is
/// reported on an imputed step, which has no output.)
TEST(DetectCommand, RobustMatchesTheLibraryEventForEvent) {
    const std::size_t changes =
        expect_command_matches("streamcp_cli_vs_library_robust", "--detector robust --duration 7d",
                               robust_change_point_function<partition_key>{
                                   robust_change_point_options{}, std::chrono::days{7}});
    EXPECT_GT(changes, 0U);
}

}  // namespace
}  // namespace streamcp::pipeline
