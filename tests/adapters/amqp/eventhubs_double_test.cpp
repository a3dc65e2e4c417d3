// SPDX-License-Identifier: MIT
// The Event Hubs source and sink against the Event Hubs / IoT Hub protocol test double
// (tests/eventhubs_double): CBS, partitions, filters, redirect, detaches and throttling.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "amqp_test_support.hpp"
#include "child_process.hpp"
#include "eventhubs_metadata.hpp"
#include "runtime_errors.hpp"

namespace streamcp::test {
namespace {

constexpr const char* key = "c2VjcmV0LWtleS0xMjM0NTY3OA==";  // base64, so IoT Hub can decode it

/// The double, started per test so every test sees fresh hubs.
class event_hubs_double {
  public:
    explicit event_hubs_double(std::vector<std::string> extra) {
        std::vector<std::string> argv{STREAMCP_EVENTHUBS_DOUBLE,
                                      "--hub",
                                      "telemetry",
                                      "--hub",
                                      "anomalies:2",
                                      "--partitions",
                                      "4",
                                      "--consumer-groups",
                                      "streamanalytics",
                                      "--key-name",
                                      "service",
                                      "--port",
                                      "0"};
        const bool iothub = std::find(extra.begin(), extra.end(), "--iothub") != extra.end();
        argv.insert(argv.end(), extra.begin(), extra.end());
        if (std::getenv("STREAMCP_TEST_DOUBLE_VERBOSE") != nullptr) {
            argv.emplace_back("--verbose");  // frames and decisions on stderr, for debugging
        }
        process_ = std::make_unique<child_process>(
            argv, std::vector<std::string>{std::string("STREAMCP_DOUBLE_KEY=") + key});
        while (port == 0 || (iothub && iothub_port == 0)) {
            const auto line = process_->read_line();
            if (!line) {
                throw std::runtime_error("the Event Hubs double ended before listening");
            }
            if (line->rfind("listening ", 0) == 0) {
                port = std::stoi(line->substr(10));
            } else if (line->rfind("iothub-listening ", 0) == 0) {
                iothub_port = std::stoi(line->substr(17));
            }
        }
    }

    /// Sends a control command; returns its `ok ...` / `error ...` answer.
    std::string command(const std::string& text) {
        process_->write_line(text);
        for (;;) {
            const auto line = process_->read_line();
            if (!line) {
                return "error: the double ended";
            }
            if (line->rfind("ok ", 0) == 0 || line->rfind("error", 0) == 0) {
                return *line;
            }
        }
    }

    [[nodiscard]] std::string connection_string(const std::string& hub,
                                                const std::string& secret = key) const {
        return "Endpoint=sb://127.0.0.1:" + std::to_string(port) +
               "/;SharedAccessKeyName=service;SharedAccessKey=" + secret + ";EntityPath=" + hub;
    }

    int port = 0;
    int iothub_port = 0;

  private:
    std::unique_ptr<child_process> process_;
};

class EventHubsDouble : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::string(STREAMCP_EVENTHUBS_DOUBLE).empty()) {
            GTEST_SKIP() << "the Event Hubs test double is not built";
        }
    }

    static std::unique_ptr<pipeline::line_sink> sink(event_hubs_double& hubs,
                                                     const option_map& extra,
                                                     const std::string& hub = "telemetry") {
        set_secret("STREAMCP_TEST_SINK_CS", hubs.connection_string(hub));
        option_map options{{"connection_string_env", "STREAMCP_TEST_SINK_CS"},
                           {"tls", "false"},
                           {"partition_key", "device"}};
        for (const auto& [name, value] : extra) {
            options[name] = value;
        }
        return adapters::make_eventhubs_sink(eventhubs_endpoint("sinks[1]", options));
    }

    static std::unique_ptr<pipeline::line_source> source(event_hubs_double& hubs,
                                                         const option_map& extra,
                                                         const std::string& hub = "telemetry") {
        set_secret("STREAMCP_TEST_SOURCE_CS", hubs.connection_string(hub));
        option_map options{{"connection_string_env", "STREAMCP_TEST_SOURCE_CS"},
                           {"tls", "false"},
                           {"consumer_group", "streamanalytics"},
                           {"start", "earliest"},
                           {"stop_when_idle", "2s"}};
        for (const auto& [name, value] : extra) {
            options[name] = value;
        }
        return adapters::make_eventhubs_source(eventhubs_endpoint("source", options));
    }
};

std::set<std::string> seqs_of(const std::vector<std::string>& lines) {
    std::set<std::string> seqs;
    for (const std::string& line : lines) {
        seqs.insert(field(line, "/seq"));
    }
    return seqs;
}

TEST_F(EventHubsDouble, SinkKeysRecordsAndSourceReadsEveryPartitionWithMetadata) {
    event_hubs_double hubs({});
    auto out = sink(hubs, {});
    out->write(records(0, 200, 7));
    out->sync();

    auto in = source(hubs, {});
    const std::vector<std::string> lines = read_all(*in);
    ASSERT_EQ(lines.size(), 200U);
    EXPECT_EQ(seqs_of(lines).size(), 200U);
    std::map<std::string, std::set<std::string>> partitions_of_device;
    std::set<std::string> partitions;
    for (const std::string& line : lines) {
        EXPECT_FALSE(field(line, "/EventEnqueuedUtcTime").empty()) << line;
        EXPECT_EQ(field(line, "/EventEnqueuedUtcTime").size(), 28U) << line;  // 7 digits + Z
        partitions_of_device[field(line, "/device")].insert(field(line, "/PartitionId"));
        partitions.insert(field(line, "/PartitionId"));
    }
    // x-opt-partition-key arrived as a message annotation: the double hashed it, so each
    // device's records share one partition; and partitions were discovered ($management).
    for (const auto& [device, where] : partitions_of_device) {
        EXPECT_EQ(where.size(), 1U) << device;
    }
    EXPECT_GT(partitions.size(), 1U);
}

TEST_F(EventHubsDouble, ArrayFormatPacksRecordsThatShareAKey) {
    event_hubs_double hubs({});
    auto out = sink(hubs, {{"format", "array"}});
    out->write(records(0, 60, 3));
    out->sync();
    auto in = source(hubs, {});
    const std::vector<std::string> lines = read_all(*in);
    EXPECT_EQ(lines.size(), 3U);  // one array per device
    std::size_t total = 0;
    for (const std::string& line : lines) {
        ASSERT_EQ(line.front(), '[') << line;
        simdjson::dom::parser parser;
        simdjson::dom::array array;
        ASSERT_EQ(parser.parse(line).get(array), simdjson::SUCCESS);
        std::set<std::string> devices;
        for (simdjson::dom::element record : array) {
            devices.insert(std::string(record["device"].get_string().value()));
            ++total;
        }
        EXPECT_EQ(devices.size(), 1U);
    }
    EXPECT_EQ(total, 60U);
}

TEST_F(EventHubsDouble, PartitionsOptionReadsOnlyThosePartitions) {
    event_hubs_double hubs({});
    auto out = sink(hubs, {});
    out->write(records(0, 100, 10));
    out->sync();
    auto in = source(hubs, {{"partitions", "1,3"}});
    for (const std::string& line : read_all(*in)) {
        const std::string partition = field(line, "/PartitionId");
        EXPECT_TRUE(partition == "1" || partition == "3") << line;
    }
}

TEST_F(EventHubsDouble, InvalidKeyIsAClearErrorForSourceAndSink) {
    event_hubs_double hubs({});
    set_secret("STREAMCP_TEST_BAD_CS", hubs.connection_string("telemetry", "d3Jvbmcta2V5"));
    auto in = adapters::make_eventhubs_source(eventhubs_endpoint(
        "source", {{"connection_string_env", "STREAMCP_TEST_BAD_CS"}, {"tls", "false"}}));
    std::string_view line;
    try {
        (void)in->next(line);
        FAIL() << "a refused token must end the source with an error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("$cbs refused the token"), std::string::npos)
            << error.what();
    }
    auto out = adapters::make_eventhubs_sink(eventhubs_endpoint(
        "sinks[1]", {{"connection_string_env", "STREAMCP_TEST_BAD_CS"}, {"tls", "false"}}));
    out->write(records(0, 1, 1));
    EXPECT_THROW(out->sync(), std::runtime_error);
}

TEST_F(EventHubsDouble, ShortTokensAreRenewedWithoutLosingTheLinks) {
    event_hubs_double hubs({"--max-token-lifetime", "2s"});
    testing::internal::CaptureStderr();
    auto out = sink(hubs, {{"token_lifetime", "2s"}});
    for (int round = 0; round < 5; ++round) {  // 5 × 0.8 s: the token is renewed twice or more
        out->write(records(round * 10, 10, 4));
        out->sync();
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
    }
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(log.find("lost"), std::string::npos) << log;
    EXPECT_EQ(log.find("detached"), std::string::npos) << log;
    auto in = source(hubs, {});
    EXPECT_EQ(seqs_of(read_all(*in)).size(), 50U);
}

TEST_F(EventHubsDouble, IotHubConnectionStringFollowsTheRedirect) {
    const std::string preload = ::testing::TempDir() + "amqp_preload.jsonl";
    {
        std::ofstream file(preload);
        for (int i = 0; i < 20; ++i) {
            file << R"({"deviceId":"sensor-)" << i % 3 << R"(","value":)" << i << "}\n";
        }
    }
    event_hubs_double hubs(
        {"--iothub", "localhub", "--iothub-host", "127.0.0.1", "--preload", preload});
    set_secret("STREAMCP_TEST_IOTHUB_CS",
               "HostName=127.0.0.1:" + std::to_string(hubs.iothub_port) +
                   ";SharedAccessKeyName=service;SharedAccessKey=" + key);
    auto in = adapters::make_eventhubs_source(
        eventhubs_endpoint("source", {{"connection_string_env", "STREAMCP_TEST_IOTHUB_CS"},
                                      {"tls", "false"},
                                      {"consumer_group", "streamanalytics"},
                                      {"stop_when_idle", "2s"}}));
    const std::vector<std::string> lines = read_all(*in);
    ASSERT_EQ(lines.size(), 20U);
    for (const std::string& line : lines) {
        EXPECT_EQ(field(line, "/IoTHub/ConnectionDeviceId"), field(line, "/deviceId")) << line;
        EXPECT_EQ(field(line, "/IoTHub/EnqueuedTime").size(), 28U) << line;
    }
}

TEST_F(EventHubsDouble, StartAtLatestReadsOnlyNewEvents) {
    event_hubs_double hubs({});
    auto out = sink(hubs, {});
    out->write(records(0, 20, 4));
    out->sync();
    auto in = source(hubs, {{"start", "latest"}, {"stop_when_idle", "4s"}});
    std::vector<std::string> lines;
    std::thread reader([&] { lines = read_all(*in); });
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the receivers attach meanwhile
    out->write(records(100, 5, 4));
    out->sync();
    reader.join();
    EXPECT_EQ(seqs_of(lines), (std::set<std::string>{"100", "101", "102", "103", "104"}));
}

TEST_F(EventHubsDouble, StartAtAnEnqueuedTimeSkipsEarlierEvents) {
    event_hubs_double hubs({});
    auto out = sink(hubs, {});
    out->write(records(0, 20, 4));
    out->sync();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    out->write(records(100, 5, 4));
    out->sync();
    auto in = source(hubs, {{"start", adapters::format_asa_time(now.time_since_epoch().count())}});
    EXPECT_EQ(seqs_of(read_all(*in)), (std::set<std::string>{"100", "101", "102", "103", "104"}));
}

TEST_F(EventHubsDouble, RestartFromSavedPositionsHasNoGapAndNoDuplicate) {
    event_hubs_double hubs({});
    auto out = sink(hubs, {});
    out->write(records(0, 100, 5));
    out->sync();
    std::vector<std::byte> saved;
    std::vector<std::string> first;
    {
        auto in = source(hubs, {{"max_messages", "40"}});
        first = read_all(*in);
        saved = in->save_position();
    }
    ASSERT_EQ(first.size(), 40U);
    auto in = source(hubs, {});
    in->restore_position(saved);
    const std::vector<std::string> rest = read_all(*in);
    EXPECT_EQ(rest.size(), 60U);
    std::set<std::string> all = seqs_of(first);
    for (const std::string& seq : seqs_of(rest)) {
        EXPECT_TRUE(all.insert(seq).second) << "read twice: " << seq;
    }
    EXPECT_EQ(all.size(), 100U);
}

TEST_F(EventHubsDouble, BacklogIsLastEnqueuedMinusLastReadPerPartition) {
    event_hubs_double hubs({});
    auto out = sink(hubs, {});
    out->write(records(0, 100, 5));
    out->sync();
    auto in = source(hubs, {{"max_messages", "40"}});
    ASSERT_EQ(read_all(*in).size(), 40U);
    // The reader asks $management (READ com.microsoft:partition) every 2 s; wait for answers
    // from all four partitions.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> backlog;
    for (int attempt = 0; attempt < 100 && backlog.size() < 4; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        backlog = in->backlog();
    }
    ASSERT_EQ(backlog.size(), 4U);
    std::set<std::uint32_t> partitions;
    std::uint64_t total = 0;
    for (const auto& [partition, events] : backlog) {
        partitions.insert(partition);
        total += events;
    }
    EXPECT_EQ(partitions, (std::set<std::uint32_t>{0, 1, 2, 3}));
    EXPECT_EQ(total, 60U);  // enqueued but not read: prefetched events count too
}

TEST_F(EventHubsDouble, SourceResumesAfterDetachesAndDroppedConnections) {
    event_hubs_double hubs({});
    auto out = sink(hubs, {});
    out->write(records(0, 50, 5));
    out->sync();
    auto in = source(hubs, {{"stop_when_idle", "4s"}, {"prefetch", "10"}});
    const auto source_errors = [] {
        return pipeline::runtime_error_counts()[static_cast<std::size_t>(
                                                    pipeline::runtime_component::source)]
            .load();
    };
    const std::uint64_t errors_before = source_errors();
    std::vector<std::string> lines;
    std::string_view line;
    for (int i = 0; i < 20 && in->next(line); ++i) {
        lines.emplace_back(line);
    }
    EXPECT_EQ(hubs.command("detach-all"), "ok detach-all");
    for (int i = 0; i < 10 && in->next(line); ++i) {
        lines.emplace_back(line);
    }
    EXPECT_EQ(hubs.command("drop-connections"), "ok drop-connections");
    out->write(records(50, 50, 5));
    out->sync();  // the sink reconnects too
    for (const std::string& rest : read_all(*in)) {
        lines.push_back(rest);
    }
    EXPECT_EQ(lines.size(), 100U);
    EXPECT_EQ(seqs_of(lines).size(), 100U);
    // Four detached links and a dropped connection, all survived: streamcp_runtime_errors_total.
    EXPECT_GE(source_errors() - errors_before, 5U);
}

TEST_F(EventHubsDouble, SinkRetriesServerBusyAndExpiredTokens) {
    event_hubs_double hubs({"--busy-first", "3", "--busy-every", "7"});
    auto out = sink(hubs, {});
    out->write(records(0, 40, 4));
    out->sync();
    EXPECT_EQ(hubs.command("expire-tokens"), "ok expire-tokens");
    out->write(records(40, 20, 4));
    out->sync();
    auto in = source(hubs, {});
    const std::vector<std::string> lines = read_all(*in);
    EXPECT_EQ(seqs_of(lines).size(), 60U);
}

TEST_F(EventHubsDouble, AHigherEpochReaderTakesThePartitionAndTheOlderOneStops) {
    event_hubs_double hubs({});
    auto out = sink(hubs, {{"partition", "0"}, {"partition_key", ""}});
    out->write(records(0, 3, 1));
    out->sync();
    auto older = source(hubs, {{"partitions", "0"}, {"epoch", "1"}, {"stop_when_idle", "20s"}});
    std::string_view line;
    ASSERT_TRUE(older->next(line));  // attached and reading
    auto newer = source(hubs, {{"partitions", "0"}, {"epoch", "2"}});
    EXPECT_EQ(read_all(*newer).size(), 3U);
    try {
        while (older->next(line)) {
        }
        FAIL() << "the older reader must stop with an error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("amqp:link:stolen"), std::string::npos)
            << error.what();
    }
}

TEST_F(EventHubsDouble, ARequestedStopEndsTheStreamOfAWaitingSource) {
    event_hubs_double hubs({});
    set_secret("STREAMCP_TEST_SOURCE_CS", hubs.connection_string("telemetry"));
    pipeline::stop_source stop;
    // No event will come; the idle limit only bounds the test if the stop went unseen.
    auto in = adapters::make_eventhubs_source(
        eventhubs_endpoint("source", {{"connection_string_env", "STREAMCP_TEST_SOURCE_CS"},
                                      {"tls", "false"},
                                      {"consumer_group", "streamanalytics"},
                                      {"stop_when_idle", "60s"}}),
        stop.token());
    const auto started = std::chrono::steady_clock::now();
    std::thread stopper([&stop] {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        stop.request_stop();
    });
    std::string_view line;
    EXPECT_FALSE(in->next(line));
    stopper.join();
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_GE(waited, std::chrono::seconds(1));
    EXPECT_LT(waited, std::chrono::seconds(30));
    EXPECT_FALSE(in->next(line));  // ended for good
}

TEST_F(EventHubsDouble, SigtermEndsARunReadingABrokerWithStatus143) {
    event_hubs_double hubs({});
    std::string events;
    for (int minute = 0; minute < 20; ++minute) {
        events += R"({"device":"d","temp":)" + std::to_string(20 + minute % 3) +
                  R"(,"datetime":"2019-11-18T19:)" + (minute < 10 ? "0" : "") +
                  std::to_string(minute) + ":00Z\"}\n";
    }
    auto out = sink(hubs, {});
    out->write(events);
    out->sync();
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() /
        ("streamcp-sigterm-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    // No stop_when_idle: only the signal, through the CLI's stop token, can end this run.
    std::ofstream(dir / "job.toml") << "[source]\ntype = \"eventhubs\"\n"
                                       "connection_string_env = \"STREAMCP_TEST_RUN_CS\"\n"
                                       "tls = false\nconsumer_group = \"streamanalytics\"\n"
                                       "[query]\nvalue = \"temp\"\ntimestamp = \"datetime\"\n"
                                       "partition_by = \"device\"\nconfidence = 95\n"
                                       "history = 4\nduration = \"4m\"\n"
                                       "[[sinks]]\ntype = \"file\"\npath = \""
                                    << (dir / "out.jsonl").string() << "\"\n";
    child_process run({STREAMCP_CLI_PATH, "run", (dir / "job.toml").string()},
                      {"STREAMCP_TEST_RUN_CS=" + hubs.connection_string("telemetry")});
    std::this_thread::sleep_for(std::chrono::seconds(5));
    const int status = run.finish();  // SIGTERM; SIGKILL after 10 s if the run does not end
    EXPECT_TRUE(WIFEXITED(status)) << "status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);  // a clean end by SIGTERM (docs/cli.md)
    std::ifstream output(dir / "out.jsonl");
    std::string line;
    int lines = 0;
    while (std::getline(output, line)) {
        EXPECT_NE(line.find("\"Score\""), std::string::npos) << line;
        ++lines;
    }
    EXPECT_LE(lines, 20);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace streamcp::test
