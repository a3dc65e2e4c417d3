// SPDX-License-Identifier: MIT
// robust_change_point_detector: the properties docs/quality.md promises (no warm-up alerts,
// scale invariance, onset dating, restart, NaN and validation rules).
#include "streamcp/model/robust_change_point_detector.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace {

using streamcp::robust_change_point_detector;
using streamcp::robust_change_point_options;
using streamcp::robust_change_point_result;

/// Uniform noise in [-1, 1) from mt19937's raw output, which the standard fixes exactly
/// (unlike the distributions), so the test is the same on every platform.
std::vector<double> noise(std::size_t n, std::uint32_t seed) {
    std::mt19937 gen{seed};
    std::vector<double> out(n);
    for (double& v : out) {
        v = static_cast<double>(gen()) / 2147483648.0 - 1.0;
    }
    return out;
}

std::vector<robust_change_point_result> run(robust_change_point_detector& det,
                                            const std::vector<double>& xs) {
    std::vector<robust_change_point_result> out;
    out.reserve(xs.size());
    for (const double x : xs) {
        out.push_back(det.update(x));
    }
    return out;
}

std::vector<std::size_t> alerts(const std::vector<robust_change_point_result>& rs) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < rs.size(); ++i) {
        if (rs[i].is_change) {
            out.push_back(i);
        }
    }
    return out;
}

TEST(RobustChangePointDetector, ThresholdIsOneOverAlpha) {
    const robust_change_point_detector det{{.confidence = 95.0}};
    EXPECT_NEAR(det.threshold(), 20.0, 1e-9);
}

TEST(RobustChangePointDetector, NoBetsDuringWarmUp) {
    robust_change_point_detector det{{.history = 20, .min_history = 8}};
    // Wildly different values: ML.NET would alert on the history-th one.
    const std::vector<double> xs{1, 1e6, -1e6, 3, 1e9, 7, -2e9, 5};
    for (const robust_change_point_result& r : run(det, xs)) {
        EXPECT_FALSE(r.is_change);
        EXPECT_TRUE(std::isnan(r.p_value));
        EXPECT_EQ(r.score, 1.0);
    }
}

TEST(RobustChangePointDetector, QuietOnStationaryNoise) {
    robust_change_point_detector det{{.confidence = 99.0}};
    const auto rs = run(det, noise(2000, 7));
    // Ville's bound on a test martingale: few false alarms (at the 1% level per excursion).
    EXPECT_LE(alerts(rs).size(), 3U);
}

TEST(RobustChangePointDetector, DetectsALevelShiftAndDatesItsOnset) {
    std::vector<double> xs = noise(300, 11);
    for (std::size_t i = 150; i < xs.size(); ++i) {
        xs[i] += 10.0;
    }
    robust_change_point_detector det{};
    const auto rs = run(det, xs);
    const auto found = alerts(rs);
    ASSERT_FALSE(found.empty());
    const std::size_t first = found.front();
    EXPECT_GE(first, 150U);
    EXPECT_LE(first, 155U);
    EXPECT_EQ(first - static_cast<std::size_t>(rs[first].onset_lag), 150U);
    // The restart keeps only post-change values: the new level is not flagged again.
    EXPECT_EQ(found.size(), 1U);
}

TEST(RobustChangePointDetector, ScaleInvariant) {
    std::vector<double> xs = noise(200, 3);
    for (std::size_t i = 120; i < xs.size(); ++i) {
        xs[i] += 4.0;
    }
    std::vector<double> scaled = xs;
    for (double& v : scaled) {
        v = v * 1e7 + 3e9;
    }
    robust_change_point_detector a{};
    robust_change_point_detector b{};
    EXPECT_EQ(alerts(run(a, xs)), alerts(run(b, scaled)));
}

TEST(RobustChangePointDetector, NanChangesNothing) {
    const std::vector<double> xs = noise(60, 5);
    robust_change_point_detector a{};
    robust_change_point_detector b{};
    std::vector<robust_change_point_result> with_nan;
    for (const double x : xs) {
        const robust_change_point_result r = b.update(std::numeric_limits<double>::quiet_NaN());
        EXPECT_TRUE(std::isnan(r.score));
        EXPECT_FALSE(r.is_change);
        EXPECT_EQ(r.onset_lag, -1);
        with_nan.push_back(b.update(x));
    }
    const auto plain = run(a, xs);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        EXPECT_EQ(plain[i].score, with_nan[i].score);
        EXPECT_EQ(plain[i].is_change, with_nan[i].is_change);
    }
}

TEST(RobustChangePointDetector, DifferenceModeFindsASlopeChange) {
    std::vector<double> xs = noise(200, 9);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double t = static_cast<double>(i);
        xs[i] = 0.1 * xs[i] + (i < 100 ? t : 100.0 + 5.0 * (t - 100.0));
    }
    robust_change_point_detector det{{.difference = true}};
    const auto found = alerts(run(det, xs));
    ASSERT_FALSE(found.empty());
    EXPECT_GE(found.front(), 100U);
    EXPECT_LE(found.front(), 105U);
}

TEST(RobustChangePointDetector, RejectsBadInput) {
    robust_change_point_detector det{};
    EXPECT_THROW(det.update(std::numeric_limits<double>::infinity()), std::invalid_argument);
    EXPECT_EQ(det.fill(), 0U);
    EXPECT_THROW(robust_change_point_detector({.confidence = 100.0}), std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.history = 1}), std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.history = 5, .min_history = 6}),
                 std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.epsilon = 1.0}), std::invalid_argument);
    std::vector<robust_change_point_result> out(1);
    const std::vector<double> two{1.0, 2.0};
    EXPECT_THROW(det.update_many(two, out), std::invalid_argument);
}

}  // namespace
