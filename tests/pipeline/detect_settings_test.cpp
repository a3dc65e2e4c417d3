// SPDX-License-Identifier: MIT
// Every flag of `streamcp detect` has a TOML key that sets the same thing: the test walks the
// command's flags as CLI11 registered them, sets each through the command line and through a
// config file, and compares the pipelines the two describe.
#include "detect_settings.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include <streamcp/model/robust_change_point_detector.hpp>

#include "commands.hpp"
#include "pipeline_config.hpp"

namespace streamcp::cli {
namespace {

/// One setting both ways: `--flag value` (no value for a switch) and `key = literal` in
/// `[table]` (`[[sinks]]` for `sinks`).
struct setting {
    std::string flag;
    std::string value;  ///< empty for a switch
    std::string table;
    std::string key;
    std::string literal;
};

/// The required settings every run has.
const std::vector<setting> required = {
    {"--value", "v", "query", "value", "\"v\""},
    {"--timestamp", "t", "query", "timestamp", "\"t\""},
    {"--confidence", "90", "query", "confidence", "90"},
    {"--history", "12", "query", "history", "12"},
    {"--duration", "10m", "query", "duration", "\"10m\""},
};

/// Per flag, settings that give it a value other than its default (with what it needs).
const std::map<std::string, std::vector<setting>> by_flag = {
    {"--value", {{"--value", "reading.value", "query", "value", "\"reading.value\""}}},
    {"--timestamp", {{"--timestamp", "at", "query", "timestamp", "\"at\""}}},
    {"--timestamp-format",
     {{"--timestamp-format", "epoch-ms", "query", "timestamp_format", "\"epoch-ms\""}}},
    {"--partition-by", {{"--partition-by", "device", "query", "partition_by", "\"device\""}}},
    {"--when", {{"--when", "ok", "query", "when", "\"ok\""}}},
    {"--detector", {{"--detector", "robust", "query", "detector", "\"robust\""}}},
    {"--kernel", {{"--kernel", "fast", "query", "kernel", "\"fast\""}}},
    {"--confidence", {{"--confidence", "80.5", "query", "confidence", "80.5"}}},
    {"--history", {{"--history", "30", "query", "history", "30"}}},
    {"--duration", {{"--duration", "2h", "query", "duration", "\"2h\""}}},
    {"--fractional-confidence",
     {{"--fractional-confidence", "", "query", "fractional_confidence", "true"}}},
    {"--out-of-order-tolerance",
     {{"--out-of-order-tolerance", "30s", "query", "out_of_order_tolerance", "\"30s\""}}},
    {"--out-of-order-action",
     {{"--out-of-order-action", "drop", "query", "out_of_order_action", "\"drop\""}}},
    {"--idle-ttl", {{"--idle-ttl", "2h", "query", "idle_ttl", "\"2h\""}}},
    {"--max-partitions", {{"--max-partitions", "500", "query", "max_partitions", "500"}}},
    {"--only-anomalies", {{"--only-anomalies", "", "query", "only_anomalies", "true"}}},
    {"--project", {{"--project", "", "query", "project", "true"}}},
    {"--threads", {{"--threads", "3", "query", "threads", "3"}}},
    {"--input",
     {{"--input", "in.jsonl", "source", "path", "\"in.jsonl\""},
      {"", "", "source", "type", "\"file\""}}},
    {"--follow",
     {{"--input", "in.jsonl", "source", "path", "\"in.jsonl\""},
      {"", "", "source", "type", "\"file\""},
      {"--follow", "", "source", "follow", "true"}}},
    {"--idle-exit",
     {{"--input", "in.jsonl", "source", "path", "\"in.jsonl\""},
      {"", "", "source", "type", "\"file\""},
      {"--follow", "", "source", "follow", "true"},
      {"--idle-exit", "5m", "source", "idle_exit", "\"5m\""}}},
    {"--output",
     {{"--output", "out.jsonl", "sinks", "path", "\"out.jsonl\""},
      {"", "", "sinks", "type", "\"file\""}}},
    {"--rejects", {{"--rejects", "rejects.jsonl", "rejects", "path", "\"rejects.jsonl\""}}},
    {"--checkpoint", {{"--checkpoint", "c.sqlite", "checkpoint", "path", "\"c.sqlite\""}}},
    {"--checkpoint-every",
     {{"--checkpoint", "c.sqlite", "checkpoint", "path", "\"c.sqlite\""},
      {"--checkpoint-every", "25", "checkpoint", "every", "25"}}},
    {"--checkpoint-interval",
     {{"--checkpoint", "c.sqlite", "checkpoint", "path", "\"c.sqlite\""},
      {"--checkpoint-interval", "1m", "checkpoint", "interval", "\"1m\""}}},
    {"--archive", {{"--archive", "lake", "archive", "path", "\"lake\""}}},
    {"--archive-layout",
     {{"--archive", "lake", "archive", "path", "\"lake\""},
      {"--archive-layout", "iothub", "archive", "layout", "\"iothub\""},
      {"--archive-hub", "hub1", "archive", "hub", "\"hub1\""}}},
    {"--archive-hub",
     {{"--archive", "lake", "archive", "path", "\"lake\""},
      {"--archive-hub", "hub2", "archive", "hub", "\"hub2\""}}},
    {"--archive-format",
     {{"--archive", "lake", "archive", "path", "\"lake\""},
      {"--archive-format", "avro", "archive", "format", "\"avro\""}}},
    {"--archive-max-bytes",
     {{"--archive", "lake", "archive", "path", "\"lake\""},
      {"--archive-max-bytes", "1000", "archive", "max_bytes", "1000"}}},
    {"--metrics-listen",
     {{"--metrics-listen", "127.0.0.1:9464", "metrics", "listen", "\"127.0.0.1:9464\""}}},
};

/// Flags that are no pipeline setting, so no TOML key: why each is exempt.
const std::map<std::string, std::string> exempt = {
    {"--help", "prints the help"},
    {"--quiet", "the progress line of a terminal; `streamcp run -q` has it too"},
    {"--progress", "progress lines off a terminal; `streamcp run --progress` has it too"},
};

/// Later settings replace earlier ones of the same key.
std::vector<setting> with(std::vector<setting> base, const std::vector<setting>& more) {
    for (const setting& s : more) {
        std::erase_if(base, [&](const setting& b) { return b.table == s.table && b.key == s.key; });
        base.push_back(s);
    }
    return base;
}

pipeline::pipeline_config from_command_line(const std::vector<setting>& settings) {
    CLI::App app;
    CLI::App* detect = app.add_subcommand("detect");
    detect_options options;
    add_detect_options(*detect, options);
    std::string line = "detect";
    for (const setting& s : settings) {
        if (!s.flag.empty()) {
            line += " " + s.flag + (s.value.empty() ? "" : " " + s.value);
        }
    }
    app.parse(line, false);
    return detect_config(options);
}

pipeline::pipeline_config from_config_file(const std::vector<setting>& settings) {
    std::map<std::string, std::string> tables;
    for (const setting& s : settings) {
        tables[s.table] += s.key + " = " + s.literal + "\n";
    }
    if (tables["source"].find("type =") == std::string::npos) {
        tables["source"] += "type = \"stdin\"\n";  // --input's default, -
    }
    std::string text;
    for (const auto& [table, keys] : tables) {
        text += table == "sinks" ? "[[sinks]]\n" : "[" + table + "]\n";
        text += keys;
    }
    const auto path = std::filesystem::temp_directory_path() /
                      ("streamcp-detect-settings-" + std::to_string(::getpid()) + ".toml");
    std::ofstream{path} << text;
    auto config = pipeline::load_pipeline_config(path.string());
    std::filesystem::remove(path);
    return config;
}

/// Everything a pipeline config sets, in one comparable line.
std::string describe(const pipeline::pipeline_config& c) {
    auto endpoint = [](const pipeline::endpoint_config& e) {
        std::string text = e.type + ":" + e.path;
        for (const auto& [key, value] : e.options) {
            text.append(",").append(key).append("=").append(value);
        }
        return text;
    };
    std::string out = c.query.fingerprint() + ";threads=" + std::to_string(c.query.threads) +
                      ";kernel=" + std::string(to_string(c.query.kernel)) +
                      ";source=" + endpoint(c.source) + ";sinks=";
    for (const auto& sink : c.sinks) {
        out += endpoint(sink) + ",";
    }
    out += ";rejects=" + c.rejects_path.value_or("-");
    if (c.checkpoint) {
        out += ";checkpoint=" + c.checkpoint->path + "," +
               std::to_string(c.checkpoint->every_events) + "," +
               std::to_string(c.checkpoint->interval.count());
    }
    if (c.archive) {
        out += ";archive=" + c.archive->path + "," + c.archive->layout + "," + c.archive->hub +
               "," + c.archive->format + "," + std::to_string(c.archive->max_bytes);
    }
    out += ";metrics=" + c.metrics_listen;
    return out;
}

TEST(DetectSettings, EveryFlagHasATomlKeyThatSetsTheSame) {
    CLI::App app;
    CLI::App* detect = app.add_subcommand("detect");
    detect_options options;
    add_detect_options(*detect, options);
    const std::string baseline = describe(from_command_line(required));
    ASSERT_EQ(describe(from_config_file(required)), baseline);
    std::size_t walked = 0;
    for (const CLI::Option* option : detect->get_options()) {
        ASSERT_FALSE(option->get_lnames().empty()) << option->get_name();
        const std::string flag = "--" + option->get_lnames().front();
        if (exempt.contains(flag)) {
            continue;
        }
        SCOPED_TRACE(flag);
        const auto found = by_flag.find(flag);
        ASSERT_NE(found, by_flag.end()) << flag << " has no TOML key in this test's table";
        const std::vector<setting> settings = with(required, found->second);
        const std::string by_command_line = describe(from_command_line(settings));
        EXPECT_NE(by_command_line, baseline) << flag << " changed nothing";
        EXPECT_EQ(describe(from_config_file(settings)), by_command_line);
        ++walked;
    }
    EXPECT_EQ(walked, by_flag.size()) << "the table names a flag detect no longer has";
}

TEST(DetectSettings, DefaultsAreTheSameBothWays) {
    // Nothing but the required settings: every default comes from query_settings,
    // checkpoint_settings and archive_config, whichever way the run is described.
    const auto command_line = from_command_line(
        with(required, {{"--checkpoint", "c.sqlite", "checkpoint", "path", "\"c.sqlite\""},
                        {"--archive", "lake", "archive", "path", "\"lake\""}}));
    const pipeline::checkpoint_settings checkpoint;
    ASSERT_TRUE(command_line.checkpoint);
    EXPECT_EQ(command_line.checkpoint->every_events, checkpoint.every);
    EXPECT_EQ(command_line.checkpoint->interval, std::chrono::seconds{10});
    EXPECT_EQ(command_line.query.threads, 1U);
    EXPECT_EQ(describe(command_line),
              describe(from_config_file(with(
                  required, {{"--checkpoint", "c.sqlite", "checkpoint", "path", "\"c.sqlite\""},
                             {"--archive", "lake", "archive", "path", "\"lake\""}}))));
}

/// `settings` without the ones of `flags`.
std::vector<setting> without(std::vector<setting> settings, const std::vector<std::string>& flags) {
    std::erase_if(settings,
                  [&](const setting& s) { return std::ranges::count(flags, s.flag) > 0; });
    return settings;
}

/// The error building the pipeline both ways gives, or "no error".
std::string error_both_ways(const std::vector<setting>& settings) {
    std::string command_line = "no error";
    std::string config_file = "no error";
    try {
        (void)from_command_line(settings);
    } catch (const std::invalid_argument& e) {
        command_line = e.what();
    }
    try {
        (void)from_config_file(settings);
    } catch (const std::invalid_argument& e) {
        config_file = e.what();
    }
    EXPECT_EQ(command_line, config_file);
    return command_line;
}

TEST(DetectSettings, RobustConfidenceAndHistoryDefaultToTheRecommendedDetectors) {
    const std::vector<setting> robust =
        with(without(required, {"--confidence", "--history"}),
             {{"--detector", "robust", "query", "detector", "\"robust\""}});
    const auto command_line = from_command_line(robust);
    EXPECT_EQ(command_line.query.detector, pipeline::detector_kind::robust);
    EXPECT_EQ(command_line.query.confidence, robust_change_point_options{}.confidence);
    EXPECT_EQ(command_line.query.history, robust_change_point_options{}.history);
    EXPECT_EQ(describe(from_config_file(robust)), describe(command_line));
    // Given, they are the detector's.
    const auto given =
        from_config_file(with(robust, {{"--history", "30", "query", "history", "30"}}));
    EXPECT_EQ(given.query.history, 30);
    EXPECT_NE(given.query.fingerprint(), command_line.query.fingerprint());
}

TEST(DetectSettings, DetectorChoicesAndAsaArgumentsAreRefusedByName) {
    EXPECT_NE(
        error_both_ways(without(required, {"--confidence"}))
            .find("confidence (--confidence, query.confidence) is required with detector asa"),
        std::string::npos);
    EXPECT_NE(error_both_ways(without(required, {"--history"}))
                  .find("history (--history, query.history) is required with detector asa"),
              std::string::npos);
    EXPECT_NE(
        error_both_ways(with(required, {{"--detector", "ml", "query", "detector", "\"ml\""}}))
            .find("detector (--detector, query.detector) 'ml' is unknown: allowed asa, robust"),
        std::string::npos);
}

TEST(DetectSettings, KernelChoicesAreRefusedByNameAndFastIsAsaOnly) {
    EXPECT_NE(error_both_ways(with(required, {{"--kernel", "avx", "query", "kernel", "\"avx\""}}))
                  .find("kernel (--kernel, query.kernel) 'avx' is unknown: allowed exact, fast"),
              std::string::npos);
    const auto fast = from_config_file(with(required, {{"", "", "query", "kernel", "\"fast\""}}));
    EXPECT_EQ(fast.query.kernel, kernel_path::fast);
    EXPECT_NO_THROW(pipeline::detect_engine::validate(fast.query));
    // Not state: a checkpoint taken with one kernel resumes with the other.
    EXPECT_EQ(fast.query.fingerprint(), from_config_file(required).query.fingerprint());
    pipeline::detect_query robust = fast.query;
    robust.detector = pipeline::detector_kind::robust;
    try {
        pipeline::detect_engine::validate(robust);
        ADD_FAILURE() << "kernel fast with detector robust was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("kernel fast applies to detector asa only"),
                  std::string::npos);
    }
}

TEST(DetectSettings, BadThreadsAndCheckpointCountsAreRefusedByName) {
    auto config_error = [](const std::vector<setting>& settings) {
        try {
            (void)from_config_file(with(required, settings));
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(config_error({{"", "", "query", "threads", "0"}}).find("query.threads"),
              std::string::npos);
    EXPECT_NE(config_error({{"", "", "query", "threads", "65"}}).find("query.threads"),
              std::string::npos);
    EXPECT_NE(config_error({{"", "", "query", "threads", "\"2\""}}).find("query.threads"),
              std::string::npos);
    EXPECT_NE(config_error(
                  {{"", "", "checkpoint", "path", "\"c\""}, {"", "", "checkpoint", "every", "0"}})
                  .find("checkpoint.every"),
              std::string::npos);
    EXPECT_NE(config_error({{"", "", "query", "project", "\"yes\""}}).find("query.project"),
              std::string::npos);
    EXPECT_THROW((void)from_command_line(
                     with(required, {{"--checkpoint", "c", "checkpoint", "path", "\"c\""},
                                     {"--checkpoint-every", "0", "checkpoint", "every", "0"}})),
                 std::invalid_argument);
}

}  // namespace
}  // namespace streamcp::cli
