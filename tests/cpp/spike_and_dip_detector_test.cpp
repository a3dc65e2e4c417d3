// SPDX-License-Identifier: MIT
// spike_and_dip_detector: modes, warm-up, the p <= 1 - conf/100 rule (semantics.md#spike-and-dip)
// and parse_spike_mode.
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/streamcp.hpp"

namespace {

using streamcp::spike_and_dip_detector;
using streamcp::spike_and_dip_result;
using streamcp::spike_mode;

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

std::vector<double> noisy_base(std::uint64_t seed, int n) {
    std::mt19937_64 rng{seed};
    std::normal_distribution<double> noise{10.0, 1.0};
    std::vector<double> xs;
    for (int i = 0; i < n; ++i) {
        xs.push_back(noise(rng));
    }
    return xs;
}

/// Feeds a noisy base, then `outlier`; returns the outlier's result.
spike_and_dip_result outlier_result(spike_mode mode, double outlier) {
    spike_and_dip_detector det{{.confidence = 99, .history = 20, .mode = mode}};
    for (const double x : noisy_base(3, 30)) {
        (void)det.update(x);
    }
    return det.update(outlier);
}

TEST(SpikeAndDipDetector, SpikesAlertOnHighNotLow) {
    EXPECT_TRUE(outlier_result(spike_mode::spikes, 100.0).is_anomaly);
    const auto low = outlier_result(spike_mode::spikes, -100.0);
    EXPECT_FALSE(low.is_anomaly);
    EXPECT_EQ(low.p_value, 1.0 - 1e-8);  // right tail of a very low value, clamped
}

TEST(SpikeAndDipDetector, DipsAlertOnLowNotHigh) {
    EXPECT_TRUE(outlier_result(spike_mode::dips, -100.0).is_anomaly);
    EXPECT_FALSE(outlier_result(spike_mode::dips, 100.0).is_anomaly);
}

TEST(SpikeAndDipDetector, SpikesAndDipsAlertOnBoth) {
    EXPECT_TRUE(outlier_result(spike_mode::spikes_and_dips, 100.0).is_anomaly);
    EXPECT_TRUE(outlier_result(spike_mode::spikes_and_dips, -100.0).is_anomaly);
    EXPECT_FALSE(outlier_result(spike_mode::spikes_and_dips, 10.0).is_anomaly);
}

TEST(SpikeAndDipDetector, ModesAreRelatedBySides) {
    // dips = 1 - spikes, two-sided = min of the two (before the clamp, which is inactive here).
    const auto base = noisy_base(11, 40);
    spike_and_dip_detector up{{.confidence = 95, .history = 8, .mode = spike_mode::spikes}};
    spike_and_dip_detector down{{.confidence = 95, .history = 8, .mode = spike_mode::dips}};
    spike_and_dip_detector both{
        {.confidence = 95, .history = 8, .mode = spike_mode::spikes_and_dips}};
    for (std::size_t i = 0; i < base.size(); ++i) {
        const double p = up.update(base[i]).p_value;
        const double q = down.update(base[i]).p_value;
        const double m = both.update(base[i]).p_value;
        if (p > 1e-8 && p < 1.0 - 1e-8) {
            EXPECT_NEAR(q, 1.0 - p, 1e-15) << i;
            EXPECT_EQ(m, std::min(p, q)) << i;
        }
    }
}

TEST(SpikeAndDipDetector, AlertsOnlyOnceHistoryIsFull) {
    // Each new value is far above the last: p is minimal from the second event on, yet only
    // the W-th and later values may alert.
    const std::int64_t w = 5;
    spike_and_dip_detector det{{.confidence = 90, .history = w, .mode = spike_mode::spikes}};
    for (int i = 1; i <= 8; ++i) {
        const auto r = det.update(std::pow(10.0, i));
        if (i > 1) {
            EXPECT_EQ(r.p_value, 1e-8) << i;
        }
        EXPECT_EQ(r.is_anomaly, i >= w) << "event " << i;
    }
}

TEST(SpikeAndDipDetector, FirstEventHasPHalfAndNoCooldown) {
    spike_and_dip_detector det{{.confidence = 90, .history = 1, .mode = spike_mode::spikes}};
    const auto first = det.update(1.0);
    EXPECT_EQ(first.p_value, 0.5);
    EXPECT_FALSE(first.is_anomaly);
    // History 1 is full after each push; consecutive spikes all alert: no cooldown.
    for (int i = 2; i < 6; ++i) {
        EXPECT_TRUE(det.update(std::pow(10.0, i)).is_anomaly) << i;
    }
}

TEST(SpikeAndDipDetector, AlertRuleIsPAtMostOneMinusConfidence) {
    // Sweep confidences over a fixed p-value sequence: alert <=> full && p <= 1 - conf/100.
    const auto xs = noisy_base(5, 120);
    for (const double conf : {0.0, 50.0, 80.0, 90.0, 95.0, 99.0, 99.5, 100.0}) {
        spike_and_dip_detector det{
            {.confidence = conf, .history = 10, .mode = spike_mode::spikes_and_dips}};
        EXPECT_EQ(det.threshold(), 1.0 - conf / 100.0);
        for (std::size_t i = 0; i < xs.size(); ++i) {
            const auto r = det.update(xs[i]);
            EXPECT_EQ(r.is_anomaly, i + 1 >= 10 && r.p_value <= 1.0 - conf / 100.0)
                << conf << " event " << i;
        }
    }
}

TEST(SpikeAndDipDetector, ThresholdIsInclusive) {
    // History 1 is full after the first value, whose p is exactly 0.5; confidence 50 puts the
    // threshold at exactly 0.5, so p == threshold must alert.
    spike_and_dip_detector half{{.confidence = 50, .history = 1, .mode = spike_mode::spikes}};
    const auto r = half.update(2.0);
    ASSERT_EQ(r.p_value, 0.5);
    EXPECT_TRUE(r.is_anomaly);
    spike_and_dip_detector above{{.confidence = 51, .history = 1, .mode = spike_mode::spikes}};
    EXPECT_FALSE(above.update(2.0).is_anomaly);
}

TEST(SpikeAndDipDetector, NanChangesNothingAndInfinityThrows) {
    spike_and_dip_detector a{{.confidence = 95, .history = 4, .mode = spike_mode::spikes}};
    spike_and_dip_detector b{{.confidence = 95, .history = 4, .mode = spike_mode::spikes}};
    for (const double x : {1.0, 3.0, 2.0}) {
        (void)a.update(x);
        (void)b.update(x);
    }
    const auto r = a.update(nan_v);
    EXPECT_TRUE(std::isnan(r.p_value));
    EXPECT_FALSE(r.is_anomaly);
    EXPECT_THROW((void)a.update(std::numeric_limits<double>::infinity()), std::invalid_argument);
    EXPECT_THROW((void)a.update(-1e39), std::invalid_argument);
    EXPECT_EQ(a.snapshot(), b.snapshot());
    EXPECT_EQ(a.update(9.0).p_value, b.update(9.0).p_value);
}

TEST(SpikeAndDipDetector, UpdateManyEqualsUpdate) {
    auto xs = noisy_base(8, 60);
    xs[7] = nan_v;
    xs[30] = 40.0;
    spike_and_dip_detector one{{.confidence = 95, .history = 9, .mode = spike_mode::dips}};
    spike_and_dip_detector many{{.confidence = 95, .history = 9, .mode = spike_mode::dips}};
    std::vector<spike_and_dip_result> out(xs.size());
    many.update_many(xs, out);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const auto r = one.update(xs[i]);
        EXPECT_TRUE(std::isnan(r.p_value) ? std::isnan(out[i].p_value)
                                          : r.p_value == out[i].p_value)
            << i;
        EXPECT_EQ(r.is_anomaly, out[i].is_anomaly) << i;
    }
    std::vector<double> bad{1.0, std::numeric_limits<double>::infinity()};
    std::vector<spike_and_dip_result> out2(2);
    const auto before = many.snapshot();
    EXPECT_THROW(many.update_many(bad, out2), std::invalid_argument);
    EXPECT_EQ(many.snapshot(), before);
}

TEST(SpikeAndDipDetector, ParseSpikeMode) {
    EXPECT_EQ(streamcp::parse_spike_mode("spikes"), spike_mode::spikes);
    EXPECT_EQ(streamcp::parse_spike_mode("dips"), spike_mode::dips);
    EXPECT_EQ(streamcp::parse_spike_mode("spikesanddips"), spike_mode::spikes_and_dips);
    EXPECT_EQ(streamcp::parse_spike_mode("SpikesAndDips"), spike_mode::spikes_and_dips);
    EXPECT_EQ(streamcp::parse_spike_mode("DIPS"), spike_mode::dips);
    for (const std::string bad : {"", "spike", "dip", "both", "spikes and dips", " spikes"}) {
        try {
            (void)streamcp::parse_spike_mode(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("mode"), std::string::npos) << e.what();
        }
    }
    for (const auto m : {spike_mode::spikes, spike_mode::dips, spike_mode::spikes_and_dips}) {
        EXPECT_EQ(streamcp::parse_spike_mode(streamcp::to_string(m)), m);
    }
}

TEST(SpikeAndDipDetector, Validation) {
    EXPECT_THROW(spike_and_dip_detector({.confidence = -0.5}), std::invalid_argument);
    EXPECT_THROW(spike_and_dip_detector({.confidence = 100.01}), std::invalid_argument);
    EXPECT_THROW(spike_and_dip_detector({.history = 0}), std::invalid_argument);
    EXPECT_THROW(spike_and_dip_detector({.mode = static_cast<spike_mode>(7)}),
                 std::invalid_argument);
    try {
        spike_and_dip_detector det{{.history = -2}};
        ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("history"), std::string::npos) << e.what();
    }
}

}  // namespace
