// SPDX-License-Identifier: MIT
// The sharded detect engine against the single-thread one: the same bytes, rejects, counts and
// checkpoints, whatever the thread count on either side of a restore, with either detector.
#include "sharded_detect.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "detect_job.hpp"
#include "json_text.hpp"
#include "test_sinks.hpp"

namespace streamcp::pipeline {
namespace {

using namespace std::chrono_literals;
using testing::string_sink;

/// Many keys of every kind (1 and "1" differ, NULL), late events (some beyond the
/// tolerance), equal times across keys, NULL and WHEN-false values, and bad lines.
std::vector<std::string> make_lines(std::size_t count, std::uint64_t seed) {
    std::mt19937_64 random{seed};
    std::vector<std::string> lines;
    std::int64_t clock = 1'574'103'600;  // epoch seconds
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint64_t roll = random() % 1000;
        clock += static_cast<std::int64_t>(random() % 3);  // often equal times across keys
        const std::uint64_t k = random() % 97;
        std::string key;
        if (k == 0) {
            key = "null";
        } else if (k % 3 == 0) {
            key = std::to_string(k % 40);
        } else {
            key = "\"d" + std::to_string(k % 40) + "\"";
        }
        // Late by up to 40 s: within a 20 s tolerance or beyond it.
        const std::int64_t late = roll < 150 ? static_cast<std::int64_t>(random() % 40) : 0;
        std::string line = "{\"k\":" + key + ",\"t\":" + std::to_string(clock - late);
        if (roll % 50 == 1) {
            line += ",\"v\":null";
        } else if (roll % 50 != 2) {
            line += ",\"v\":";
            const double spike = (random() % 400 == 0) ? 60.0 : 0.0;
            append_json_number(line,
                               std::uniform_real_distribution<double>{20, 25}(random) + spike);
        }
        line += std::string(",\"w\":") + (roll % 23 == 0 ? "false" : "true") + "}";
        if (roll == 999) {
            line = "{not json";
        } else if (roll == 998) {
            line = R"({"k":"d1","v":3})";  // no timestamp
        } else if (roll == 997) {
            line = R"({"k":"d1","t":)" + std::to_string(clock) + R"(,"v":"x"})";  // bad value
        } else if (roll == 996) {
            line = "  {}  ";
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

detect_query make_query(unsigned threads, std::chrono::nanoseconds tolerance,
                        out_of_order_action action, bool only_anomalies = false,
                        detector_kind detector = detector_kind::asa) {
    detect_query query;
    query.fields.value = field_path{"v"};
    query.fields.timestamp = field_path{"t"};
    query.fields.time_format = timestamp_format::epoch_seconds;
    query.fields.partition = field_path{"k"};
    query.fields.when = field_path{"w"};
    query.detector = detector;
    query.confidence = 80;
    query.history = 12;
    if (detector == detector_kind::robust) {  // short enough that imputed gaps stay cheap
        query.confidence = 90;
        query.history = 40;
    }
    query.duration = 2min;
    query.out_of_order_tolerance = tolerance;
    query.out_of_order = action;
    query.shape.only_anomalies = only_anomalies;
    query.threads = threads;
    return query;
}

struct run_result {
    std::string output;
    std::string rejects;
    detect_counts counts;
};

void feed(detect_engine& job, const std::vector<std::string>& lines, std::size_t from,
          std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
        const auto line = testing::padded(lines[i]);
        job.process(std::string_view{line.data(), line.size()}, i + 1);
    }
}

run_result run(const detect_query& query, const std::vector<std::string>& lines) {
    run_result out;
    string_sink output;
    string_sink rejects;
    {
        const auto job = make_detect_engine(query, output, &rejects);
        feed(*job, lines, 0, lines.size());
        job->finish();
        out.counts = job->counts();
    }
    out.output = output.text;
    out.rejects = rejects.text;
    return out;
}

void expect_same(const run_result& a, const run_result& b) {
    EXPECT_EQ(a.output, b.output);
    EXPECT_EQ(a.rejects, b.rejects);
    EXPECT_EQ(a.counts.read, b.counts.read);
    EXPECT_EQ(a.counts.written, b.counts.written);
    EXPECT_EQ(a.counts.filtered, b.counts.filtered);
    EXPECT_EQ(a.counts.rejected, b.counts.rejected);
    EXPECT_EQ(a.counts.anomalies, b.counts.anomalies);
}

struct order_case {
    std::chrono::nanoseconds tolerance;
    out_of_order_action action;
    bool only_anomalies;
    detector_kind detector = detector_kind::asa;
    std::uint64_t max_partitions = 0;
    std::chrono::nanoseconds idle_ttl{0};
};

detect_query make_query(unsigned threads, const order_case& c) {
    detect_query query = make_query(threads, c.tolerance, c.action, c.only_anomalies, c.detector);
    query.max_partitions = c.max_partitions;
    query.idle_ttl = c.idle_ttl;
    return query;
}

class ShardedDetect : public ::testing::TestWithParam<order_case> {};

TEST_P(ShardedDetect, ThreadsChangeNothing) {
    const order_case c = GetParam();
    for (const std::uint64_t seed : {1U, 2U, 3U}) {
        const auto lines = make_lines(6000, seed);
        const run_result one =
            run(make_query(1, c.tolerance, c.action, c.only_anomalies, c.detector), lines);
        EXPECT_GT(one.counts.rejected, 0U);
        EXPECT_GT(one.counts.written, 0U);
        EXPECT_EQ(one.counts.read, one.counts.written + one.counts.filtered + one.counts.rejected);
        for (const unsigned threads : {2U, 3U, 4U}) {
            SCOPED_TRACE("seed " + std::to_string(seed) + ", threads " + std::to_string(threads));
            expect_same(
                run(make_query(threads, c.tolerance, c.action, c.only_anomalies, c.detector),
                    lines),
                one);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    OrderPolicies, ShardedDetect,
    ::testing::Values(order_case{0s, out_of_order_action::adjust, false},
                      order_case{20s, out_of_order_action::adjust, false},
                      order_case{20s, out_of_order_action::drop, false},
                      order_case{20s, out_of_order_action::adjust, true},
                      order_case{20s, out_of_order_action::adjust, false, detector_kind::robust},
                      order_case{20s, out_of_order_action::drop, true, detector_kind::robust}));

TEST(ShardedDetect, ShortInputsAndOneKey) {
    for (const std::size_t count : {0U, 1U, 7U, 511U, 512U, 513U, 1500U}) {
        const auto lines = make_lines(count, 9);
        const run_result one = run(make_query(1, 20s, out_of_order_action::adjust), lines);
        expect_same(run(make_query(2, 20s, out_of_order_action::adjust), lines), one);
    }
    // Without PARTITION BY every event is one key: one worker does it all, still exactly.
    auto query = make_query(1, 20s, out_of_order_action::adjust);
    query.fields.partition = {};
    const auto lines = make_lines(3000, 4);
    const run_result one = run(query, lines);
    query.threads = 3;
    expect_same(run(query, lines), one);
}

/// Runs to `cut` with `before` threads, saves a checkpoint as run_detect does (sink sizes
/// first, then the state), restores into a job with `after` threads over sinks cut back to
/// those sizes, and runs to the end.
run_result run_with_restore(const std::vector<std::string>& lines, std::size_t cut, unsigned before,
                            unsigned after, const order_case& c) {
    string_sink output;
    string_sink rejects;
    std::uint64_t output_size = 0;
    std::uint64_t rejects_size = 0;
    std::vector<std::byte> state;
    {
        const auto first = make_detect_engine(make_query(before, c), output, &rejects);
        feed(*first, lines, 0, cut);
        output_size = output.position();
        rejects_size = rejects.position();
        state = first->save_state();
        // The killed run goes on a little: bytes after the checkpoint must not count.
        feed(*first, lines, cut, std::min(lines.size(), cut + 700));
    }
    output.truncate(output_size);
    rejects.truncate(rejects_size);
    run_result out;
    {
        const auto second = make_detect_engine(make_query(after, c), output, &rejects);
        second->load_state(state);
        feed(*second, lines, cut, lines.size());
        second->finish();
        out.counts = second->counts();
    }
    out.output = output.text;
    out.rejects = rejects.text;
    return out;
}

TEST(ShardedDetect, CheckpointsRestoreWithAnyThreadCount) {
    for (const detector_kind detector : {detector_kind::asa, detector_kind::robust}) {
        const order_case c{20s, out_of_order_action::adjust, false, detector};
        const auto lines = make_lines(5000, 5);
        const run_result one = run(make_query(1, c.tolerance, c.action, false, detector), lines);
        const std::vector<std::tuple<unsigned, unsigned>> pairs{{1, 2}, {2, 1}, {2, 2}, {2, 4},
                                                                {4, 3}, {3, 1}, {1, 1}};
        for (const auto& [before, after] : pairs) {
            for (const std::size_t cut : {0U, 1U, 600U, 2500U, 4999U, 5000U}) {
                SCOPED_TRACE(std::string(detector == detector_kind::asa ? "asa" : "robust") + ", " +
                             std::to_string(before) + " -> " + std::to_string(after) +
                             " threads, cut at " + std::to_string(cut));
                expect_same(run_with_restore(lines, cut, before, after, c), one);
            }
        }
    }
}

/// Rows as a checkpoint store keeps them: the newest of each key; an empty state deletes.
void keep_rows(std::map<std::vector<std::byte>, std::vector<std::byte>>& stored,
               std::vector<partition_row> rows) {
    for (partition_row& row : rows) {
        if (row.state.empty()) {
            stored.erase(row.key);
        } else {
            stored[row.key] = std::move(row.state);
        }
    }
}

/// Multiplies the little-endian int64 at `at` by 100: a time in ticks becomes nanoseconds.
void ticks_to_nanoseconds_at(std::vector<std::byte>& bytes, std::size_t at) {
    std::uint64_t value = 0;
    for (std::size_t i = 8; i-- > 0;) {
        value = (value << 8U) | std::to_integer<std::uint64_t>(bytes[at + i]);
    }
    value = static_cast<std::uint64_t>(static_cast<std::int64_t>(value) * 100);
    for (std::size_t i = 0; i < 8; ++i) {
        bytes[at + i] = static_cast<std::byte>(value >> (8 * i));
    }
}

/// A head and rows as releases before tick event times wrote them: no leading marker, no row
/// flag 8, and the ordering stage's and the partition limit's times in nanoseconds.
void as_nanosecond_checkpoint(std::vector<std::byte>& head, std::vector<partition_row>& rows,
                              bool partition_limit) {
    head.erase(head.begin(), head.begin() + 8);
    if (partition_limit) {  // the head ends with the limit's two clocks and a key count of 0
        ticks_to_nanoseconds_at(head, head.size() - 24);
        ticks_to_nanoseconds_at(head, head.size() - 16);
    }
    for (partition_row& row : rows) {
        const auto parts = std::to_integer<unsigned>(row.state.front());
        ASSERT_NE(parts & 8U, 0U);
        row.state.front() = static_cast<std::byte>(parts & ~8U);
        std::size_t at = 1;
        if ((parts & 4U) != 0) {  // the partition limit's latest time
            ticks_to_nanoseconds_at(row.state, at);
            at += 8;
        }
        if ((parts & 1U) != 0) {  // the ordering stage's latest time
            ticks_to_nanoseconds_at(row.state, at);
        }
    }
}

/// A run with incremental checkpoints after each of `cuts` lines, killed after the last one and
/// resumed from the head and rows stored by then (with `after` threads); with `nanoseconds`,
/// from them as an earlier release would have stored them.
run_result run_with_incremental_restore(const std::vector<std::string>& lines,
                                        const std::vector<std::size_t>& cuts, unsigned before,
                                        unsigned after, const order_case& c,
                                        bool nanoseconds = false) {
    string_sink output;
    string_sink rejects;
    std::uint64_t output_size = 0;
    std::uint64_t rejects_size = 0;
    std::map<std::vector<std::byte>, std::vector<std::byte>> stored;
    std::vector<std::byte> head;
    {
        const auto first = make_detect_engine(make_query(before, c), output, &rejects);
        first->track_changes();
        std::size_t fed = 0;
        for (const std::size_t cut : cuts) {
            feed(*first, lines, fed, cut);
            fed = cut;
            output_size = output.position();
            rejects_size = rejects.position();
            incremental_state state = first->save_changes();
            head = std::move(state.head);
            keep_rows(stored, std::move(state.rows));
        }
        feed(*first, lines, fed, std::min(lines.size(), fed + 700));
    }
    output.truncate(output_size);
    rejects.truncate(rejects_size);
    std::vector<partition_row> rows;
    rows.reserve(stored.size());
    for (const auto& [key, state] : stored) {
        rows.push_back({key, state});
    }
    if (nanoseconds) {
        as_nanosecond_checkpoint(head, rows, c.max_partitions != 0);
    }
    run_result out;
    {
        const auto second = make_detect_engine(make_query(after, c), output, &rejects);
        second->track_changes();
        second->load_state(head, rows);
        feed(*second, lines, cuts.back(), lines.size());
        second->finish();
        out.counts = second->counts();
        // What the resumed run changed is its rows; with the stored ones they are its state.
        keep_rows(stored, second->save_changes().rows);
    }
    out.output = output.text;
    out.rejects = rejects.text;
    return out;
}

// Property: resuming from incremental checkpoints (a head and the newest row of each key
// changed since the previous checkpoint) gives the uninterrupted run's bytes, for random
// checkpoint positions, thread counts, ordering policies and both detectors.
TEST(ShardedDetect, IncrementalCheckpointsResumeExactly) {
    std::mt19937_64 random{13};
    const std::vector<order_case> cases{
        {20s, out_of_order_action::adjust, false},
        {20s, out_of_order_action::drop, true},
        {0s, out_of_order_action::adjust, false},
        {20s, out_of_order_action::adjust, false, detector_kind::robust}};
    const auto lines = make_lines(4000, 9);
    for (const order_case& c : cases) {
        const run_result one = run(make_query(1, c), lines);
        for (int trial = 0; trial < 6; ++trial) {
            std::vector<std::size_t> cuts(1 + random() % 5);
            for (std::size_t& cut : cuts) {
                cut = random() % (lines.size() + 1);
            }
            std::sort(cuts.begin(), cuts.end());
            const auto before = static_cast<unsigned>(1 + random() % 3);
            const auto after = static_cast<unsigned>(1 + random() % 3);
            SCOPED_TRACE("trial " + std::to_string(trial) + ": " + std::to_string(before) + " -> " +
                         std::to_string(after) + " threads, last cut at " +
                         std::to_string(cuts.back()));
            expect_same(run_with_incremental_restore(lines, cuts, before, after, c), one);
        }
    }
}

// Fixed checkpoints {600, 2500}, every thread count on either side of the restore, current and
// nanosecond-era checkpoints, whole and incremental: with --idle-ttl the function's clock is
// the newest time over all keys (semantics.md#partitions), which one shard alone does not see.
TEST(ShardedDetect, CheckpointsAtFixedCutsResumeExactly) {
    const std::vector<order_case> cases{
        {20s, out_of_order_action::adjust, false},
        {20s, out_of_order_action::drop, false},
        {20s, out_of_order_action::drop, false, detector_kind::asa, 30, 1min},
        {20s, out_of_order_action::adjust, false, detector_kind::asa, 0, 1min}};
    const auto lines = make_lines(4000, 9);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const order_case& c = cases[i];
        const run_result one = run(make_query(1, c), lines);
        for (const unsigned before : {1U, 2U, 3U}) {
            SCOPED_TRACE("case " + std::to_string(i) + ", " + std::to_string(before) + " threads");
            expect_same(run(make_query(before, c), lines), one);
            for (const unsigned after : {1U, 2U, 3U}) {
                SCOPED_TRACE("restored with " + std::to_string(after) + " threads");
                expect_same(run_with_restore(lines, 2500, before, after, c), one);
                for (const bool nanoseconds : {false, true}) {
                    SCOPED_TRACE(nanoseconds ? "incremental, nanoseconds" : "incremental");
                    expect_same(run_with_incremental_restore(lines, {600, 2500}, before, after, c,
                                                             nanoseconds),
                                one);
                }
            }
        }
    }
}

// Checkpoints of releases whose event times were int64 nanoseconds (the head without its ticks
// marker, rows without flag 8) still resume to the uninterrupted run's bytes: their times are
// converted to ticks on load.
TEST(ShardedDetect, IncrementalCheckpointsInNanosecondsStillResume) {
    const std::vector<order_case> cases{
        {20s, out_of_order_action::adjust, false},
        {20s, out_of_order_action::drop, false, detector_kind::asa, 30, 1min}};
    const auto lines = make_lines(4000, 9);
    for (const order_case& c : cases) {
        const run_result one = run(make_query(1, c), lines);
        for (const auto& [before, after] : std::vector<std::pair<unsigned, unsigned>>{{1, 1}}) {
            SCOPED_TRACE(std::to_string(before) + " -> " + std::to_string(after) + " threads");
            expect_same(run_with_incremental_restore(lines, {600, 2500}, before, after, c, true),
                        one);
        }
    }
}

// --max-partitions: a new key beyond the limit is rejected with its own reason, the same keys
// whatever the thread count; with an idle TTL an idle key frees its place.
TEST(ShardedDetect, PartitionLimitRejectsNewKeysAlikeWithAnyThreadCount) {
    const std::vector<std::string> lines{
        R"({"k":"a","t":1574200000,"v":1})", R"({"k":"b","t":1574200001,"v":1})",
        R"({"k":"c","t":1574200002,"v":1})", R"({"k":"a","t":1574200003,"v":2})",
        R"({"k":"c","t":1574200004,"v":2})",
        // Two hours on: with a one-hour TTL "a" and "b" are idle and "c" finds a place.
        R"({"k":"b","t":1574207300,"v":3})", R"({"k":"c","t":1574207301,"v":3})",
        R"({"k":"d","t":1574207302,"v":3})"};
    for (const std::chrono::nanoseconds ttl :
         {std::chrono::nanoseconds{0}, std::chrono::nanoseconds{1h}}) {
        order_case c{0s, out_of_order_action::adjust, false, detector_kind::asa, 2, ttl};
        const run_result one = run(make_query(1, c), lines);
        expect_same(run(make_query(3, c), lines), one);
        std::vector<std::uint64_t> rejected_lines;
        std::size_t from = 0;
        while ((from = one.rejects.find("\"line\":", from)) != std::string::npos) {
            from += 7;
            rejected_lines.push_back(std::stoull(one.rejects.substr(from)));
        }
        EXPECT_EQ(one.counts.rejected, rejected_lines.size());
        EXPECT_EQ(one.rejects.find("\"reason\":\"partition_limit\""), 1U) << one.rejects;
        if (ttl.count() == 0) {
            EXPECT_EQ(rejected_lines, (std::vector<std::uint64_t>{3, 5, 7, 8}));
        } else {
            // "b" (line 6) still holds its place; "c" takes the one "a" freed, "d" finds none.
            EXPECT_EQ(rejected_lines, (std::vector<std::uint64_t>{3, 5, 8}));
        }
    }
}

// A checkpoint after a few events writes the rows of their keys only.
TEST(ShardedDetect, IncrementalCheckpointsWriteOnlyChangedKeys) {
    for (const unsigned threads : {1U, 2U}) {
        string_sink output;
        const auto job = make_detect_engine(make_query(threads, 0s, out_of_order_action::adjust),
                                            output, nullptr);
        job->track_changes();
        feed(*job, make_lines(2000, 10), 0, 2000);
        EXPECT_GT(job->save_changes().rows.size(), 40U);
        const std::vector<std::string> two{R"({"k":"d1","t":1574200000,"v":1})",
                                           R"({"k":7,"t":1574200000,"v":1})",
                                           R"({"k":"d1","t":1574200001,"v":2})"};
        feed(*job, two, 0, two.size());
        const incremental_state state = job->save_changes();
        EXPECT_EQ(state.rows.size(), 2U);
        EXPECT_TRUE(job->save_changes().rows.empty());
    }
}

// With an idle TTL, the checkpoint after the sweep evicted a key's model rewrites the key's row
// without it, instead of keeping the model until the key's next event.
TEST(ShardedDetect, IncrementalCheckpointsDropTheModelsTheIdleTtlEvicted) {
    const std::vector<std::string> first{R"({"k":"a","t":1574200000,"v":1,"w":true})",
                                         R"({"k":"b","t":1574200001,"v":1,"w":true})"};
    // Two hours on: with a one-hour TTL the sweep at this event evicts "a".
    const std::vector<std::string> later{R"({"k":"b","t":1574207300,"v":2,"w":true})"};
    const order_case c{0s, out_of_order_action::adjust, false, detector_kind::asa, 0, 1h};
    for (const unsigned threads : {1U, 2U}) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        string_sink output;
        const auto job = make_detect_engine(make_query(threads, c), output, nullptr);
        job->track_changes();
        feed(*job, first, 0, first.size());
        const incremental_state before = job->save_changes();
        ASSERT_EQ(before.rows.size(), 2U);
        feed(*job, later, 0, later.size());
        const incremental_state after = job->save_changes();
        ASSERT_EQ(after.rows.size(), 2U) << "the evicted key's row is not rewritten";
        std::size_t modelled = 0;
        for (const partition_row& row : after.rows) {
            ASSERT_FALSE(row.state.empty());  // the ordering stage keeps each key's latest time
            modelled += (std::to_integer<unsigned>(row.state.front()) & 2U) != 0 ? 1U : 0U;
        }
        EXPECT_EQ(modelled, 1U) << "only \"b\" holds a model";
    }
}

TEST(ShardedDetect, SavingTheStateMidRunChangesNothing) {
    const order_case c{20s, out_of_order_action::drop, false};
    const auto lines = make_lines(4000, 6);
    const run_result one = run(make_query(1, c.tolerance, c.action), lines);
    string_sink output;
    string_sink rejects;
    const auto job = make_detect_engine(make_query(2, c.tolerance, c.action), output, &rejects);
    for (std::size_t from = 0; from < lines.size(); from += 333) {
        feed(*job, lines, from, std::min(lines.size(), from + 333));
        (void)job->save_state();
    }
    job->finish();
    EXPECT_EQ(output.text, one.output);
    EXPECT_EQ(rejects.text, one.rejects);
    EXPECT_EQ(job->counts().read, one.counts.read);
    EXPECT_EQ(job->counts().rejected, one.counts.rejected);
}

TEST(ShardedDetect, SettleWritesEverythingReleased) {
    const auto lines = make_lines(1000, 8);
    const run_result one = run(make_query(1, 0s, out_of_order_action::adjust), lines);
    string_sink output;
    string_sink rejects;
    const auto job =
        make_detect_engine(make_query(3, 0s, out_of_order_action::adjust), output, &rejects);
    feed(*job, lines, 0, 100);  // less than a batch: nothing need have been written yet
    job->settle();
    const std::size_t written = job->counts().written;
    EXPECT_EQ(job->counts().read, 100U);
    EXPECT_EQ(written + job->counts().rejected, 100U);
    EXPECT_EQ(output.lines().size(), written);
    EXPECT_EQ(output.text, one.output.substr(0, output.text.size()));
    feed(*job, lines, 100, lines.size());
    job->finish();
    EXPECT_EQ(output.text, one.output);
    EXPECT_EQ(rejects.text, one.rejects);
}

TEST(ShardedDetect, ThreadCountIsValidated) {
    EXPECT_THROW(detect_engine::validate(make_query(0, 0s, out_of_order_action::adjust)),
                 std::invalid_argument);
    EXPECT_THROW(detect_engine::validate(
                     make_query(max_detect_threads + 1, 0s, out_of_order_action::adjust)),
                 std::invalid_argument);
    EXPECT_NO_THROW(
        detect_engine::validate(make_query(max_detect_threads, 0s, out_of_order_action::adjust)));
}

// An event after a gap imputes up to history steps of history terms each: the history is
// bounded so that one event's work is (semantics.md#deviations).
TEST(DetectQuery, HistoryIsBoundedSoThatImputationIs) {
    detect_query query = make_query(1, 0s, out_of_order_action::adjust);
    query.history = max_query_history;
    EXPECT_NO_THROW(detect_engine::validate(query));
    query.history = max_query_history + 1;
    try {
        detect_engine::validate(query);
        ADD_FAILURE() << "history above the bound was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("history = " + std::to_string(max_query_history + 1) +
                                             " is out of range: allowed [1, " +
                                             std::to_string(max_query_history) + "]"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ShardedDetect, ThreadsAreNotInTheFingerprint) {
    EXPECT_EQ(make_query(1, 0s, out_of_order_action::adjust).fingerprint(),
              make_query(4, 0s, out_of_order_action::adjust).fingerprint());
}

TEST(ShardedDetect, KeysSpreadOverShards) {
    std::vector<std::size_t> per_shard(4, 0);
    for (std::int64_t k = 0; k < 400; k += 4) {  // a stride that plain modulo would not spread
        ++per_shard[shard_of(partition_key{k}, 4)];
    }
    for (const std::size_t n : per_shard) {
        EXPECT_GT(n, 10U);
    }
}

}  // namespace
}  // namespace streamcp::pipeline
