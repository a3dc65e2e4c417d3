// SPDX-License-Identifier: MIT
// Splitting a function snapshot by key and merging the parts: split then merge restores the
// original, and every part scores its keys as the whole did (the sharded engine relies on it),
// for ASA's function and for the recommended detector's.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/streamcp.hpp"

namespace {

using namespace std::chrono;  // NOLINT: durations read better unqualified
using streamcp::anomaly_detection_change_point;
using streamcp::event_time;
using streamcp::record;
using streamcp::robust_change_point_function;
using streamcp::robust_change_point_options;
using streamcp::snapshot_error;

using bytes = std::vector<std::byte>;
using function = anomaly_detection_change_point<std::string>;
using robust_function = robust_change_point_function<std::string>;

const event_time t0 = sys_days{year{2024} / 5 / 1};

struct event {
    std::string key;
    event_time time;
    std::optional<double> value;
};

/// Keys of uneven traffic, irregular gaps (imputation), NULLs and a shift in a few keys.
std::vector<event> make_events(std::uint64_t seed, std::size_t count) {
    std::mt19937_64 random{seed};
    std::vector<event> events;
    event_time now = t0;
    for (std::size_t i = 0; i < count; ++i) {
        now += seconds{static_cast<std::int64_t>(random() % 90)};
        const auto k = random() % 23 % (random() % 23 + 1);
        std::optional<double> value = 20.0 + static_cast<double>(random() % 1000) / 250.0;
        if (k % 5 == 1 && i > count / 2) {
            *value += 9.0;
        }
        if (random() % 40 == 0) {
            value = std::nullopt;
        }
        events.push_back({"k" + std::to_string(k), now, value});
    }
    return events;
}

/// The function under test: `make<F>()` builds one, `make_other<F>()` one with other
/// parameters, `partitions(f)` counts its keys.
template <class F>
F make();
template <>
function make<function>() {
    return function{90, 10, minutes{20}};
}
template <>
robust_function make<robust_function>() {
    return robust_function{robust_change_point_options{.history = 40, .cooldown = 5}, minutes{20}};
}
template <class F>
F make_other();
template <>
function make_other<function>() {
    return function{90, 11, minutes{20}};
}
template <>
robust_function make_other<robust_function>() {
    return robust_function{robust_change_point_options{.history = 41, .cooldown = 5}, minutes{20}};
}
std::size_t partitions(const function& f) { return f.partition_count(); }
std::size_t partitions(const robust_function& f) { return f.partition_count(); }

std::size_t part_of(const std::string& key, std::size_t parts) {
    return std::hash<std::string>{}(key) % parts;
}

template <class F>
std::vector<bytes> split(const F& f, const bytes& snapshot, std::size_t parts) {
    return f.split_snapshot(snapshot, parts,
                            [parts](const std::string& key) { return part_of(key, parts); });
}

template <class F>
void split_then_merge_restores_the_original(std::uint64_t seed) {
    const auto events = make_events(seed, 1500);
    for (const std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{700}}) {
        F straight = make<F>();
        for (std::size_t i = 0; i < cut; ++i) {
            (void)straight.evaluate(events[i].key, events[i].time, events[i].value);
        }
        const bytes whole = straight.snapshot();
        EXPECT_EQ(split(straight, whole, 1), std::vector<bytes>{whole});
        EXPECT_EQ(straight.merge_snapshots(std::vector<bytes>{whole}), whole);
        for (const std::size_t parts : {2U, 3U, 7U}) {
            SCOPED_TRACE("cut " + std::to_string(cut) + ", " + std::to_string(parts) + " parts");
            const std::vector<bytes> cut_up = split(straight, whole, parts);
            ASSERT_EQ(cut_up.size(), parts);
            const bytes merged = straight.merge_snapshots(cut_up);
            // The merge lists the parts' partitions part by part; splitting it again gives
            // the same parts, byte for byte.
            EXPECT_EQ(split(straight, merged, parts), cut_up);
            F restored = make<F>();
            restored.restore(merged);
            EXPECT_EQ(partitions(restored), partitions(straight));
            F reference = make<F>();
            reference.restore(whole);
            for (std::size_t i = cut; i < events.size(); ++i) {
                const auto& e = events[i];
                ASSERT_EQ(restored.evaluate(e.key, e.time, e.value),
                          reference.evaluate(e.key, e.time, e.value))
                    << "event " << i;
            }
        }
    }
}

template <class F>
void each_part_scores_its_keys_as_the_whole(std::uint64_t seed) {
    const auto events = make_events(seed, 1500);
    const std::size_t cut = 600;
    const std::size_t parts = 4;
    F straight = make<F>();
    for (std::size_t i = 0; i < cut; ++i) {
        (void)straight.evaluate(events[i].key, events[i].time, events[i].value);
    }
    const std::vector<bytes> cut_up = split(straight, straight.snapshot(), parts);
    std::vector<F> shards;
    std::size_t keys = 0;
    for (const bytes& part : cut_up) {
        shards.push_back(make<F>());
        shards.back().restore(part);
        keys += partitions(shards.back());
    }
    EXPECT_EQ(keys, partitions(straight));
    int anomalies = 0;
    for (std::size_t i = cut; i < events.size(); ++i) {
        const auto& e = events[i];
        const std::optional<record> expected = straight.evaluate(e.key, e.time, e.value);
        ASSERT_EQ(shards[part_of(e.key, parts)].evaluate(e.key, e.time, e.value), expected)
            << "event " << i;
        anomalies += expected && expected->is_anomaly ? 1 : 0;
    }
    EXPECT_GT(anomalies, 0);
}

class SnapshotSplit : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(SnapshotSplit, SplitThenMergeRestoresTheOriginal) {
    split_then_merge_restores_the_original<function>(GetParam());
}

TEST_P(SnapshotSplit, EachPartScoresItsKeysAsTheWhole) {
    each_part_scores_its_keys_as_the_whole<function>(GetParam());
}

TEST_P(SnapshotSplit, RobustSplitThenMergeRestoresTheOriginal) {
    split_then_merge_restores_the_original<robust_function>(GetParam());
}

TEST_P(SnapshotSplit, RobustEachPartScoresItsKeysAsTheWhole) {
    each_part_scores_its_keys_as_the_whole<robust_function>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Seeds, SnapshotSplit, ::testing::Values(1U, 2U, 3U));

template <class F>
void refuses_foreign_snapshots_and_bad_parts() {
    F f = make<F>();
    (void)f.evaluate("a", t0, 1.0);
    (void)f.evaluate("b", t0, 2.0);
    const bytes snap = f.snapshot();
    const F other = make_other<F>();
    EXPECT_THROW((void)split(other, snap, 2), snapshot_error);
    EXPECT_THROW((void)other.merge_snapshots(std::vector<bytes>{snap}), snapshot_error);
    EXPECT_THROW((void)f.split_snapshot(snap, 2, [](const std::string&) { return 2U; }),
                 std::invalid_argument);
    EXPECT_THROW((void)f.split_snapshot(snap, 0, [](const std::string&) { return 0U; }),
                 std::invalid_argument);
    // The same key in two parts.
    EXPECT_THROW((void)f.merge_snapshots(std::vector<bytes>{snap, snap}), snapshot_error);
    bytes damaged = snap;
    damaged[damaged.size() / 2] ^= std::byte{0x40};
    EXPECT_THROW((void)split(f, damaged, 2), snapshot_error);
    // Nothing to merge is an empty function.
    EXPECT_EQ(f.merge_snapshots({}), make<F>().snapshot());
}

TEST(SnapshotSplit, RefusesForeignSnapshotsAndBadParts) {
    refuses_foreign_snapshots_and_bad_parts<function>();
}

TEST(SnapshotSplit, RobustRefusesForeignSnapshotsAndBadParts) {
    refuses_foreign_snapshots_and_bad_parts<robust_function>();
}

}  // namespace
