// SPDX-License-Identifier: MIT
// Core building blocks: ring buffer, ML.NET's erf, betting functions, threshold (semantics.md#erf,
// #threshold), cooldown.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/core/betting.hpp"
#include "streamcp/core/erf.hpp"
#include "streamcp/core/kde_pvalue.hpp"
#include "streamcp/core/martingale.hpp"
#include "streamcp/core/ring_buffer.hpp"
#include "streamcp/streamcp.hpp"

namespace {

using streamcp::alert_cooldown;
using streamcp::erf_mlnet;
using streamcp::martingale_type;
using streamcp::ring_buffer;

constexpr double inf = std::numeric_limits<double>::infinity();

template <class T>
std::vector<T> contents(const ring_buffer<T>& rb) {
    std::vector<T> out;
    for (std::size_t i = 0; i < rb.size(); ++i) {
        out.push_back(rb[i]);
    }
    return out;
}

template <class T>
std::vector<T> via_segments(const ring_buffer<T>& rb) {
    std::vector<T> out;
    const auto [first, second] = rb.segments();
    out.insert(out.end(), first.begin(), first.end());
    out.insert(out.end(), second.begin(), second.end());
    return out;
}

TEST(RingBuffer, FillsInFifoOrder) {
    ring_buffer<int> rb{3};
    EXPECT_TRUE(rb.empty());
    EXPECT_FALSE(rb.full());
    EXPECT_EQ(rb.capacity(), 3U);
    rb.push_back(1);
    rb.push_back(2);
    EXPECT_EQ(rb.size(), 2U);
    EXPECT_FALSE(rb.full());
    EXPECT_EQ(rb.front(), 1);
    EXPECT_EQ(contents(rb), (std::vector<int>{1, 2}));
    rb.push_back(3);
    EXPECT_TRUE(rb.full());
    EXPECT_EQ(contents(rb), (std::vector<int>{1, 2, 3}));
}

TEST(RingBuffer, OverwritesOldestWhenFull) {
    ring_buffer<int> rb{3};
    for (int i = 1; i <= 5; ++i) {
        rb.push_back(i);
    }
    EXPECT_EQ(rb.size(), 3U);
    EXPECT_EQ(rb.front(), 3);
    EXPECT_EQ(contents(rb), (std::vector<int>{3, 4, 5}));
}

TEST(RingBuffer, SegmentsVisitEveryElementOldestFirstAtEveryRotation) {
    // Compare against a reference FIFO for every head position, including wrap-around.
    ring_buffer<int> rb{4};
    std::vector<int> reference;
    for (int i = 0; i < 13; ++i) {
        rb.push_back(i);
        reference.push_back(i);
        if (reference.size() > 4) {
            reference.erase(reference.begin());
        }
        EXPECT_EQ(via_segments(rb), reference) << "after pushing " << i;
        EXPECT_EQ(contents(rb), reference) << "after pushing " << i;
        EXPECT_EQ(rb.front(), reference.front());
        // storage() is the same contents rotated: FIFO order from oldest_index(), wrapping.
        const auto stored = rb.storage();
        ASSERT_EQ(stored.size(), reference.size());
        for (std::size_t k = 0; k < stored.size(); ++k) {
            EXPECT_EQ(stored[(rb.oldest_index() + k) % stored.size()], reference[k])
                << "after pushing " << i;
        }
    }
}

TEST(RingBuffer, CapacityOneKeepsOnlyTheNewest) {
    ring_buffer<double> rb{1};
    rb.push_back(1.5);
    rb.push_back(2.5);
    EXPECT_TRUE(rb.full());
    EXPECT_EQ(contents(rb), (std::vector<double>{2.5}));
    EXPECT_EQ(via_segments(rb), (std::vector<double>{2.5}));
}

TEST(RingBuffer, ClearEmptiesAndRestartsFifo) {
    ring_buffer<int> rb{2};
    rb.push_back(1);
    rb.push_back(2);
    rb.push_back(3);
    rb.clear();
    EXPECT_TRUE(rb.empty());
    rb.push_back(7);
    rb.push_back(8);
    rb.push_back(9);
    EXPECT_EQ(contents(rb), (std::vector<int>{8, 9}));
    EXPECT_EQ(via_segments(rb), (std::vector<int>{8, 9}));
}

TEST(ErfMlnet, ZeroIsOneMinusTheCoefficientSum) {
    // A&S 7.1.26 is not exact at 0: erf(0) = 1 - (a1+..+a5) ~ 1e-9, which ML.NET's
    // constant-series p-value 0.4999999995 depends on.
    const double expected =
        1.0 - (0.254829592 + -0.284496736 + 1.421413741 + -1.453152027 + 1.061405429);
    EXPECT_NEAR(erf_mlnet(0.0), expected, 1e-15);
    EXPECT_GT(erf_mlnet(0.0), 0.5e-9);
    EXPECT_LT(erf_mlnet(0.0), 1.5e-9);
}

TEST(ErfMlnet, NegativeZeroTakesThePositiveBranch) {
    EXPECT_EQ(erf_mlnet(-0.0), erf_mlnet(0.0));
    EXPECT_GT(erf_mlnet(-0.0), 0.0);
}

TEST(ErfMlnet, IsOddAwayFromZero) {
    for (const double x : {1e-12, 1e-6, 0.1, 0.5, 1.0, 1.7, 3.0, 6.0, 30.0}) {
        EXPECT_EQ(erf_mlnet(-x), -erf_mlnet(x)) << x;
    }
}

TEST(ErfMlnet, InfinitiesMapToPlusMinusOne) {
    EXPECT_EQ(erf_mlnet(inf), 1.0);
    EXPECT_EQ(erf_mlnet(-inf), -1.0);
    EXPECT_EQ(erf_mlnet(40.0), 1.0);
}

TEST(ErfMlnet, IsTheApproximationNotStdErf) {
    // Within the A&S error bound of the true erf, but not equal to it.
    bool any_differs = false;
    for (double x = -3.0; x <= 3.0; x += 0.125) {
        EXPECT_NEAR(erf_mlnet(x), std::erf(x), 1.6e-7) << x;
        any_differs = any_differs || erf_mlnet(x) != std::erf(x);
    }
    EXPECT_TRUE(any_differs);
    EXPECT_NEAR(erf_mlnet(1.0), 0.8427006897475899, 1e-12);  // the A&S value, not 0.84270079
}

/// semantics.md#kde-p-value transcribed value by value: the order every kernel of the exact path
/// must reproduce bit for bit.
double kde_pvalue_reference(const ring_buffer<float>& history, double& pairwise_sum, float x) {
    const std::size_t n = history.size();
    if (n == 0) {
        return 0.5;
    }
    const double xd = x;
    const double bandwidth = streamcp::kde_bandwidth(n, pairwise_sum);
    double acc = 0.0;
    double sum = pairwise_sum;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = xd - static_cast<double>(history[i]);
        acc -= erf_mlnet(d / bandwidth);
        sum += d * d;
    }
    if (history.full()) {
        for (std::size_t i = 1; i < n; ++i) {
            const double d = history.front() - history[i];  // float32 subtraction
            sum -= d * d;
        }
        const double d = static_cast<double>(history.front()) - xd;
        sum -= d * d;
    }
    pairwise_sum = sum;
    return 0.5 + acc / static_cast<double>(2 * n);
}

TEST(KdePValue, ExactKernelIsTheReferenceBitForBit) {
    // Histories up to 64 values are read in place in storage order, longer ones run by run: every
    // rotation, block remainder and both ring types, with ties and level shifts.
    for (const std::size_t capacity :
         {1U, 2U, 3U, 4U, 5U, 6U, 7U, 8U, 9U, 12U, 13U, 31U, 64U, 65U, 100U}) {
        ring_buffer<float> ring{capacity};
        std::vector<float> slots(capacity);
        std::uint32_t size = 0;
        std::uint32_t head = 0;
        streamcp::ring_span<float> span{slots.data(), capacity, size, head};
        double s_ref = 0.0;
        double s_ring = 0.0;
        double s_span = 0.0;
        std::mt19937_64 rng{capacity};
        std::normal_distribution<float> noise{0.0F, 1.0F};
        float level = 5.0F;
        for (int i = 0; i < 1500; ++i) {
            if (i % 97 == 0) {
                level += 8.0F;
            }
            float x = level + noise(rng);
            if (i % 7 == 0) {
                x = std::round(x);
            }
            const double expected = kde_pvalue_reference(ring, s_ref, x);
            EXPECT_EQ(streamcp::kde_pvalue(ring, s_ring, x), expected)
                << "capacity " << capacity << " event " << i;
            EXPECT_EQ(streamcp::kde_pvalue(span, s_span, x), expected)
                << "capacity " << capacity << " event " << i;
            ASSERT_EQ(s_ring, s_ref) << "capacity " << capacity << " event " << i;
            ASSERT_EQ(s_span, s_ref) << "capacity " << capacity << " event " << i;
            ring.push_back(x);
            span.push_back(x);
        }
    }
}

TEST(Betting, PowerBetMatchesFormula) {
    for (const double p : {1e-8, 0.01, 0.25, 0.5, 0.9, 1.0 - 1e-8}) {
        EXPECT_DOUBLE_EQ(streamcp::log_power_bet(p, 0.1), std::log(0.1) - 0.9 * std::log(p)) << p;
        EXPECT_DOUBLE_EQ(streamcp::log_power_bet(p, 0.3), std::log(0.3) - 0.7 * std::log(p)) << p;
    }
    // The largest bet (p clamped to 1e-8) is about 14.28 (semantics.md#threshold).
    EXPECT_NEAR(streamcp::log_power_bet(1e-8, 0.1), 14.2760, 1e-4);
    // Small p-values bet up, large ones bet down.
    EXPECT_GT(streamcp::log_power_bet(0.001, 0.1), 0.0);
    EXPECT_LT(streamcp::log_power_bet(0.5, 0.1), 0.0);
}

TEST(Betting, MixtureBetIsTheIntegralOfPowerBets) {
    // ln of integral over eps in (0,1) of eps p^(eps-1), by a fine midpoint rule.
    for (const double p : {1e-4, 0.01, 0.2, 0.5, 0.8}) {
        const int n = 200000;
        double sum = 0.0;
        for (int i = 0; i < n; ++i) {
            const double eps = (i + 0.5) / n;
            sum += eps * std::pow(p, eps - 1.0);
        }
        EXPECT_NEAR(streamcp::log_mixture_bet(p), std::log(sum / n), 1e-6) << p;
    }
    EXPECT_EQ(streamcp::log_bet(martingale_type::mixture, 0.2, 0.1),
              streamcp::log_mixture_bet(0.2));
    EXPECT_EQ(streamcp::log_bet(martingale_type::power, 0.2, 0.1),
              streamcp::log_power_bet(0.2, 0.1));
}

struct threshold_row {
    double confidence;
    double per_event_log;
};

TEST(Threshold, PerEventLogThresholdTableOfSpecA6) {
    const std::array<threshold_row, 9> rows{{{1, -2.2935},
                                             {50, -1.6788},
                                             {70, -1.2190},
                                             {75, -1.0549},
                                             {80, -0.8541},
                                             {90, -0.2303},
                                             {95, 0.3936},
                                             {99, 1.8421},
                                             {99.5, 2.4659}}};
    for (const auto& row : rows) {
        const double per_event = streamcp::log_power_bet(1.0 - row.confidence / 100.0, 0.1);
        EXPECT_NEAR(per_event, row.per_event_log, 0.5e-4) << row.confidence;
        // T is the W-th power of the per-event value.
        const double t =
            streamcp::martingale_threshold(martingale_type::power, row.confidence, 4, 0.1);
        EXPECT_NEAR(std::log(t), 4 * per_event, 1e-12) << row.confidence;
    }
}

TEST(Threshold, BelowOneUnderAbout92Point26AboveOneOver) {
    for (const double c : {1.0, 50.0, 80.0, 90.0, 92.0, 92.25}) {
        EXPECT_LT(streamcp::martingale_threshold(martingale_type::power, c, 10, 0.1), 1.0) << c;
    }
    for (const double c : {92.27, 93.0, 95.0, 99.0}) {
        EXPECT_GT(streamcp::martingale_threshold(martingale_type::power, c, 10, 0.1), 1.0) << c;
    }
}

TEST(Threshold, UnderflowsToExactlyZeroAtConfidence80History1200) {
    EXPECT_EQ(streamcp::martingale_threshold(martingale_type::power, 80, 1200, 0.1), 0.0);
    EXPECT_GT(streamcp::martingale_threshold(martingale_type::power, 80, 100, 0.1), 0.0);
}

TEST(Threshold, Confidence100IsInfinite) {
    EXPECT_EQ(streamcp::martingale_threshold(martingale_type::power, 100, 4, 0.1), inf);
    EXPECT_EQ(streamcp::martingale_threshold(martingale_type::power, 100, 1200, 0.1), inf);
}

TEST(Threshold, MixtureUsesTheMixtureBet) {
    const double t = streamcp::martingale_threshold(martingale_type::mixture, 95, 7, 0.1);
    EXPECT_NEAR(std::log(t), 7 * streamcp::log_mixture_bet(0.05), 1e-12);
}

TEST(WindowedMartingale, FirstBetStandsInForTheWholeWindow) {
    streamcp::windowed_log_martingale m{4};
    EXPECT_DOUBLE_EQ(m.push(-1.0), -4.0);
    EXPECT_DOUBLE_EQ(m.push(2.0), -4.0 + 2.0 + 1.0);  // the oldest stand-in leaves
    EXPECT_DOUBLE_EQ(m.push(2.0), -1.0 + 2.0 + 1.0);
    EXPECT_DOUBLE_EQ(m.push(2.0), 2.0 + 2.0 + 1.0);
    EXPECT_DOUBLE_EQ(m.push(2.0), 8.0);  // all stand-ins gone: 4 x 2
    EXPECT_DOUBLE_EQ(m.value(), std::exp(8.0));
}

TEST(Cooldown, AlertThenSuppressWindowMinusOneEvents) {
    alert_cooldown c;
    const int w = 4;
    EXPECT_TRUE(c.admit(true, w));
    for (int i = 0; i < w - 1; ++i) {
        EXPECT_FALSE(c.admit(true, w)) << i;
    }
    EXPECT_TRUE(c.admit(true, w));  // the W-th event after the alert may alert again
}

TEST(Cooldown, CountsDownOnNonAlertingEventsToo) {
    alert_cooldown c;
    const int w = 5;
    EXPECT_TRUE(c.admit(true, w));
    for (int i = 0; i < w - 1; ++i) {
        EXPECT_FALSE(c.admit(false, w));
    }
    EXPECT_EQ(c.remaining(), 0);
    EXPECT_TRUE(c.admit(true, w));
}

TEST(Cooldown, NoAlertWithoutRawAlert) {
    alert_cooldown c;
    for (int i = 0; i < 10; ++i) {
        EXPECT_FALSE(c.admit(false, 3));
    }
    EXPECT_TRUE(c.admit(true, 3));
}

TEST(Cooldown, WindowOneNeverSuppresses) {
    alert_cooldown c;
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(c.admit(true, 1));
    }
}

}  // namespace
