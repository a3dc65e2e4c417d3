// SPDX-License-Identifier: MIT
// robust_change_point_detector: the properties docs/quality.md promises (no warm-up alerts,
// scale invariance, onset dating, restart, NaN and validation rules).
#include "streamcp/model/robust_change_point_detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/model/change_point_detector.hpp"
#include "streamcp/state/snapshot_error.hpp"

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
    EXPECT_THROW(robust_change_point_detector({.min_run = 0}), std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.history = 5, .min_history = 5, .min_run = 6}),
                 std::invalid_argument);
    std::vector<robust_change_point_result> out(1);
    const std::vector<double> two{1.0, 2.0};
    EXPECT_THROW(det.update_many(two, out), std::invalid_argument);
    // Difference mode: a difference that overflows is rejected before anything changes.
    robust_change_point_detector diff{{.difference = true}};
    const double big = std::numeric_limits<double>::max();
    (void)diff.update(big);
    EXPECT_THROW(diff.update(-big), std::invalid_argument);
    const std::vector<double> batch{1.0, big, -big};
    std::vector<robust_change_point_result> three(3);
    robust_change_point_detector fresh{{.difference = true}};
    EXPECT_THROW(fresh.update_many(batch, three), std::invalid_argument);
    EXPECT_EQ(fresh.snapshot(), robust_change_point_detector({.difference = true}).snapshot());
}

}  // namespace

// ------------------------------------------------------------------- detrend and snapshots

namespace {

using streamcp::snapshot_error;

/// Noise around a trend with a level shift at 150 and a slope change at 300.
std::vector<double> trending_series() {
    std::vector<double> xs = noise(450, 21);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double t = static_cast<double>(i);
        xs[i] += 0.05 * t + (i >= 150 ? 6.0 : 0.0) + (i >= 300 ? 0.3 * (t - 300.0) : 0.0);
        if (i % 37 == 0) {
            xs[i] = std::numeric_limits<double>::quiet_NaN();  // NULLs are state-free
        }
    }
    return xs;
}

const std::vector<robust_change_point_options>& option_sets() {
    static const std::vector<robust_change_point_options> sets{
        {},
        {.min_run = 2},
        {.confidence = 80.0, .history = 10, .min_history = 5, .difference = true},
        {.confidence = 90.0, .history = 20, .min_history = 5, .detrend = true},
        {.confidence = 60.0, .history = 8, .min_history = 3, .difference = true, .detrend = true},
        {.confidence = 60.0,
         .history = 30,
         .min_history = 5,
         .detrend = true,
         .calibration = 200,
         .cooldown = 7,
         .forget = streamcp::robust_forget::outside_range},
        {.confidence = 90.0,
         .history = 60,
         .cooldown = 3,
         .forget = streamcp::robust_forget::never,
         .short_history = 10},
    };
    return sets;
}

void expect_same(const robust_change_point_result& a, const robust_change_point_result& b,
                 std::size_t i) {
    // Bit-identical: NaN == NaN counts as equal here.
    EXPECT_TRUE(a.score == b.score || (std::isnan(a.score) && std::isnan(b.score))) << i;
    EXPECT_TRUE(a.p_value == b.p_value || (std::isnan(a.p_value) && std::isnan(b.p_value))) << i;
    EXPECT_EQ(a.is_change, b.is_change) << i;
    EXPECT_EQ(a.onset_lag, b.onset_lag) << i;
}

TEST(RobustChangePointDetectorSnapshot, RestoreAtRandomCutsEqualsUninterrupted) {
    const std::vector<double> xs = trending_series();
    std::mt19937 gen{2024};
    for (const robust_change_point_options& options : option_sets()) {
        robust_change_point_detector whole{options};
        const auto expected = run(whole, xs);
        ASSERT_FALSE(alerts(expected).empty())  // the cuts cross restarts, not just warm-up
            << "history " << options.history;
        for (int trial = 0; trial < 12; ++trial) {
            const std::size_t cut = gen() % (xs.size() + 1);
            robust_change_point_detector first{options};
            for (std::size_t i = 0; i < cut; ++i) {
                expect_same(first.update(xs[i]), expected[i], i);
            }
            const std::vector<std::byte> bytes = first.snapshot();
            // Both ways back: a new detector from the bytes, and restore into a fresh one.
            robust_change_point_detector rebuilt =
                robust_change_point_detector::from_snapshot(bytes);
            robust_change_point_detector restored{options};
            restored.restore(bytes);
            EXPECT_EQ(rebuilt.options(), options);
            EXPECT_EQ(rebuilt.fill(), first.fill());
            for (std::size_t i = cut; i < xs.size(); ++i) {
                const auto r = rebuilt.update(xs[i]);
                expect_same(r, expected[i], i);
                expect_same(restored.update(xs[i]), r, i);
            }
        }
    }
}

TEST(RobustChangePointDetectorSnapshot, SnapshotIsDeterministicAndRoundTrips) {
    robust_change_point_detector det{option_sets()[3]};
    run(det, trending_series());
    const auto bytes = det.snapshot();
    EXPECT_EQ(robust_change_point_detector::from_snapshot(bytes).snapshot(), bytes);
}

TEST(RobustChangePointDetectorSnapshot, RejectsTruncatedAndCorruptBytes) {
    robust_change_point_detector det{option_sets()[2]};
    run(det, trending_series());
    const std::vector<std::byte> bytes = det.snapshot();
    const std::vector<std::byte> before = det.snapshot();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        const std::span<const std::byte> prefix{bytes.data(), n};
        EXPECT_THROW((void)robust_change_point_detector::from_snapshot(prefix), snapshot_error)
            << n;
        EXPECT_THROW(det.restore(prefix), snapshot_error) << n;
    }
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::vector<std::byte> bad = bytes;
        bad[i] ^= std::byte{0x20};
        EXPECT_THROW(det.restore(bad), snapshot_error) << i;
    }
    std::vector<std::byte> padded = bytes;
    padded.push_back(std::byte{0});
    EXPECT_THROW(det.restore(padded), snapshot_error);
    EXPECT_EQ(det.snapshot(), before);  // nothing was modified by the failed restores
}

/// A payload behind a valid envelope, so that the decoder (not the CRC) must reject it.
std::vector<std::byte> sealed(const robust_change_point_options& o, double sample_value,
                              double cusum, std::uint64_t run_length, std::uint8_t flag) {
    streamcp::byte_writer w;
    w.f64(o.confidence);
    w.i64(o.history);
    w.i64(o.min_history);
    w.f64(o.epsilon);
    w.i64(o.min_run);
    w.u8(o.difference ? 1 : 0);
    w.u8(o.detrend ? 1 : 0);
    w.u64(static_cast<std::uint64_t>(o.min_history));  // a full warm-up sample
    for (std::int64_t i = 0; i < o.min_history; ++i) {
        w.f64(i == 0 ? sample_value : static_cast<double>(i));
    }
    w.f64(cusum);
    w.u64(run_length);
    w.f64(0.0);
    w.u8(flag);
    return streamcp::snapshot_format::seal(streamcp::snapshot_kind::robust_change_point_detector,
                                           w.bytes());
}

TEST(RobustChangePointDetectorSnapshot, RejectsInconsistentPayloads) {
    const robust_change_point_options o{};
    EXPECT_NO_THROW((void)robust_change_point_detector::from_snapshot(sealed(o, 0.5, 1.0, 3, 0)));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW((void)robust_change_point_detector::from_snapshot(sealed(o, nan, 1.0, 3, 0)),
                 snapshot_error);  // non-finite sample value
    EXPECT_THROW((void)robust_change_point_detector::from_snapshot(sealed(o, 0.5, 50.0, 3, 0)),
                 snapshot_error);  // CUSUM at or past the threshold
    EXPECT_THROW((void)robust_change_point_detector::from_snapshot(sealed(o, 0.5, -1.0, 3, 0)),
                 snapshot_error);
    EXPECT_THROW((void)robust_change_point_detector::from_snapshot(sealed(o, 0.5, 1.0, 0, 0)),
                 snapshot_error);  // an excursion without length
    EXPECT_THROW((void)robust_change_point_detector::from_snapshot(sealed(o, 0.5, 1.0, 3, 2)),
                 snapshot_error);  // a flag that is not 0 or 1
    robust_change_point_options bad = o;
    bad.min_history = bad.history + 1;
    EXPECT_THROW((void)robust_change_point_detector::from_snapshot(sealed(bad, 0.5, 1.0, 3, 0)),
                 snapshot_error);  // options that do not validate
}

TEST(RobustChangePointDetectorSnapshot, RejectsOtherOptionsAndOtherKinds) {
    robust_change_point_detector a{{.history = 20}};
    robust_change_point_detector b{{.history = 21}};
    run(a, noise(40, 1));
    const auto before = b.snapshot();
    EXPECT_THROW(b.restore(a.snapshot()), snapshot_error);
    EXPECT_EQ(b.snapshot(), before);
    streamcp::change_point_detector asa{{.confidence = 95, .history = 20}};
    EXPECT_THROW((void)robust_change_point_detector::from_snapshot(asa.snapshot()), snapshot_error);
    EXPECT_THROW((void)streamcp::change_point_detector::from_snapshot(a.snapshot()),
                 snapshot_error);
}

TEST(RobustChangePointDetectorDetrend, FindsALevelBreakInASteepTrend) {
    std::vector<double> xs = noise(400, 17);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        xs[i] += 0.5 * static_cast<double>(i) + (i >= 250 ? 8.0 : 0.0);
    }
    // On the values, every new one is the most extreme so far: the jump does not stand out.
    robust_change_point_detector plain{{.confidence = 99.0}};
    const auto plain_rs = run(plain, xs);
    for (const std::size_t i : alerts(plain_rs)) {
        EXPECT_NE(i - static_cast<std::size_t>(plain_rs[i].onset_lag), 250U);
    }
    robust_change_point_detector detrended{{.confidence = 99.0, .detrend = true}};
    const auto rs = run(detrended, xs);
    const auto found = alerts(rs);
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0] - static_cast<std::size_t>(rs[found[0]].onset_lag), 250U);
}

TEST(RobustChangePointDetectorDetrend, NeedsThreeValues) {
    EXPECT_THROW(robust_change_point_detector({.history = 5, .min_history = 2, .detrend = true}),
                 std::invalid_argument);
    EXPECT_NO_THROW(
        robust_change_point_detector({.history = 5, .min_history = 3, .detrend = true}));
}

}  // namespace

namespace {

TEST(RobustChangePointDetector, MinRunIgnoresAnIsolatedOutlierButNotALastingShift) {
    std::vector<double> xs = noise(300, 13);
    xs[100] = 1000.0;  // one wild value
    for (std::size_t i = 200; i < xs.size(); ++i) {
        xs[i] += 10.0;  // a lasting shift
    }
    robust_change_point_detector once{};
    const auto once_found = alerts(run(once, xs));
    ASSERT_FALSE(once_found.empty());
    EXPECT_EQ(once_found.front(), 100U);  // one extreme p-value is enough by default
    // History 50: the outlier has left the sample (whose spread it inflates) by the shift.
    robust_change_point_detector twice{{.history = 50, .min_run = 2}};
    const auto rs = run(twice, xs);
    const auto found = alerts(rs);
    ASSERT_EQ(found.size(), 1U);
    EXPECT_GE(found[0], 201U);  // two events at least
    EXPECT_EQ(found[0] - static_cast<std::size_t>(rs[found[0]].onset_lag), 200U);
}

}  // namespace

namespace {

TEST(RobustChangePointDetectorSnapshot, DecoderRejectsTruncatedPayloadsAndSurvivesDamage) {
    using streamcp::snapshot_error;
    namespace fmt = streamcp::snapshot_format;
    constexpr auto kind = streamcp::snapshot_kind::robust_change_point_detector;
    robust_change_point_detector det{{.history = 12, .min_history = 4, .detrend = true}};
    run(det, noise(40, 8));
    const std::vector<std::byte> bytes = det.snapshot();
    const auto payload = fmt::open(bytes, kind);
    for (std::size_t n = 0; n < payload.size(); ++n) {
        // Behind a valid envelope, so the decoder itself must notice the missing bytes.
        EXPECT_THROW(
            (void)robust_change_point_detector::from_snapshot(fmt::seal(kind, payload.first(n))),
            snapshot_error)
            << n;
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        for (const std::byte pattern : {std::byte{0x01}, std::byte{0x80}, std::byte{0xFF}}) {
            std::vector<std::byte> damaged(payload.begin(), payload.end());
            damaged[i] ^= pattern;
            try {  // either a consistent detector that keeps working, or snapshot_error
                auto restored =
                    robust_change_point_detector::from_snapshot(fmt::seal(kind, damaged));
                for (const double x : {0.0, 1.0, -3.5, 1e30, 2.0}) {
                    (void)restored.update(x);
                }
            } catch (const snapshot_error&) {
            }
        }
    }
}

}  // namespace

// ------------------------------------------- cooldown, forget, calibration, snapshot layouts

namespace {

using streamcp::robust_forget;
using streamcp::snapshot_error;

/// Noise with level shifts of +10 at 100 and 130 (30 events apart).
std::vector<double> two_shifts() {
    std::vector<double> xs = noise(250, 31);
    for (std::size_t i = 100; i < xs.size(); ++i) {
        xs[i] += i >= 130 ? 20.0 : 10.0;
    }
    return xs;
}

TEST(RobustChangePointDetector, CooldownSilencesTheEventsAfterADetection) {
    const std::vector<double> xs = two_shifts();
    robust_change_point_detector eager{
        {.history = 50, .cooldown = 0, .forget = robust_forget::always}};
    const auto eager_found = alerts(run(eager, xs));
    ASSERT_EQ(eager_found.size(), 2U);  // both shifts
    robust_change_point_detector patient{
        {.history = 50, .cooldown = 40, .forget = robust_forget::always}};
    const auto rs = run(patient, xs);
    const auto found = alerts(rs);
    ASSERT_EQ(found.size(), 1U);  // the second shift falls inside the cooldown
    EXPECT_EQ(found[0], eager_found[0]);
    for (std::size_t i = found[0] + 1; i <= found[0] + 40; ++i) {
        EXPECT_EQ(rs[i].score, 1.0) << i;  // no bets: the CUSUM stays at zero
    }
}

TEST(RobustChangePointDetector, ForgetRulesDecideWhatARestartKeeps) {
    std::vector<double> shift = noise(200, 41);
    for (std::size_t i = 120; i < shift.size(); ++i) {
        shift[i] += 10.0;
    }
    const auto fill_after_first_change = [](robust_forget rule, const std::vector<double>& xs) {
        robust_change_point_detector det{{.history = 100, .min_run = 2, .forget = rule}};
        for (const double x : xs) {
            const auto r = det.update(x);
            if (r.is_change) {
                return std::pair{det.fill(), static_cast<std::size_t>(r.onset_lag) + 1};
            }
        }
        return std::pair{std::size_t{0}, std::size_t{0}};
    };
    // A level shift out of the old range: `always` and `outside_range` keep only the new
    // regime, `never` keeps the whole sample.
    for (const robust_forget rule : {robust_forget::always, robust_forget::outside_range}) {
        const auto [fill, since_onset] = fill_after_first_change(rule, shift);
        ASSERT_GE(since_onset, 2U);
        EXPECT_EQ(fill, since_onset);
    }
    EXPECT_EQ(fill_after_first_change(robust_forget::never, shift).first, 100U);
    // A shift that stays inside the old range (one earlier outlier widened it): kept.
    std::vector<double> inside = noise(200, 43);
    inside[50] = 10.0;
    for (std::size_t i = 120; i < inside.size(); ++i) {
        inside[i] += 5.0;
    }
    const auto [kept, since_onset] = fill_after_first_change(robust_forget::outside_range, inside);
    ASSERT_GE(since_onset, 2U);
    EXPECT_EQ(kept, 100U);
}

TEST(RobustChangePointDetector, CalibratedPValuesAreRanksOfRecentOnes) {
    constexpr std::int64_t window = 30;
    robust_change_point_detector det{{.history = 20, .calibration = window}};
    std::size_t scored = 0;
    for (const double x : noise(200, 47)) {
        const auto r = det.update(x);
        if (std::isnan(r.p_value)) {
            continue;
        }
        ++scored;
        const auto held = static_cast<double>(std::min<std::size_t>(scored, window + 1));
        const double count = r.p_value * held;  // (1 + #{past p <= p}) / (1 + past)
        EXPECT_NEAR(count, std::round(count), 1e-9);
        EXPECT_GE(count, 1.0 - 1e-9);
        EXPECT_LE(r.p_value, 1.0);
    }
    EXPECT_GT(scored, 150U);
}

TEST(RobustChangePointDetectorSnapshot, LayoutOneStaysByteForByteWhenTheNewOptionsAreOff) {
    robust_change_point_detector old_style{{.confidence = 95.0,
                                            .history = 50,
                                            .cooldown = 0,
                                            .forget = robust_forget::always,
                                            .period_search = 0}};
    run(old_style, noise(80, 51));
    const auto bytes = old_style.snapshot();  // the payload is a view into these bytes
    const auto payload = streamcp::snapshot_format::open(
        bytes, streamcp::snapshot_kind::robust_change_point_detector);
    streamcp::byte_reader r{payload};
    EXPECT_EQ(r.f64(), 95.0);  // layout 1 starts with the confidence
    // And it loads with the new options off: what an older build's snapshot loads as.
    const auto rebuilt = robust_change_point_detector::from_snapshot(old_style.snapshot());
    EXPECT_EQ(rebuilt.options().cooldown, 0);
    EXPECT_EQ(rebuilt.options().calibration, 0);
    EXPECT_EQ(rebuilt.options().forget, robust_forget::always);
}

TEST(RobustChangePointDetectorSnapshot, LayoutTwoIsMarkedAndUnknownLayoutsAreRefused) {
    robust_change_point_detector det{
        {.cooldown = 5, .forget = robust_forget::outside_range, .period_search = 0}};
    run(det, two_shifts());
    const auto bytes = det.snapshot();
    constexpr auto kind = streamcp::snapshot_kind::robust_change_point_detector;
    const auto payload = streamcp::snapshot_format::open(bytes, kind);
    streamcp::byte_reader r{payload};
    EXPECT_EQ(r.f64(), -2.0);
    EXPECT_EQ(robust_change_point_detector::from_snapshot(bytes).options(), det.options());
    std::vector<std::byte> other(payload.begin(), payload.end());
    streamcp::byte_writer marker;
    marker.f64(-4.0);  // a layout this build does not know
    std::copy(marker.bytes().begin(), marker.bytes().end(), other.begin());
    try {
        (void)robust_change_point_detector::from_snapshot(
            streamcp::snapshot_format::seal(kind, other));
        FAIL() << "an unknown layout loaded";
    } catch (const snapshot_error& e) {
        EXPECT_NE(std::string(e.what()).find("layout"), std::string::npos) << e.what();
    }
}

TEST(RobustChangePointDetector, RejectsBadNewOptions) {
    EXPECT_THROW(robust_change_point_detector({.calibration = -1}), std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.cooldown = -1}), std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.short_history = 1}), std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.history = 50, .short_history = 51}),
                 std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.period_search = 9}), std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.period_search = 1'000'001}), std::invalid_argument);
    EXPECT_THROW(robust_change_point_detector({.period_search = -1}), std::invalid_argument);
}

// ------------------------------------------------------------------------ period_search

/// A daily-like cycle of period 24 (amplitude 10) with noise ±1, 800 events; with
/// `flat_day`, the 24 values from 600 on hold the cycle's mean: in range, but not the shape.
std::vector<double> seasonal_series(bool flat_day) {
    constexpr double pi = 3.14159265358979323846;
    std::vector<double> xs = noise(800, 61);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const bool flat = flat_day && i >= 600 && i < 624;
        xs[i] += flat ? 0.0 : 10.0 * std::sin(2.0 * pi * static_cast<double>(i) / 24.0);
    }
    return xs;
}

TEST(RobustChangePointDetector, SamePhaseComparisonFindsADayUnlikeTheDayBefore) {
    // Without a period, the flat day's values are ordinary: nothing is found.
    robust_change_point_detector plain{{.period_search = 0}};
    EXPECT_TRUE(alerts(run(plain, seasonal_series(true))).empty());
    // With one (found at 100 values), the flat day is found within the day, and the cycle
    // itself raises nothing.
    robust_change_point_detector seasonal{{.period_search = 100}};
    const auto found = alerts(run(seasonal, seasonal_series(true)));
    ASSERT_FALSE(found.empty());
    EXPECT_GE(found[0], 600U);
    EXPECT_LT(found[0], 624U);
    robust_change_point_detector quiet{{.period_search = 100}};
    EXPECT_TRUE(alerts(run(quiet, seasonal_series(false))).empty());
}

TEST(RobustChangePointDetector, PeriodSearchNeedsACycle) {
    // Noise has no period: the search gives up after 8 × period_search values and the
    // detector scores as without it, p-value for p-value.
    const std::vector<double> xs = noise(1000, 67);
    robust_change_point_detector searching{{.history = 50, .period_search = 100}};
    robust_change_point_detector plain{{.history = 50, .period_search = 0}};
    for (std::size_t i = 0; i < xs.size(); ++i) {
        expect_same(searching.update(xs[i]), plain.update(xs[i]), i);
    }
}

TEST(RobustChangePointDetectorSnapshot, SeasonalStateRestoresAtEveryPhase) {
    const std::vector<double> xs = seasonal_series(true);
    const robust_change_point_options options{.history = 60, .period_search = 40};
    robust_change_point_detector whole{options};
    const auto expected = run(whole, xs);
    ASSERT_FALSE(alerts(expected).empty());
    // Cuts while searching (before 40, between searches), at the search, and with a period.
    for (const std::size_t cut : {std::size_t{0}, std::size_t{25}, std::size_t{40}, std::size_t{41},
                                  std::size_t{130}, std::size_t{610}}) {
        robust_change_point_detector first{options};
        for (std::size_t i = 0; i < cut; ++i) {
            (void)first.update(xs[i]);
        }
        const auto bytes = first.snapshot();
        auto rebuilt = robust_change_point_detector::from_snapshot(bytes);
        EXPECT_EQ(rebuilt.snapshot(), bytes);
        for (std::size_t i = cut; i < xs.size(); ++i) {
            expect_same(rebuilt.update(xs[i]), expected[i], i);
        }
    }
}

TEST(RobustChangePointDetectorSnapshot, LayoutThreeIsMarkedAndOlderLayoutsLoadWithoutIt) {
    robust_change_point_detector det{{.history = 60, .period_search = 40}};
    run(det, seasonal_series(false));
    constexpr auto kind = streamcp::snapshot_kind::robust_change_point_detector;
    const auto bytes = det.snapshot();  // the payload is a view into these bytes
    const auto payload = streamcp::snapshot_format::open(bytes, kind);
    streamcp::byte_reader r{payload};
    EXPECT_EQ(r.f64(), -3.0);
    for (const robust_change_point_options& older :
         {robust_change_point_options{.period_search = 0},
          robust_change_point_options{
              .cooldown = 0, .forget = robust_forget::always, .period_search = 0}}) {
        robust_change_point_detector old_style{older};
        run(old_style, noise(80, 71));
        EXPECT_EQ(robust_change_point_detector::from_snapshot(old_style.snapshot())
                      .options()
                      .period_search,
                  0);
    }
}

}  // namespace
