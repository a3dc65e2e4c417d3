// SPDX-License-Identifier: MIT
// Endpoint settings, record ids, and the runner's contract with broker-like sources: positions
// of several partitions saved in a checkpoint, `committed` after each one, slow streams.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "detect_runner.hpp"
#include "endpoint_factory.hpp"
#include "endpoint_options.hpp"
#include "pipeline_config.hpp"
#include "record_id.hpp"
#include "seed_query.hpp"
#include "test_sinks.hpp"
#include "timestamp_parse.hpp"

namespace streamcp::pipeline {
namespace {

using namespace std::chrono_literals;
using testing::seed_query;
using testing::string_sink;

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("streamcp_endpoint_" + std::to_string(::getpid()) + "_" + name);
}

endpoint_config endpoint(std::map<std::string, std::string, std::less<>> options) {
    return {.type = "kafka", .path = "", .section = "sinks[1]", .options = std::move(options)};
}

std::string error_of(const auto& call) {
    try {
        call();
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "no error";
}

TEST(EndpointOptions, TypedReadsNameTheSettingAndTheRange) {
    const endpoint_config config = endpoint({{"retries", "7"},
                                             {"batch", "x1"},
                                             {"idempotent", "yes"},
                                             {"linger", "250ms"},
                                             {"topic", "anomalies"}});
    EXPECT_EQ(option_string(config, "topic"), "anomalies");
    EXPECT_EQ(option_string(config, "missing", "fallback"), "fallback");
    EXPECT_EQ(option_int(config, "retries", 0, 0, 10), 7);
    EXPECT_EQ(option_int(config, "absent", 3, 0, 10), 3);
    EXPECT_EQ(option_duration(config, "linger", 1s), 250ms);
    EXPECT_EQ(error_of([&] { (void)option_string(config, "bootstrap"); }),
              "config: sinks[1].bootstrap is required (a string) for type \"kafka\"");
    EXPECT_EQ(error_of([&] { (void)option_int(config, "retries", 0, 0, 5); }),
              "config: sinks[1].retries must be an integer in [0, 5]; got 7");
    EXPECT_EQ(error_of([&] { (void)option_int(config, "batch", 0, 0, 5); }),
              "config: sinks[1].batch must be an integer in [0, 5]; got 'x1'");
    EXPECT_EQ(error_of([&] { (void)option_bool(config, "idempotent", true); }),
              "config: sinks[1].idempotent must be true or false; got 'yes'");
    EXPECT_EQ(error_of([&] { reject_unknown_options(config, {"topic"}); }).substr(0, 60),
              "config: sinks[1].batch is not a setting of type \"kafka\" (all");
}

TEST(EndpointOptions, SecretsComeFromTheEnvironmentOnly) {
    const endpoint_config config = endpoint({{"connection_string_env", "STREAMCP_TEST_SECRET"}});
    ::unsetenv("STREAMCP_TEST_SECRET");
    EXPECT_EQ(error_of([&] { (void)secret_from_env(config, "connection_string"); }),
              "config: sinks[1].connection_string_env names the environment variable "
              "STREAMCP_TEST_SECRET, which is unset or empty");
    ::setenv("STREAMCP_TEST_SECRET", "Endpoint=sb://x/;SharedAccessKey=k", 1);
    EXPECT_EQ(secret_from_env(config, "connection_string"), "Endpoint=sb://x/;SharedAccessKey=k");
    EXPECT_EQ(error_of([&] { (void)secret_from_env(endpoint({}), "connection_string"); }),
              "config: sinks[1].connection_string_env is required (a string) for type \"kafka\"");
}

TEST(EndpointOptions, ConfigFilesKeepEveryOtherKeyAsText) {
    const auto path = temp_path("config.toml");
    std::ofstream{path} << R"(
[source]
type = "eventhubs"
partitions = [0, 1]
consumer_group = "streamanalytics"
prefetch = 300
[query]
value = "temp"
timestamp = "datetime"
confidence = 80
history = 12
duration = "30m"
[[sinks]]
type = "file"
path = "out.jsonl"
[[sinks]]
type = "kafka"
idempotent = true
linger = 0.5
)";
    const pipeline_config config = load_pipeline_config(path.string());
    std::filesystem::remove(path);
    EXPECT_EQ(config.source.section, "source");
    EXPECT_EQ(config.source.options.at("partitions"), "0,1");
    EXPECT_EQ(config.source.options.at("consumer_group"), "streamanalytics");
    EXPECT_EQ(config.source.options.at("prefetch"), "300");
    ASSERT_EQ(config.sinks.size(), 2U);
    EXPECT_EQ(config.sinks[0].path, "out.jsonl");
    EXPECT_TRUE(config.sinks[0].options.empty());
    EXPECT_EQ(config.sinks[1].section, "sinks[1]");
    EXPECT_EQ(config.sinks[1].options.at("idempotent"), "true");
    EXPECT_EQ(config.sinks[1].options.at("linger"), "0.5");
}

TEST(EndpointOptions, EnvironmentVariablesExpandInEndpointSettings) {
    const auto path = temp_path("env.toml");
    const std::string query =
        "[query]\nvalue = \"temp\"\ntimestamp = \"t\"\nconfidence = 80\nhistory = 12\n"
        "duration = \"30m\"\n";
    ::setenv("STREAMCP_TEST_PORT", "19092", 1);
    ::unsetenv("STREAMCP_TEST_UNSET");
    std::ofstream{path} << "[source]\ntype = \"stdin\"\n"
                        << query
                        << "[[sinks]]\ntype = \"kafka\"\nbootstrap = "
                           "\"127.0.0.1:${STREAMCP_TEST_PORT}\"\n";
    EXPECT_EQ(load_pipeline_config(path.string()).sinks[0].options.at("bootstrap"),
              "127.0.0.1:19092");
    std::ofstream{path} << "[source]\ntype = \"stdin\"\n"
                        << query
                        << "[archive]\npath = \"a\"\nlayout = \"iothub\"\n"
                           "hub = \"hub-${STREAMCP_TEST_PORT}\"\n";
    EXPECT_EQ(load_pipeline_config(path.string()).archive->hub, "hub-19092");
    std::ofstream{path} << "[source]\ntype = \"file\"\npath = \"${STREAMCP_TEST_UNSET}/x\"\n"
                        << query;
    EXPECT_EQ(error_of([&] { (void)load_pipeline_config(path.string()); }),
              "config: source.path uses ${STREAMCP_TEST_UNSET}, which is not set in the "
              "environment");
    std::filesystem::remove(path);
}

TEST(EndpointFactory, UnknownTypesAndStrayOptionsAreRefused) {
    const endpoint_config bogus{
        .type = "carrier-pigeon", .path = "", .section = "sinks[0]", .options = {}};
    EXPECT_EQ(
        error_of([&] { (void)adapters::make_sink(bogus); }),
        "config: sinks[0].type 'carrier-pigeon' is unknown: allowed " + adapters::sink_types());
    const endpoint_config typo{
        .type = "stdout", .path = "", .section = "sinks[0]", .options = {{"pth", "x"}}};
    EXPECT_NE(error_of([&] { (void)adapters::make_sink(typo); }).find("sinks[0].pth"),
              std::string::npos);
}

TEST(RecordId, IsTheSha256PrefixOfTheLineWithoutItsNewline) {
    // Expected values: printf '%s' '<line>' | sha256sum | cut -c1-32
    EXPECT_EQ(record_id(""), "e3b0c44298fc1c149afbf4c8996fb924");
    EXPECT_EQ(record_id("abc"), "ba7816bf8f01cfea414140de5dae2223");
    EXPECT_EQ(record_id("abc\n"), record_id("abc"));
    EXPECT_NE(record_id(R"({"device":"a","temp":1})"), record_id(R"({"device":"a","temp":2})"));
}

/// A test double of a broker source: messages spread over partitions, each partition's
/// position counted separately, `committed` calls recorded.
class partitioned_memory_source final : public line_source {
  public:
    explicit partitioned_memory_source(std::vector<std::vector<std::string>> partitions)
        : partitions_(std::move(partitions)), next_(partitions_.size(), 0) {}

    bool next(std::string_view& line) override {
        for (std::size_t step = 0; step < partitions_.size(); ++step) {  // round robin
            const std::size_t p = (turn_ + step) % partitions_.size();
            if (next_[p] < partitions_[p].size()) {
                if (stop_after_ && read_ == *stop_after_) {
                    return false;  // as a stop request would end a broker stream
                }
                current_ = simdjson::padded_string{partitions_[p][next_[p]++]};
                line = std::string_view{current_.data(), current_.size()};
                partition_ = static_cast<std::uint32_t>(p);
                turn_ = p + 1;
                ++read_;
                return true;
            }
        }
        return false;
    }
    [[nodiscard]] std::uint64_t position() const override { return read_; }
    [[nodiscard]] bool seekable() const override { return true; }
    void seek(std::uint64_t /*offset*/) override {
        throw std::logic_error("a partitioned source resumes through restore_position");
    }
    [[nodiscard]] std::string name() const override { return "memory-partitions"; }
    [[nodiscard]] std::vector<std::byte> save_position() const override {
        std::vector<std::byte> bytes;
        for (const std::size_t offset : next_) {
            bytes.push_back(static_cast<std::byte>(offset));  // small test streams only
        }
        bytes.push_back(static_cast<std::byte>(turn_));
        return bytes;
    }
    void restore_position(std::span<const std::byte> bytes) override {
        ASSERT_EQ(bytes.size(), next_.size() + 1);
        for (std::size_t p = 0; p < next_.size(); ++p) {
            next_[p] = std::to_integer<std::size_t>(bytes[p]);
        }
        turn_ = std::to_integer<std::size_t>(bytes.back());
    }
    void committed() override { ++commits; }
    [[nodiscard]] std::uint32_t partition() const override { return partition_; }
    [[nodiscard]] bool unbounded() const override { return true; }

    std::optional<std::uint64_t> stop_after_;
    int commits = 0;

  private:
    std::vector<std::vector<std::string>> partitions_;
    std::vector<std::size_t> next_;
    std::size_t turn_ = 0;
    std::uint64_t read_ = 0;
    std::uint32_t partition_ = 0;
    simdjson::padded_string current_;
};

std::vector<std::vector<std::string>> device_partitions() {
    std::vector<std::vector<std::string>> partitions(2);
    for (int i = 0; i < 60; ++i) {
        for (int device = 0; device < 4; ++device) {
            const int temp = 90 + (i % 5) + (i > 40 && device == 1 ? 30 : 0);
            partitions[static_cast<std::size_t>(device % 2)].push_back(
                R"({"device":"d)" + std::to_string(device) + R"(","temp":)" + std::to_string(temp) +
                R"(,"datetime":"2019-11-18T19:)" + std::to_string(10 + i / 6) + ":" +
                std::to_string(10 + (i % 6) * 8) + R"(+0000"})");
        }
    }
    return partitions;
}

TEST(RunnerWithPartitionedSource, ResumesEveryPartitionFromTheCheckpoint) {
    const auto checkpoint_path = temp_path("partitions.sqlite");
    std::filesystem::remove(checkpoint_path);
    run_settings settings;
    settings.checkpoint = checkpoint_policy{
        .path = checkpoint_path.string(), .every_events = 25, .interval = std::chrono::hours{1}};

    string_sink uninterrupted;
    partitioned_memory_source whole{device_partitions()};
    (void)run_detect(seed_query(), whole, uninterrupted, nullptr, run_settings{});

    string_sink first;
    partitioned_memory_source stopped{device_partitions()};
    stopped.stop_after_ = 130;  // stops between checkpoints: 5 events are replayed
    (void)run_detect(seed_query(), stopped, first, nullptr, settings);
    EXPECT_EQ(stopped.commits, 6);  // 5 on the cadence and the last one

    // The output persists across the stop, as a file does; the restart cuts it back to the
    // checkpoint and continues there.
    partitioned_memory_source resumed{device_partitions()};
    (void)run_detect(seed_query(), resumed, first, nullptr, settings);
    std::filesystem::remove(checkpoint_path);
    std::filesystem::remove(checkpoint_path.string() + "-wal");
    std::filesystem::remove(checkpoint_path.string() + "-shm");

    EXPECT_EQ(resumed.commits, 5);  // resumed at 125: 150, 175, 200, 225 and the last one
    EXPECT_EQ(first.lines().size(), 240U);
    EXPECT_TRUE(first.text == uninterrupted.text) << "resumed output differs from uninterrupted";
}

}  // namespace
}  // namespace streamcp::pipeline
