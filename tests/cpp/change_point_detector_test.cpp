// SPDX-License-Identifier: MIT
// change_point_detector: semantics.md#per-event, #threshold behaviour (semantics.md#worked-example
// table, warm-up, cooldown, thresholds), input rules and validation.
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/streamcp.hpp"

namespace {

using streamcp::change_point_detector;
using streamcp::change_point_options;
using streamcp::change_point_result;

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

std::vector<change_point_result> run(change_point_detector& det, const std::vector<double>& xs) {
    std::vector<change_point_result> out;
    out.reserve(xs.size());
    for (const double x : xs) {
        out.push_back(det.update(x));
    }
    return out;
}

/// Bitwise comparison (NaN equals NaN) so "identical outputs" means identical.
bool same(double a, double b) { return std::isnan(a) ? std::isnan(b) : a == b; }

void expect_same(const std::vector<change_point_result>& a,
                 const std::vector<change_point_result>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_TRUE(same(a[i].score, b[i].score))
            << i << ": " << a[i].score << " vs " << b[i].score;
        EXPECT_TRUE(same(a[i].p_value, b[i].p_value)) << i;
        EXPECT_EQ(a[i].is_anomaly, b[i].is_anomaly) << i;
    }
}

std::vector<int> alert_positions(const std::vector<change_point_result>& rs) {
    std::vector<int> out;
    for (std::size_t i = 0; i < rs.size(); ++i) {
        if (rs[i].is_anomaly) {
            out.push_back(static_cast<int>(i) + 1);  // 1-based event number
        }
    }
    return out;
}

std::vector<double> five_then_seven() {
    std::vector<double> xs(8, 5.0);
    xs.insert(xs.end(), 8, 7.0);
    return xs;
}

struct printed {
    double value;
    double half_last_digit;  // the printed precision: tolerance is this or relative 1e-7
};

TEST(ChangePointDetector, SpecB6Table) {
    change_point_detector det{{.confidence = 95, .history = 4}};
    const auto rs = run(det, five_then_seven());
    const std::array<printed, 16> want{{{0.0012125733, 0.5e-10},
                                        {0.0012125733, 0.5e-10},
                                        {0.0012125733, 0.5e-10},
                                        {0.0012125733, 0.5e-10},
                                        {0.0012125733, 0.5e-10},
                                        {0.0012125733, 0.5e-10},
                                        {0.0012125733, 0.5e-10},
                                        {0.0012125733, 0.5e-10},
                                        {10298.666, 0.5e-3},
                                        {33950.165, 0.5e-3},
                                        {60866.342, 0.5e-3},
                                        {78362.039, 0.5e-3},
                                        {0.0092264, 0.5e-7},
                                        {0.0027988, 0.5e-7},
                                        {0.0015611, 0.5e-7},
                                        {0.0012126, 0.5e-7}}};
    for (std::size_t i = 0; i < 16; ++i) {
        const double tol = std::max(want[i].half_last_digit, 1e-7 * std::abs(want[i].value));
        EXPECT_NEAR(rs[i].score, want[i].value, tol) << "event " << i + 1;
        EXPECT_EQ(rs[i].is_anomaly, i == 8) << "event " << i + 1;
    }
    EXPECT_NEAR(det.threshold(), 4.8273, 0.5e-4);
    // The first event has no history: p = 0.5; a constant series then gives 0.4999999995.
    EXPECT_EQ(rs[0].p_value, 0.5);
    EXPECT_NEAR(rs[1].p_value, 0.4999999995, 1e-13);
    EXPECT_EQ(rs[8].p_value, 1e-8);  // clamped
}

TEST(ChangePointDetector, NoAlertBeforeHistoryIsFullEvenAboveThreshold) {
    // Confidence 50: the constant-series martingale is above T from the first event.
    const std::int64_t w = 6;
    change_point_detector det{{.confidence = 50, .history = w}};
    for (std::int64_t i = 1; i < w; ++i) {
        const auto r = det.update(1.0);
        EXPECT_GE(r.score, det.threshold()) << i;
        EXPECT_FALSE(r.is_anomaly) << "event " << i;
        EXPECT_EQ(det.fill(), static_cast<std::size_t>(i));
    }
    EXPECT_TRUE(det.update(1.0).is_anomaly);  // event W
    EXPECT_EQ(det.fill(), static_cast<std::size_t>(w));
}

TEST(ChangePointDetector, ConfidenceAtMost50AlertsOnAConstantSeriesEveryW) {
    for (const double c : {0.0, 1.0, 30.0, 50.0}) {
        change_point_detector det{{.confidence = c, .history = 5}};
        const auto rs = run(det, std::vector<double>(17, 3.25));
        EXPECT_EQ(alert_positions(rs), (std::vector<int>{5, 10, 15})) << c;
    }
    // Just above 50 the constant-series bet is below the per-event threshold.
    change_point_detector det{{.confidence = 51, .history = 5}};
    EXPECT_TRUE(alert_positions(run(det, std::vector<double>(17, 3.25))).empty());
}

TEST(ChangePointDetector, CooldownSuppressesTheNextWMinus1Events) {
    // Confidence 1: T is tiny, so M >= T on every event and only the cooldown limits alerts.
    const std::int64_t w = 4;
    change_point_detector det{{.confidence = 1, .history = w}};
    std::mt19937_64 rng{7};
    std::normal_distribution<double> noise{0.0, 1.0};
    std::vector<double> xs;
    xs.reserve(30);
    for (int i = 0; i < 30; ++i) {
        xs.push_back(noise(rng));
    }
    EXPECT_EQ(alert_positions(run(det, xs)), (std::vector<int>{4, 8, 12, 16, 20, 24, 28}));
}

TEST(ChangePointDetector, ThresholdUnderflowAlertsAtMultiplesOfWOnConstantData) {
    // semantics.md#threshold: confidence 80, history 1200 gives T == 0.
    const std::int64_t w = 1200;
    change_point_detector det{{.confidence = 80, .history = w}};
    ASSERT_EQ(det.threshold(), 0.0);
    const auto rs = run(det, std::vector<double>(3 * w + 5, 20.0));
    EXPECT_EQ(alert_positions(rs), (std::vector<int>{1200, 2400, 3600}));
}

TEST(ChangePointDetector, ThresholdUnderflowAlertsAtMultiplesOfWOnGaussianNoise) {
    const std::int64_t w = 1200;
    change_point_detector det{{.confidence = 80, .history = w}};
    std::mt19937_64 rng{20240601};
    std::normal_distribution<double> noise{10.0, 2.0};
    std::vector<double> xs;
    for (std::int64_t i = 0; i < 3 * w + 5; ++i) {
        xs.push_back(noise(rng));
    }
    EXPECT_EQ(alert_positions(run(det, xs)), (std::vector<int>{1200, 2400, 3600}));
}

std::vector<double> extreme_series() {
    // Geometric growth makes every new value far beyond the history: p is clamped to 1e-8
    // and every bet is the largest possible.
    std::vector<double> xs;
    double v = 1.0;
    for (int i = 0; i < 120; ++i) {
        xs.push_back(v);
        v *= 2.0;
    }
    return xs;
}

TEST(ChangePointDetector, Confidence100NeverAlertsBelowHistory50) {
    for (const std::int64_t w : {1, 2, 10, 49}) {
        change_point_detector det{{.confidence = 100, .history = w}};
        EXPECT_EQ(det.threshold(), inf);
        std::mt19937_64 rng{static_cast<std::uint64_t>(w)};
        std::normal_distribution<double> noise{0.0, 1.0};
        std::vector<double> xs = extreme_series();
        for (int i = 0; i < 200; ++i) {
            xs.push_back(i % 37 == 0 ? 1e30 : noise(rng));
        }
        const auto rs = run(det, xs);
        EXPECT_TRUE(alert_positions(rs).empty()) << w;
        for (const auto& r : rs) {
            EXPECT_TRUE(std::isfinite(r.score)) << w;  // 49 * 14.28 < 709.78: M cannot overflow
        }
    }
}

TEST(ChangePointDetector, Confidence100CanAlertOnceMOverflowsFromHistory50) {
    // 50 maximal bets sum past ln(DBL_MAX), M == +inf >= T == +inf.
    change_point_detector det{{.confidence = 100, .history = 50}};
    const auto rs = run(det, extreme_series());
    const auto alerts = alert_positions(rs);
    ASSERT_FALSE(alerts.empty());
    EXPECT_EQ(rs[static_cast<std::size_t>(alerts.front() - 1)].score, inf);
}

TEST(ChangePointDetector, NanReturnsNanAndChangesNoState) {
    const std::vector<double> xs{1, 2, 3, 2.5, 9, 1, 1.5, 2, 8, 3};
    change_point_detector plain{{.confidence = 90, .history = 3}};
    change_point_detector with_nan{{.confidence = 90, .history = 3}};
    std::vector<change_point_result> a;
    std::vector<change_point_result> b;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (i % 3 == 0) {
            const auto r = with_nan.update(nan_v);
            EXPECT_TRUE(std::isnan(r.score));
            EXPECT_TRUE(std::isnan(r.p_value));
            EXPECT_FALSE(r.is_anomaly);
        }
        a.push_back(plain.update(xs[i]));
        b.push_back(with_nan.update(xs[i]));
    }
    expect_same(a, b);
    EXPECT_EQ(plain.snapshot(), with_nan.snapshot());
}

TEST(ChangePointDetector, NanFirstDoesNotStartTheSeries) {
    change_point_detector det{{.confidence = 90, .history = 3}};
    (void)det.update(nan_v);
    EXPECT_EQ(det.fill(), 0U);
    EXPECT_EQ(det.update(4.0).p_value, 0.5);  // still the very first event
}

TEST(ChangePointDetector, InfinitiesAndOutOfFloatRangeThrowAndChangeNothing) {
    change_point_detector det{{.confidence = 90, .history = 3}};
    change_point_detector twin{{.confidence = 90, .history = 3}};
    for (const double x : {1.0, 2.0}) {
        (void)det.update(x);
        (void)twin.update(x);
    }
    for (const double bad : {inf, -inf, 1e39, -1e39, 3.5e38, 1e300}) {
        try {
            (void)det.update(bad);
            ADD_FAILURE() << "no throw for " << bad;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("value"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(det.snapshot(), twin.snapshot());
    expect_same(run(det, {3, 4, 1}), run(twin, {3, 4, 1}));
}

TEST(ChangePointDetector, LargestFloatIsAccepted) {
    change_point_detector det{{.confidence = 90, .history = 3}};
    EXPECT_NO_THROW((void)det.update(3.4028235e38));
    EXPECT_NO_THROW((void)det.update(-3.4028235e38));
    EXPECT_NO_THROW((void)det.update(static_cast<double>(std::numeric_limits<float>::max())));
    EXPECT_EQ(det.fill(), 3U);
}

TEST(ChangePointDetector, InputsAreRoundedToFloat32) {
    // 0.1 and 0.1f are the same model value; 16777217 rounds to 16777216.
    change_point_detector a{{.confidence = 90, .history = 3}};
    change_point_detector b{{.confidence = 90, .history = 3}};
    expect_same(run(a, {0.1, 16777217.0, 3.0, 0.1}),
                run(b, {static_cast<double>(0.1F), 16777216.0, 3.0, static_cast<double>(0.1F)}));
}

/// The running pairwise sum S (semantics.md#kde-p-value), re-implemented naively (float32 buffer,
/// float32 eviction differences), to find a series on which it ends negative through rounding.
struct reference_pairwise_sum {
    std::size_t window;
    std::vector<float> r;
    double s = 0.0;

    void push(float x) {
        const double xd = x;
        for (const float ri : r) {
            const double d = xd - static_cast<double>(ri);
            s = s + d * d;
        }
        if (r.size() == window) {
            for (std::size_t i = 1; i < r.size(); ++i) {
                const float d32 = r[0] - r[i];
                const double d = d32;
                s = s - d * d;
            }
            const double d = static_cast<double>(r[0]) - xd;
            s = s - d * d;
            r.erase(r.begin());
        }
        r.push_back(x);
    }
};

TEST(ChangePointDetector, NegativeRoundedPairwiseSumKeepsScoresFinite) {
    // Varied values followed by a long constant run: once the buffer is constant S should be 0,
    // but rounding can leave it slightly negative. ML.NET would then take sqrt(S < 0) and turn
    // NaN forever; semantics.md#decision-5 requires finite scores from there on.
    std::mt19937_64 rng{1};
    std::uniform_real_distribution<double> u{-1000.0, 1000.0};
    std::vector<double> found;
    std::int64_t found_w = 0;
    for (int trial = 0; trial < 5000 && found.empty(); ++trial) {
        const auto w = static_cast<std::size_t>(3 + rng() % 20);
        const auto n1 = static_cast<std::size_t>(w + rng() % w);
        std::vector<double> xs;
        for (std::size_t i = 0; i < n1; ++i) {
            xs.push_back(static_cast<double>(static_cast<float>(u(rng))));
        }
        const auto c = static_cast<double>(static_cast<float>(u(rng)));
        xs.insert(xs.end(), w + 2, c);
        reference_pairwise_sum ref{w, {}, 0.0};
        for (const double x : xs) {
            ref.push(static_cast<float>(x));
        }
        if (ref.s < 0.0) {
            found = xs;
            found_w = static_cast<std::int64_t>(w);
        }
    }
    ASSERT_FALSE(found.empty()) << "no series with a negative rounded S found";
    found.insert(found.end(), 50, found.back());  // keep the constant run going
    found.push_back(found.back() + 1.0);          // then a change
    found.push_back(found.back() - 2.0);
    change_point_detector det{{.confidence = 95, .history = found_w}};
    for (std::size_t i = 0; i < found.size(); ++i) {
        const auto r = det.update(found[i]);
        EXPECT_TRUE(std::isfinite(r.p_value)) << "event " << i;
        EXPECT_FALSE(std::isnan(r.score)) << "event " << i;
    }
    // The change after the constant run is still detected as extreme.
    EXPECT_EQ(det.update(found.back() + 100.0).p_value, 1e-8);
}

TEST(ChangePointDetector, UpdateManyEqualsUpdateOneByOne) {
    std::mt19937_64 rng{99};
    std::normal_distribution<double> noise{0.0, 1.0};
    std::vector<double> xs;
    xs.reserve(200);
    for (int i = 0; i < 200; ++i) {
        xs.push_back(i % 23 == 5 ? nan_v : noise(rng) + (i > 120 ? 4.0 : 0.0));
    }
    for (const auto type : {streamcp::martingale_type::power, streamcp::martingale_type::mixture}) {
        const change_point_options o{
            .confidence = 90, .history = 12, .martingale = type, .epsilon = 0.2};
        change_point_detector one{o};
        change_point_detector many{o};
        std::vector<change_point_result> out(xs.size());
        many.update_many(xs, out);
        expect_same(run(one, xs), out);
        EXPECT_EQ(one.snapshot(), many.snapshot());
    }
}

TEST(ChangePointDetector, UpdateManyWithABadValueThrowsAndChangesNothing) {
    change_point_detector det{{.confidence = 90, .history = 3}};
    change_point_detector twin{{.confidence = 90, .history = 3}};
    (void)det.update(1.0);
    (void)twin.update(1.0);
    const std::vector<double> xs{2.0, 3.0, inf, 4.0};
    std::vector<change_point_result> out(xs.size());
    EXPECT_THROW(det.update_many(xs, out), std::invalid_argument);
    std::vector<change_point_result> short_out(2);
    EXPECT_THROW(det.update_many(std::vector<double>{1.0, 2.0, 3.0}, short_out),
                 std::invalid_argument);
    EXPECT_EQ(det.snapshot(), twin.snapshot());
}

TEST(ChangePointDetector, UpdateManyRefusalNamesTheElement) {
    change_point_detector det{{.confidence = 90, .history = 3}};
    const std::vector<double> xs{2.0, 3.0, inf, 4.0};
    std::vector<change_point_result> out(xs.size());
    try {
        det.update_many(xs, out);
        ADD_FAILURE() << "accepted inf";
    } catch (const streamcp::batch_error& e) {
        EXPECT_EQ(e.index(), 2U);
        EXPECT_EQ(e.field(), streamcp::batch_field::value);
        EXPECT_EQ(std::string{e.what()}.rfind("event 2: value", 0), 0U) << e.what();
    }
}

/// Expects construction to throw std::invalid_argument whose message has all `parts`.
void expect_rejected(const change_point_options& o, const std::vector<std::string>& parts) {
    try {
        change_point_detector det{o};
        ADD_FAILURE() << "accepted";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        for (const auto& part : parts) {
            EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' not in: " << what;
        }
    }
}

TEST(ChangePointDetector, ValidationMessagesNameArgumentValueAndRange) {
    expect_rejected({.confidence = -1}, {"confidence", "-1", "[0, "});
    expect_rejected({.confidence = 100.5}, {"confidence", "100.5", "[0, "});
    expect_rejected({.confidence = nan_v}, {"confidence", "nan", "[0, "});
    expect_rejected({.history = 0}, {"history", "0", "[1,"});
    expect_rejected({.history = -3}, {"history", "-3", "[1,"});
    expect_rejected({.epsilon = 0.0}, {"epsilon", "0", "(0, 1)"});
    expect_rejected({.epsilon = 1.0}, {"epsilon", "1", "(0, 1)"});
    EXPECT_NO_THROW(change_point_detector({.confidence = 0, .history = 1}));
    EXPECT_NO_THROW(change_point_detector({.confidence = 100, .history = 1}));
}

TEST(ChangePointDetector, ValidationMessagePrintsTheRangeAsTyped) {
    // The bound 100 should read "100", not "1e+02" (detail::format_number picks the first
    // precision that round-trips, and %g at precision 1 prints 100 as 1e+02).
    expect_rejected({.confidence = 101}, {"allowed [0, 100]"});
}

TEST(ChangePointDetector, HugeFiniteDoublesThrowInvalidArgument) {
    // Values near DBL_MAX (and subnormal arguments) must be reported as invalid_argument like
    // every other out-of-range value, not escape as std::out_of_range from formatting.
    change_point_detector det{{.confidence = 90, .history = 3}};
    for (const double bad :
         {1.5e308, std::numeric_limits<double>::max(), -std::numeric_limits<double>::max()}) {
        try {
            (void)det.update(bad);
            ADD_FAILURE() << "no throw for " << bad;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("value"), std::string::npos) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "wrong exception type for " << bad << ": " << e.what();
        }
    }
    EXPECT_EQ(det.fill(), 0U);
    try {
        change_point_detector bad{{.epsilon = -1e-310}};
        ADD_FAILURE() << "accepted a negative epsilon";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("epsilon"), std::string::npos) << e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "wrong exception type: " << e.what();
    }
}

TEST(ChangePointDetector, HistoryOneAlertsFromTheFirstEvent) {
    // W = 1: the buffer is full after the first value, and there is no cooldown to speak of.
    change_point_detector det{{.confidence = 1, .history = 1}};
    EXPECT_EQ(alert_positions(run(det, {1, 2, 3})), (std::vector<int>{1, 2, 3}));
}

TEST(ChangePointDetector, ScoreDoesNotDependOnConfidence) {
    const auto xs = five_then_seven();
    change_point_detector a{{.confidence = 80, .history = 4}};
    change_point_detector b{{.confidence = 99, .history = 4}};
    const auto ra = run(a, xs);
    const auto rb = run(b, xs);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        EXPECT_EQ(ra[i].score, rb[i].score);
        EXPECT_EQ(ra[i].p_value, rb[i].p_value);
    }
}

}  // namespace
