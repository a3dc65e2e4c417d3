// SPDX-License-Identifier: MIT
// The fast KDE kernel (kernel_path::fast) against the exact one: p-values within 1e-14
// absolute, scores within 1e-6 relative, identical alerts, over ML.NET's vectors and random
// data; S bit for bit; the kernel is a choice, not state (snapshots, restore, functions).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/core/kde_pvalue.hpp"
#include "streamcp/core/kde_pvalue_fast.hpp"
#include "streamcp/core/ring_buffer.hpp"
#include "streamcp/streamcp.hpp"

#include "test_data.hpp"

namespace {

using streamcp::change_point_detector;
using streamcp::kernel_path;
using streamcp::spike_and_dip_detector;

constexpr double p_bound = 1e-14;     // absolute: p is a difference near 0.5
constexpr double score_bound = 1e-6;  // relative

/// The largest deviations seen by this test binary, printed once at the end of each test.
struct worst {
    double p = 0.0;
    double score = 0.0;
};

void compare_change_point(const streamcp::change_point_options& options,
                          const std::vector<double>& xs, const std::string& what, worst& w) {
    change_point_detector exact{options};
    change_point_detector fast{options, kernel_path::fast};
    ASSERT_EQ(fast.kernel(), kernel_path::fast);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const auto a = exact.update(xs[i]);
        const auto b = fast.update(xs[i]);
        ASSERT_EQ(a.is_anomaly, b.is_anomaly) << what << " event " << i;
        if (std::isnan(a.p_value)) {
            ASSERT_TRUE(std::isnan(b.p_value)) << what << " event " << i;
            continue;
        }
        const double dp = std::abs(a.p_value - b.p_value);
        ASSERT_LE(dp, p_bound) << what << " event " << i << ": p " << a.p_value << " vs "
                               << b.p_value;
        w.p = std::max(w.p, dp);
        if (a.score != b.score) {  // also covers equal infinities
            const double rel = std::abs(a.score - b.score) / std::abs(a.score);
            ASSERT_LE(rel, score_bound)
                << what << " event " << i << ": score " << a.score << " vs " << b.score;
            w.score = std::max(w.score, rel);
        }
    }
}

void compare_spike(const streamcp::spike_and_dip_options& options, const std::vector<double>& xs,
                   const std::string& what, worst& w) {
    spike_and_dip_detector exact{options};
    spike_and_dip_detector fast{options, kernel_path::fast};
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const auto a = exact.update(xs[i]);
        const auto b = fast.update(xs[i]);
        ASSERT_EQ(a.is_anomaly, b.is_anomaly) << what << " event " << i;
        if (std::isnan(a.p_value)) {
            ASSERT_TRUE(std::isnan(b.p_value)) << what << " event " << i;
            continue;
        }
        const double dp = std::abs(a.p_value - b.p_value);
        ASSERT_LE(dp, p_bound) << what << " event " << i;
        w.p = std::max(w.p, dp);
    }
}

std::vector<double> random_series(std::uint64_t seed, std::size_t n) {
    std::mt19937_64 rng{seed};
    std::normal_distribution<double> noise{0.0, 1.0};
    std::vector<double> xs;
    double level = 10.0;
    double scale = 1.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (rng() % 211 == 0) {
            level += noise(rng) * 5.0;  // level shifts: alerts and extreme p-values
        }
        if (rng() % 307 == 0) {
            scale = std::exp(noise(rng));
        }
        double v = level + scale * noise(rng);
        if (rng() % 41 == 0) {
            v = std::round(v);  // ties: distances of exactly 0
        }
        if (rng() % 53 == 0) {
            v = std::numeric_limits<double>::quiet_NaN();
        }
        xs.push_back(v);
    }
    return xs;
}

TEST(FastPath, MlnetVectors) {
    worst w;
    for (const auto& set : streamcp_test::load_mlnet_vectors()) {
        if (set.kind == "iid_spike") {
            compare_spike({.confidence = set.confidence,
                           .history = set.history,
                           .mode = set.side == "positive" ? streamcp::spike_mode::spikes
                                                          : streamcp::spike_mode::dips},
                          set.inputs, set.id, w);
        } else {
            compare_change_point(
                {.confidence = set.confidence,
                 .history = set.history,
                 .martingale = set.martingale == "power" ? streamcp::martingale_type::power
                                                         : streamcp::martingale_type::mixture,
                 .epsilon = set.eps},
                set.inputs, set.id, w);
        }
    }
    std::cout << "ML.NET vectors: worst |dp| " << w.p << ", worst relative score " << w.score
              << (streamcp::detail::fast_kernel_is_vectorised() ? " (avx2)" : " (scalar)") << "\n";
}

TEST(FastPath, RandomData) {
    worst w;
    for (const std::int64_t history : {1, 2, 3, 5, 8, 12, 13, 60, 61, 600}) {
        for (const std::uint64_t seed : {1U, 2U, 3U}) {
            const auto xs = random_series(seed * 1000 + static_cast<std::uint64_t>(history),
                                          history >= 600 ? 2000 : 3000);
            const std::string what = "history " + std::to_string(history);
            compare_change_point({.confidence = 95, .history = history}, xs, what + " power", w);
            compare_change_point({.confidence = 90,
                                  .history = history,
                                  .martingale = streamcp::martingale_type::mixture},
                                 xs, what + " mixture", w);
            compare_spike({.confidence = 99, .history = history}, xs, what + " spike", w);
        }
    }
    // One long window, briefly: the sum of 6000 terms per event.
    compare_change_point({.confidence = 95, .history = 6000}, random_series(9, 7000),
                         "history 6000", w);
    std::cout << "random data: worst |dp| " << w.p << ", worst relative score " << w.score << "\n";
}

TEST(FastPath, PairwiseSumIsBitForBit) {
    // S is carried across events: the fast kernel must advance it exactly as the exact one.
    // Short histories are read in place (storage order), longer ones and two runs gathered: the
    // capacities cover both sides of the limit, every block remainder and both ring types.
    for (const std::size_t capacity : {1U, 2U, 3U, 4U, 5U, 7U, 12U, 33U, 64U, 65U, 600U}) {
        streamcp::ring_buffer<float> ring{capacity};
        std::vector<float> slots(capacity);
        std::uint32_t size = 0;
        std::uint32_t head = 0;
        streamcp::ring_span<float> span{slots.data(), capacity, size, head};
        double s_exact = 0.0;
        double s_fast = 0.0;
        double s_span = 0.0;
        double s_runs = 0.0;
        std::mt19937_64 rng{capacity};
        std::normal_distribution<float> noise{3.0F, 2.0F};
        for (int i = 0; i < 2000; ++i) {
            const float x = noise(rng);
            const double pe = streamcp::kde_pvalue(ring, s_exact, x);
            const double pf = streamcp::kde_pvalue_fast(ring, s_fast, x);
            const double ps = streamcp::kde_pvalue_fast(span, s_span, x);
            const auto [older, newer] = ring.segments();
            const double pr = streamcp::kde_pvalue_fast(older, newer, ring.full(), s_runs, x);
            ASSERT_EQ(s_exact, s_fast) << "capacity " << capacity << " event " << i;
            ASSERT_EQ(s_exact, s_span) << "capacity " << capacity << " event " << i;
            ASSERT_EQ(s_exact, s_runs) << "capacity " << capacity << " event " << i;
            ASSERT_LE(std::abs(pe - pf), p_bound) << "capacity " << capacity << " event " << i;
            ASSERT_EQ(pf, ps) << "capacity " << capacity << " event " << i;
            ASSERT_LE(std::abs(pe - pr), p_bound) << "capacity " << capacity << " event " << i;
            ring.push_back(x);
            span.push_back(x);
        }
    }
}

TEST(FastPath, SignedZeroFollowsTheExactErf) {
    // x = -0.0 against a stored +0.0 gives d = -0.0, where erf_mlnet keeps its + sign.
    worst w;
    compare_change_point({.confidence = 95, .history = 9},
                         {0.0, 1.0, -0.0, 0.0, 2.0, -0.0, -1.0, 0.0, -0.0, 0.5, -0.0, 0.0, -0.0},
                         "signed zeros", w);
}

TEST(FastPath, KernelIsNotState) {
    change_point_detector fast{{.confidence = 95, .history = 8}, kernel_path::fast};
    change_point_detector exact{{.confidence = 95, .history = 8}};
    for (const double x : random_series(4, 50)) {
        (void)fast.update(x);
        (void)exact.update(x);
    }
    // A snapshot of either restores into either, and the receiver keeps its own kernel.
    change_point_detector restored{{.confidence = 95, .history = 8}, kernel_path::fast};
    restored.restore(exact.snapshot());
    EXPECT_EQ(restored.kernel(), kernel_path::fast);
    EXPECT_EQ(change_point_detector::from_snapshot(fast.snapshot()).kernel(), kernel_path::exact);
    EXPECT_EQ(change_point_detector::from_snapshot(exact.snapshot(), kernel_path::fast).kernel(),
              kernel_path::fast);
    spike_and_dip_detector spike{{.confidence = 99, .history = 8}, kernel_path::fast};
    spike.restore(spike_and_dip_detector{{.confidence = 99, .history = 8}}.snapshot());
    EXPECT_EQ(spike.kernel(), kernel_path::fast);
}

TEST(FastPath, FunctionsSelectTheKernel) {
    using namespace std::chrono;  // NOLINT(google-build-using-namespace)
    const streamcp::event_time t0 = sys_days{year{2024} / 1 / 1};
    const streamcp::function_options fast_options{.kernel = kernel_path::fast};
    streamcp::anomaly_detection_change_point<std::int64_t> fast{80, 12, minutes{10}, fast_options};
    streamcp::anomaly_detection_change_point<std::int64_t> exact{80, 12, minutes{10}};
    const auto xs = random_series(5, 400);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const auto key = static_cast<std::int64_t>(i % 3);
        const auto t = t0 + seconds{static_cast<int>(i)};
        const auto a = exact.evaluate(key, t, xs[i]);
        const auto b = fast.evaluate(key, t, xs[i]);
        ASSERT_EQ(a.has_value(), b.has_value());
        ASSERT_EQ(a->is_anomaly, b->is_anomaly) << "event " << i;
        ASSERT_EQ(a->score.has_value(), b->score.has_value()) << "event " << i;
        if (a->score && *a->score != *b->score) {
            ASSERT_LE(std::abs(*a->score - *b->score) / std::abs(*a->score), score_bound);
        }
    }
    ASSERT_NE(fast.find(0), nullptr);
    EXPECT_EQ(fast.find(0)->kernel(), kernel_path::fast);
    // The kernel is not a recorded parameter: snapshots cross between the two.
    streamcp::anomaly_detection_change_point<std::int64_t> restored{80, 12, minutes{10},
                                                                    fast_options};
    restored.restore(exact.snapshot());
    EXPECT_EQ(restored.partition_count(), 3U);
    EXPECT_EQ(restored.find(1)->kernel(), kernel_path::fast);
    streamcp::anomaly_detection_spike_and_dip<std::int64_t> spikes{
        99, 12, streamcp::spike_mode::spikes_and_dips, minutes{10}, fast_options};
    (void)spikes.evaluate(7, t0, 1.0);
    EXPECT_EQ(spikes.find(7)->kernel(), kernel_path::fast);
}

}  // namespace
