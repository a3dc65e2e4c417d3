// SPDX-License-Identifier: MIT
// The metrics' parts without a server: address parsing, the counts and reasons a job reports
// to the registry with any thread count, and the status page's bounded key watch.
#include "metrics_registry.hpp"

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "counting_rejects_sink.hpp"
#include "detect_job.hpp"
#include "json_text.hpp"
#include "metrics_server.hpp"
#include "runtime_errors.hpp"
#include "score_watch.hpp"
#include "test_sinks.hpp"

namespace streamcp::pipeline {
namespace {

using namespace std::chrono_literals;

TEST(MetricsListen, AcceptsHostPortAndPortAlone) {
    const listen_address port_only = parse_listen_address("9464", "--metrics-listen");
    EXPECT_EQ(port_only.host, "127.0.0.1");
    EXPECT_EQ(port_only.port, 9464);
    const listen_address any = parse_listen_address("0.0.0.0:0", "--metrics-listen");
    EXPECT_EQ(any.host, "0.0.0.0");
    EXPECT_EQ(any.port, 0);
    const listen_address v6 = parse_listen_address("[::1]:80", "metrics.listen");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 80);
}

TEST(MetricsListen, RefusesBadPortsNamingTheArgument) {
    for (const char* bad : {"", "host:", "host:65536", "host:-1", "host:80x", "[::1]80"}) {
        try {
            (void)parse_listen_address(bad, "--metrics-listen");
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const std::invalid_argument& error) {
            EXPECT_NE(std::string(error.what()).find("--metrics-listen"), std::string::npos)
                << error.what();
        }
    }
}

/// 40 keys; every other event of key d3 is 100 s older than its previous one, beyond the 30 s
/// tolerance (adjusted); a value jump on key d7 for anomalies; a bad line of each kind every
/// 200 lines.
std::vector<std::string> metric_lines() {
    std::vector<std::string> lines;
    for (int i = 0; i < 4000; ++i) {
        const int key = i % 40;
        const int late = i % 80 == 3 ? 500 : 0;  // d3 reports every 400 s
        double value = 20 + (i * 7919 % 101) / 20.0;
        if (key == 7 && i > 2400) {
            value += 50;
        }
        std::string line = R"({"k":"d)" + std::to_string(key) + R"(","t":)" +
                           std::to_string(1'574'103'600 + i * 10 - late) + ",\"v\":";
        append_json_number(line, value);
        lines.push_back(line + "}");
        if (i % 200 == 199) {
            lines.emplace_back("{not json");
            lines.emplace_back(R"({"k":"d1","v":1})");
            lines.push_back(R"({"k":"d1","t":)" + std::to_string(1'574'103'600 + i * 10) +
                            R"(,"v":"x"})");
        }
    }
    return lines;
}

detect_query metric_query(unsigned threads) {
    detect_query query;
    query.fields.value = field_path{"v"};
    query.fields.timestamp = field_path{"t"};
    query.fields.time_format = timestamp_format::epoch_seconds;
    query.fields.partition = field_path{"k"};
    query.confidence = 80;
    query.history = 12;
    query.duration = 80min;  // a key reports every 400 s: 12 of them
    query.out_of_order_tolerance = 30s;
    query.shape.only_anomalies = true;
    query.threads = threads;
    return query;
}

status_view run_with_metrics(unsigned threads) {
    const detect_query query = metric_query(threads);
    metrics_registry metrics{query, 1};
    testing::string_sink output;
    testing::string_sink rejects_file;
    counting_rejects_sink rejects{metrics, &rejects_file};
    {
        const auto job = make_detect_engine(query, output, &rejects);
        job->set_score_observer(&metrics);
        const std::vector<std::string> lines = metric_lines();
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const auto line = testing::padded(lines[i]);
            job->process(std::string_view{line.data(), line.size()}, i + 1);
        }
        job->finish();
        metrics.publish(job->counts());
    }
    EXPECT_EQ(rejects_file.lines().size(), metrics.status().counts.rejected);
    return metrics.status();
}

TEST(MetricsRegistry, CountsAndReasonsAreTheJobsWithAnyThreadCount) {
    const status_view one = run_with_metrics(1);
    EXPECT_EQ(one.counts.read, one.counts.written + one.counts.filtered + one.counts.rejected);
    EXPECT_EQ(one.rejects[static_cast<std::size_t>(reject_reason::malformed_json)], 20U);
    EXPECT_EQ(one.rejects[static_cast<std::size_t>(reject_reason::missing_timestamp)], 20U);
    EXPECT_EQ(one.rejects[static_cast<std::size_t>(reject_reason::bad_value)], 20U);
    std::uint64_t by_reason = 0;
    for (const std::uint64_t n : one.rejects) {
        by_reason += n;
    }
    EXPECT_EQ(by_reason, one.counts.rejected);
    EXPECT_EQ(one.late_adjusted, 49U);  // i = 83, 163, ...: the first (i = 3) is not late
    EXPECT_EQ(one.partitions, 40U);
    EXPECT_GT(one.counts.anomalies, 0U);
    ASSERT_FALSE(one.anomalies.empty());
    EXPECT_LE(one.anomalies.size(), score_watch::anomalies_kept);
    EXPECT_LE(one.keys.size(), score_watch::watched_keys);
    for (const unsigned threads : {2U, 3U}) {
        const status_view many = run_with_metrics(threads);
        EXPECT_EQ(many.counts.read, one.counts.read) << threads;
        EXPECT_EQ(many.counts.anomalies, one.counts.anomalies) << threads;
        EXPECT_EQ(many.rejects, one.rejects) << threads;
        EXPECT_EQ(many.late_adjusted, one.late_adjusted) << threads;
        EXPECT_EQ(many.partitions, one.partitions) << threads;
        EXPECT_EQ(many.watermark_ticks, one.watermark_ticks) << threads;
    }
}

/// A source that only knows its backlog, as a broker source reports it.
class backlog_only_source final : public line_source {
  public:
    bool next(std::string_view& /*line*/) override { return false; }
    [[nodiscard]] std::uint64_t position() const override { return 0; }
    [[nodiscard]] bool seekable() const override { return false; }
    void seek(std::uint64_t /*offset*/) override {}
    [[nodiscard]] std::string name() const override { return "backlog"; }
    [[nodiscard]] std::vector<std::pair<std::uint32_t, std::uint64_t>> backlog() const override {
        return {{0, 12}, {3, 0}};
    }
};

TEST(MetricsRegistry, BacklogAndSurvivedErrorsAreExposed) {
    metrics_registry metrics{metric_query(1), 1};
    EXPECT_EQ(metrics.exposition().find("streamcp_backlogged_input_events{"), std::string::npos)
        << "a file source reports no backlog";
    const backlog_only_source source;
    metrics.watch_backlog(&source);
    const std::string text = metrics.exposition();
    EXPECT_NE(text.find("streamcp_backlogged_input_events{partition=\"0\"} 12\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("streamcp_backlogged_input_events{partition=\"3\"} 0\n"),
              std::string::npos);
    metrics.watch_backlog(nullptr);
    EXPECT_EQ(metrics.exposition().find("streamcp_backlogged_input_events{"), std::string::npos);

    const auto archive_errors = [&] {
        const std::string exposition = metrics.exposition();
        const std::string name = "streamcp_runtime_errors_total{component=\"archive\"} ";
        const std::size_t at = exposition.find(name);
        return at == std::string::npos
                   ? std::string("absent")
                   : exposition.substr(at + name.size(),
                                       exposition.find('\n', at) - at - name.size());
    };
    const std::string before = archive_errors();
    count_runtime_error(runtime_component::archive);
    count_runtime_error(runtime_component::archive);
    EXPECT_EQ(std::stoull(archive_errors()), std::stoull(before) + 2);
}

TEST(ScoreWatch, KeepsHistoryForAFewKeysOnlyAndFindsTheHighest) {
    score_watch watch{1.0};
    for (std::int64_t key = 0; key < 100'000; ++key) {
        watch.observe(partition_key{key}, key, 1.0, 0.001, false);
    }
    watch.observe(partition_key{std::string{"hot"}}, 1, 2.0, 0.5, false);
    watch.observe(partition_key{std::int64_t{5}}, 2, 3.0, 2.0, true);
    std::vector<watched_key> keys;
    std::vector<anomaly_entry> anomalies;
    watch.copy_to(keys, anomalies);
    ASSERT_EQ(keys.size(), score_watch::watched_keys);
    std::set<std::string> names;
    for (const watched_key& key : keys) {
        names.insert(key.key);
        EXPECT_LE(key.points.size(), score_watch::points_per_key);
    }
    EXPECT_TRUE(names.contains("hot"));
    EXPECT_TRUE(names.contains("5"));
    ASSERT_EQ(anomalies.size(), 1U);
    EXPECT_EQ(anomalies[0].key, "5");
    EXPECT_EQ(anomalies[0].point.score, 2.0);
}

TEST(ScoreWatch, KeepsTheLastAnomaliesOnly) {
    score_watch watch{1.0};
    for (std::int64_t i = 0; i < 100; ++i) {
        watch.observe(partition_key{i}, i, 0, 2.0, true);
    }
    std::vector<watched_key> keys;
    std::vector<anomaly_entry> anomalies;
    watch.copy_to(keys, anomalies);
    ASSERT_EQ(anomalies.size(), score_watch::anomalies_kept);
    EXPECT_EQ(anomalies.front().point.time_ticks, 80);  // oldest first
    EXPECT_EQ(anomalies.back().point.time_ticks, 99);
}

}  // namespace
}  // namespace streamcp::pipeline
