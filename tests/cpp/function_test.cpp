// SPDX-License-Identifier: MIT
// The ASA functions (semantics.md#asa-mapping, #imputation, #decisions, #spike-and-dip):
// imputation, WHEN/NULL/NaN, order, time, confidence, partitions, TTL.
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/streamcp.hpp"

#include "function_events.hpp"

namespace {

using namespace std::chrono;  // NOLINT: durations and calendar literals read better unqualified
using streamcp::anomaly_detection_change_point;
using streamcp::anomaly_detection_spike_and_dip;
using streamcp::change_point_detector;
using streamcp::event_time;
using streamcp::record;
using streamcp::spike_mode;
using streamcp_test::random_events;

using cp_function = anomaly_detection_change_point<std::string>;

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

const event_time t0 = sys_days{year{2024} / 1 / 1};

/// The instant `ticks` 100 ns units after 0001-01-01 (the .NET epoch).
event_time from_ticks(std::int64_t ticks) {
    return event_time{streamcp::tick_duration{ticks - streamcp::unix_epoch_ticks}};
}

/// An instant `ns` nanoseconds after 1970, as callers with nanosecond clocks supply it.
event_time from_ns(std::int64_t ns) {
    return streamcp::to_event_time(sys_time<nanoseconds>{nanoseconds{ns}});
}

record expected(change_point_detector& det, double v) { return streamcp::to_record(det.update(v)); }

/// A detector with the function's partition model options (confidence truncated, power, 0.1).
change_point_detector twin_detector(const cp_function& f) {
    return change_point_detector{f.partition_model_options()};
}

std::vector<double> five_then_seven() {
    std::vector<double> xs(8, 5.0);
    xs.insert(xs.end(), 8, 7.0);
    return xs;
}

TEST(EventTime, DotnetTicks) {
    EXPECT_EQ(streamcp::to_dotnet_ticks(event_time{}), streamcp::unix_epoch_ticks);
    EXPECT_EQ(streamcp::to_dotnet_ticks(from_ns(99)), streamcp::unix_epoch_ticks);
    EXPECT_EQ(streamcp::to_dotnet_ticks(from_ns(100)), streamcp::unix_epoch_ticks + 1);
    // Before 1970 truncation still goes toward the past.
    EXPECT_EQ(streamcp::to_dotnet_ticks(from_ns(-1)), streamcp::unix_epoch_ticks - 1);
    EXPECT_EQ(streamcp::to_dotnet_ticks(from_ns(-100)), streamcp::unix_epoch_ticks - 1);
    EXPECT_EQ(streamcp::to_dotnet_ticks(from_ns(-101)), streamcp::unix_epoch_ticks - 2);
    // 1970-01-01 is 719162 days after 0001-01-01; a day is 864e9 ticks.
    EXPECT_EQ(streamcp::unix_epoch_ticks, 719'162LL * 864'000'000'000LL);
    EXPECT_EQ(streamcp::to_dotnet_ticks(event_time{sys_days{year{1970} / 1 / 2}}),
              streamcp::unix_epoch_ticks + 864'000'000'000);
    EXPECT_EQ(streamcp::to_dotnet_ticks(nanoseconds{minutes{30}}), 18'000'000'000);
}

TEST(EventTime, CoversDotnetDateTimeRange) {
    // .NET DateTime.MinValue and MaxValue, beyond int64 nanoseconds' 1677-09-21 .. 2262-04-11.
    EXPECT_EQ(streamcp::min_event_time, event_time{sys_days{year{1} / 1 / 1}});
    EXPECT_EQ(streamcp::to_dotnet_ticks(streamcp::min_event_time), 0);
    EXPECT_EQ(streamcp::max_event_time,
              event_time{sys_days{year{10000} / 1 / 1}} - streamcp::tick_duration{1});
    EXPECT_EQ(streamcp::to_dotnet_ticks(streamcp::max_event_time), 3'155'378'975'999'999'999);
    EXPECT_TRUE(streamcp::in_event_time_range(streamcp::min_event_time));
    EXPECT_TRUE(streamcp::in_event_time_range(streamcp::max_event_time));
    EXPECT_FALSE(
        streamcp::in_event_time_range(streamcp::min_event_time - streamcp::tick_duration{1}));
    EXPECT_FALSE(
        streamcp::in_event_time_range(streamcp::max_event_time + streamcp::tick_duration{1}));
}

TEST(ChangePointFunction, ImputesAcrossTheOldNanosecondLimits) {
    // A gap across 2262-04-11 (and one across 1677-09-21) imputes like any other: duration / W
    // intervals counted in ticks, at most W of them. The twin sees the same steps by hand.
    // int64 nanoseconds end at 2262-04-11T23:47:16.854775807Z and begin at 1677-09-21T00:12:43Z.
    for (const event_time start :
         {event_time{sys_days{year{2262} / 4 / 11} + hours{23} + minutes{47}},
          event_time{sys_days{year{1677} / 9 / 21} + minutes{13}}}) {
        cp_function f{95, 4, minutes{4}};
        change_point_detector det{f.partition_model_options()};
        const event_time first = start - minutes{1};
        EXPECT_EQ(f.evaluate("k", first, 5.0), expected(det, 5.0));
        // Three minutes later: two whole intervals lie between, imputed with the new value.
        (void)det.update(7.0);
        (void)det.update(7.0);
        EXPECT_EQ(f.evaluate("k", first + minutes{3}, 7.0), expected(det, 7.0));
    }
}

TEST(ChangePointFunction, SpecB6TableWithoutImputation) {
    // Spaced exactly duration / W apart: every event falls in the next interval, no imputation.
    cp_function f{95, 4, minutes{4}};
    change_point_detector det{{.confidence = 95, .history = 4}};
    const auto xs = five_then_seven();
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const auto r = f.evaluate("k", t0 + minutes{static_cast<int>(i)}, xs[i]);
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(*r, expected(det, xs[i])) << i;
        EXPECT_EQ(r->is_anomaly, i == 8) << i;
        if (i == 8) {
            EXPECT_NEAR(*r->score, 10298.666, 0.5e-3);
        }
    }
}

TEST(ChangePointFunction, ImputationUsesDotnetEpochIntervalNumbers) {
    // semantics.md#decision-10: 30 minutes / history 7 does not divide a day, so .NET-epoch and
    // Unix-epoch interval boundaries differ. I = 18e9 / 7 ticks, truncated.
    cp_function f{90, 7, minutes{30}};
    const std::int64_t interval = 18'000'000'000 / 7;
    ASSERT_EQ(f.imputation_interval(), interval);
    ASSERT_NE(streamcp::unix_epoch_ticks % interval, 0);
    // First event one tick before a .NET boundary b, second at b + I: .NET interval numbers
    // n-1 and n+1 (one missing interval), while only one Unix boundary lies between them
    // (zero missing), and the elapsed time I+1 is under two intervals (zero missing too).
    const std::int64_t base = streamcp::to_dotnet_ticks(t0);
    const std::int64_t b = (base / interval + 1) * interval;
    const std::int64_t first = b - 1;
    const std::int64_t second = b + interval;
    const std::int64_t unix_gap = (second - streamcp::unix_epoch_ticks) / interval -
                                  (first - streamcp::unix_epoch_ticks) / interval - 1;
    ASSERT_EQ(unix_gap, 0);
    ASSERT_EQ(second / interval - first / interval - 1, 1);

    (void)f.evaluate("k", from_ticks(first), 1.0);
    EXPECT_EQ(f.find("k")->fill(), 1U);
    const auto r = f.evaluate("k", from_ticks(second), 4.0);
    EXPECT_EQ(f.find("k")->fill(), 3U);  // 1 real + 1 imputed + 1 real
    change_point_detector det = twin_detector(f);
    (void)det.update(1.0);
    (void)det.update(4.0);  // the imputed copy of the new value
    EXPECT_EQ(*r, expected(det, 4.0));
}

TEST(ChangePointFunction, GapsUpToOneIntervalImputeNothingWhateverTheBoundaries) {
    // Events at most I ticks apart lie in the same or adjacent intervals (the step skips the
    // interval arithmetic for them); one tick more across two boundaries imputes one.
    const std::int64_t interval = 18'000'000'000 / 7;
    const std::int64_t b = (streamcp::to_dotnet_ticks(t0) / interval + 1) * interval;
    for (const std::int64_t first : {b - 1, b, b + interval / 2}) {
        for (const std::int64_t gap : {std::int64_t{1}, interval - 1, interval}) {
            cp_function f{90, 7, minutes{30}};
            ASSERT_EQ(f.imputation_interval(), interval);
            (void)f.evaluate("k", from_ticks(first), 1.0);
            (void)f.evaluate("k", from_ticks(first + gap), 2.0);
            EXPECT_EQ(f.find("k")->fill(), 2U) << "first " << first << ", gap " << gap;
        }
    }
    cp_function f{90, 7, minutes{30}};
    (void)f.evaluate("k", from_ticks(b - 1), 1.0);
    (void)f.evaluate("k", from_ticks(b + interval), 2.0);
    EXPECT_EQ(f.find("k")->fill(), 3U);
}

TEST(ChangePointFunction, ImputesMissingIntervalsWithTheNewValue) {
    // For k missing intervals the output equals a detector fed k copies of the new value first.
    const std::int64_t w = 6;
    for (int k = 0; k <= 9; ++k) {
        cp_function f{90, w, minutes{6}};
        change_point_detector det = twin_detector(f);
        const std::vector<double> prior{1.0, 3.0, 2.0, 2.5};
        for (std::size_t i = 0; i < prior.size(); ++i) {
            (void)f.evaluate("k", t0 + minutes{static_cast<int>(i)} + seconds{17}, prior[i]);
            (void)det.update(prior[i]);
        }
        // Next regular slot is minute 4; k missing intervals put the event at minute 4 + k.
        const auto r = f.evaluate("k", t0 + minutes{4 + k} + seconds{59}, 9.0);
        for (int i = 0; i < std::min<int>(k, static_cast<int>(w)); ++i) {
            (void)det.update(9.0);
        }
        EXPECT_EQ(*r, expected(det, 9.0)) << "k = " << k;
    }
}

TEST(ChangePointFunction, GapLongerThanDurationFloodsTheHistoryCappedAtW) {
    const std::int64_t w = 5;
    std::vector<record> outs;
    for (const auto gap : {minutes{11}, minutes{60}, minutes{24 * 60}}) {
        cp_function f{90, w, minutes{5}};
        change_point_detector det = twin_detector(f);
        const std::vector<double> prior{1.0, 8.0, 3.0, 4.0, 2.0, 6.0, 7.0};
        for (std::size_t i = 0; i < prior.size(); ++i) {
            (void)f.evaluate("k", t0 + minutes{static_cast<int>(i)}, prior[i]);
            (void)det.update(prior[i]);
        }
        const auto r = f.evaluate("k", t0 + minutes{6} + gap, 3.0);
        for (std::int64_t i = 0; i < w; ++i) {
            (void)det.update(3.0);
        }
        EXPECT_EQ(*r, expected(det, 3.0));
        outs.push_back(*r);
        // The flooded history is constant: a further equal value is utterly unremarkable.
        const auto next = f.evaluate("k", t0 + minutes{7} + gap, 3.0);
        EXPECT_FALSE(next->is_anomaly);
    }
    EXPECT_EQ(outs[0], outs[1]);
    EXPECT_EQ(outs[1], outs[2]);
}

TEST(ChangePointFunction, ImputedStepsCountTowardWarmUp) {
    // Confidence 50 alerts on a constant series as soon as W values were fed. Two real events
    // with three imputed steps between them fill a history of 5.
    cp_function f{50, 5, minutes{5}};
    EXPECT_FALSE(f.evaluate("k", t0, 2.0)->is_anomaly);
    const auto r = f.evaluate("k", t0 + minutes{4}, 2.0);
    EXPECT_EQ(f.find("k")->fill(), 5U);
    EXPECT_TRUE(r->is_anomaly);
    // Without the gap the second event is only the second value: no alert.
    cp_function g{50, 5, minutes{5}};
    (void)g.evaluate("k", t0, 2.0);
    EXPECT_FALSE(g.evaluate("k", t0 + minutes{1}, 2.0)->is_anomaly);
}

TEST(ChangePointFunction, ImputedAlertSuppressesTheRealEventThroughCooldown) {
    // Regular spacing: constant series, confidence 50, W = 5 alerts on event 5.
    cp_function regular{50, 5, minutes{5}};
    cp_function gapped{50, 5, minutes{5}};
    for (int i = 0; i < 4; ++i) {
        EXPECT_FALSE(regular.evaluate("k", t0 + minutes{i}, 2.0)->is_anomaly);
        EXPECT_FALSE(gapped.evaluate("k", t0 + minutes{i}, 2.0)->is_anomaly);
    }
    EXPECT_TRUE(regular.evaluate("k", t0 + minutes{4}, 2.0)->is_anomaly);
    // One missing interval: the imputed step is the 5th value and takes the (discarded) alert;
    // the real event is 6th and in cooldown.
    EXPECT_FALSE(gapped.evaluate("k", t0 + minutes{5}, 2.0)->is_anomaly);
    // The cooldown also ends earlier in real events: fed values 7..9 quiet, 10 alerts.
    for (int i = 6; i <= 8; ++i) {
        EXPECT_FALSE(gapped.evaluate("k", t0 + minutes{i}, 2.0)->is_anomaly) << i;
    }
    EXPECT_TRUE(gapped.evaluate("k", t0 + minutes{9}, 2.0)->is_anomaly);
}

TEST(ChangePointFunction, ImputedStepsCanMakeAnAlertAppear) {
    // Confidence 50, W = 4, constant data: regularly, the first three events cannot alert
    // (warm-up); with two missing intervals before the second real event, it is the 4th value fed
    // and alerts.
    cp_function regular{50, 4, minutes{4}};
    cp_function gapped{50, 4, minutes{4}};
    std::vector<bool> reg;
    std::vector<bool> gap;
    reg.reserve(3);
    for (int i = 0; i < 3; ++i) {
        reg.push_back(regular.evaluate("k", t0 + minutes{i}, 1.0)->is_anomaly);
    }
    (void)gapped.evaluate("k", t0, 1.0);
    gap.push_back(gapped.evaluate("k", t0 + minutes{3}, 1.0)->is_anomaly);  // 2 imputed: 4th
    EXPECT_EQ(reg, (std::vector<bool>{false, false, false}));
    EXPECT_EQ(gap, (std::vector<bool>{true}));
}

TEST(ChangePointFunction, BurstsInsideOneIntervalImputeNothing) {
    cp_function f{90, 4, minutes{4}};
    change_point_detector det = twin_detector(f);
    const std::vector<double> xs{1, 2, 3, 10, 2, 2, 1, 5};
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const auto r = f.evaluate("k", t0 + seconds{static_cast<int>(i) * 7}, xs[i]);
        EXPECT_EQ(*r, expected(det, xs[i])) << i;
    }
}

TEST(ChangePointFunction, FirstEventOfAKeyImputesNothing) {
    cp_function f{90, 6, minutes{6}};
    (void)f.evaluate("a", t0, 1.0);
    (void)f.evaluate("b", t0 + hours{5}, 1.0);  // a new key late: no gap from another key
    EXPECT_EQ(f.find("b")->fill(), 1U);
    EXPECT_EQ(f.find("a")->fill(), 1U);
}

TEST(ChangePointFunction, WhenFalseAndNullChangeNothingAndDoNotMoveTheClock) {
    cp_function f{90, 5, minutes{5}};
    cp_function reference{90, 5, minutes{5}};
    (void)f.evaluate("k", t0, 1.0);
    (void)reference.evaluate("k", t0, 1.0);
    // Excluded events far in the future, and one in the past.
    EXPECT_FALSE(f.evaluate("k", t0 + minutes{3}, 50.0, false).has_value());
    EXPECT_FALSE(f.evaluate("k", t0 + minutes{4}, std::nullopt).has_value());
    EXPECT_FALSE(f.evaluate("k", t0 - hours{1}, 2.0, false).has_value());
    EXPECT_FALSE(f.evaluate("k", t0 - hours{1}, std::nullopt).has_value());
    EXPECT_EQ(f.snapshot(), reference.snapshot());
    // Had the clock moved to minute 4, the next event would impute nothing; it imputes 1.
    const auto a = f.evaluate("k", t0 + minutes{5}, 2.0);
    const auto b = reference.evaluate("k", t0 + minutes{5}, 2.0);
    EXPECT_EQ(a, b);
    // Counting from minute 0, minutes 1-4 are missing: the history fills up (1 + 4 + 1, capped
    // at 5). From minute 4 it would hold only 2 values.
    EXPECT_EQ(f.find("k")->fill(), 5U);
}

TEST(ChangePointFunction, ExcludedFirstEventsDoNotCreateAPartition) {
    cp_function f{90, 5, minutes{5}};
    EXPECT_FALSE(f.evaluate("k", t0, 1.0, false).has_value());
    EXPECT_FALSE(f.evaluate("k", t0 + minutes{1}, std::nullopt).has_value());
    EXPECT_EQ(f.partition_count(), 0U);
    EXPECT_EQ(f.find("k"), nullptr);
    // Excluded values are not validated either: they never reach the model.
    EXPECT_FALSE(f.evaluate("k", t0, inf, false).has_value());
    EXPECT_EQ(f.partition_count(), 0U);
    // The first included event then behaves as a first event: p = 0.5, no imputation.
    (void)f.evaluate("k", t0 + hours{1}, 1.0);
    EXPECT_EQ(f.find("k")->fill(), 1U);
}

TEST(ChangePointFunction, NanGivesNullScoreAdvancesClockAndLeavesModel) {
    cp_function f{90, 6, minutes{6}};
    (void)f.evaluate("k", t0, 1.0);
    const auto r = f.evaluate("k", t0 + minutes{5}, nan_v);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->score.has_value());
    EXPECT_FALSE(r->is_anomaly);
    EXPECT_EQ(f.find("k")->fill(), 1U);  // model unchanged, nothing imputed for NaN
    // Imputation now counts from minute 5: the event at minute 6 is in the next interval.
    const auto next = f.evaluate("k", t0 + minutes{6}, 2.0);
    EXPECT_EQ(f.find("k")->fill(), 2U);
    change_point_detector det = twin_detector(f);
    (void)det.update(1.0);
    EXPECT_EQ(*next, expected(det, 2.0));
    // And a NaN earlier than the clock is out of order like any included event.
    EXPECT_THROW((void)f.evaluate("k", t0, nan_v), std::invalid_argument);
}

TEST(ChangePointFunction, OutOfOrderIncludedEventThrowsAndChangesNothing) {
    cp_function f{90, 5, minutes{5}};
    (void)f.evaluate("k", t0 + minutes{2}, 1.0);
    (void)f.evaluate("other", t0 + minutes{9}, 1.0);
    const auto before = f.snapshot();
    try {
        (void)f.evaluate("k", t0 + minutes{1}, 2.0);
        ADD_FAILURE() << "accepted an out-of-order event";
    } catch (const std::invalid_argument& e) {
        // The gap in seconds, not in .NET ticks.
        EXPECT_NE(std::string(e.what()).find("out of order: 60 s earlier"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(f.snapshot(), before);
    // Excluded out-of-order events are fine; order is per partition; equal times are fine.
    EXPECT_NO_THROW((void)f.evaluate("k", t0, 2.0, false));
    EXPECT_NO_THROW((void)f.evaluate("k", t0 + minutes{2}, 3.0));
    EXPECT_NO_THROW((void)f.evaluate("k", t0 + minutes{2}, 4.0));
    EXPECT_EQ(f.find("k")->fill(), 3U);
}

TEST(ChangePointFunction, TimesFinerThan100NsTruncateToTicks) {
    // Two events in one tick in decreasing nanosecond order are equal in ticks, not out of order.
    cp_function f{90, 5, minutes{5}};
    const sys_time<nanoseconds> tick_start = t0 + nanoseconds{1'000};
    const auto at = [](sys_time<nanoseconds> t) { return streamcp::to_event_time(t); };
    EXPECT_NO_THROW((void)f.evaluate("k", at(tick_start + nanoseconds{99}), 1.0));
    EXPECT_NO_THROW((void)f.evaluate("k", at(tick_start + nanoseconds{49}), 2.0));
    EXPECT_NO_THROW((void)f.evaluate("k", at(tick_start), 3.0));
    // One nanosecond earlier is the previous tick: out of order by one tick, 0.1 µs.
    try {
        (void)f.evaluate("k", at(tick_start - nanoseconds{1}), 4.0);
        ADD_FAILURE() << "accepted an event in the previous tick";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("out of order: 0.0000001 s earlier"),
                  std::string::npos)
            << e.what();
    }
    try {
        (void)f.evaluate("k", at(tick_start - milliseconds{1'250}), 4.0);
        ADD_FAILURE() << "accepted an event 1.25 s early";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("out of order: 1.25 s earlier"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(f.find("k")->fill(), 3U);
}

TEST(ChangePointFunction, TimesOutsideTheDotnetRangeThrowAndChangeNothing) {
    cp_function f{90, 5, minutes{5}};
    (void)f.evaluate("k", streamcp::min_event_time, 1.0);
    (void)f.evaluate("k", streamcp::max_event_time, 1.0);  // both ends are times like others
    const auto before = f.snapshot();
    for (const event_time outside : {streamcp::min_event_time - streamcp::tick_duration{1},
                                     streamcp::max_event_time + streamcp::tick_duration{1}}) {
        try {
            (void)f.evaluate("new", outside, 1.0);
            ADD_FAILURE() << "accepted a time outside .NET's range";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("0001-01-01T00:00:00Z to 9999-12-31"),
                      std::string::npos)
                << e.what();
        }
        const std::vector<std::string> keys{"a", "b"};
        const std::vector<event_time> times{t0, outside};
        const std::vector<std::optional<double>> values{1.0, 1.0};
        std::vector<std::optional<record>> out(2);
        try {
            f.evaluate_many(keys, times, values, out);
            ADD_FAILURE() << "a batch accepted a time outside .NET's range";
        } catch (const streamcp::batch_error& e) {
            EXPECT_EQ(e.index(), 1U);
            EXPECT_EQ(e.field(), streamcp::batch_field::time);
        }
        EXPECT_EQ(f.snapshot(), before);
    }
}

TEST(ChangePointFunction, SubTickTruncationAppliesToIntervalNumbers) {
    // An event 1 ns before an interval boundary belongs to the earlier interval; the boundary
    // itself to the next. With W = 4 / 4 minutes, I = 1 minute.
    cp_function f{90, 4, minutes{4}};
    (void)f.evaluate("k", t0, 1.0);
    // interval 1: no imputation
    (void)f.evaluate("k", streamcp::to_event_time(t0 + minutes{2} - nanoseconds{1}), 2.0);
    EXPECT_EQ(f.find("k")->fill(), 2U);
    (void)f.evaluate("k", t0 + minutes{4}, 3.0);  // interval 4: intervals 2, 3 missing
    EXPECT_EQ(f.find("k")->fill(), 4U);
}

TEST(ChangePointFunction, ConfidenceIsTruncatedToAnInteger) {
    cp_function f809{80.9, 4, minutes{4}};
    cp_function f80{80, 4, minutes{4}};
    cp_function frac{80.9, 4, minutes{4}, {.fractional_confidence = true}};
    EXPECT_EQ(f809.partition_model_options().confidence, 80.0);
    EXPECT_EQ(frac.partition_model_options().confidence, 80.9);
    EXPECT_EQ(f809.confidence(), 80.9);
    std::mt19937_64 rng{42};
    std::normal_distribution<double> noise{0.0, 1.0};
    bool any_alert = false;
    for (int i = 0; i < 200; ++i) {
        const double v = noise(rng) + (i % 50 > 40 ? 3.0 : 0.0);
        const auto a = f809.evaluate("k", t0 + minutes{i}, v);
        const auto b = f80.evaluate("k", t0 + minutes{i}, v);
        const auto c = frac.evaluate("k", t0 + minutes{i}, v);
        EXPECT_EQ(a, b) << i;
        EXPECT_EQ(a->score, c->score) << i;  // Score does not depend on confidence
        any_alert = any_alert || a->is_anomaly;
    }
    EXPECT_TRUE(any_alert);
    EXPECT_NE(f809.find("k")->threshold(), frac.find("k")->threshold());
    EXPECT_EQ(f809.find("k")->threshold(), f80.find("k")->threshold());
    // 99.5 through the spike function becomes 99.
    anomaly_detection_spike_and_dip<std::string> s{99.5, 10, spike_mode::spikes, minutes{10}};
    EXPECT_EQ(s.partition_model_options().confidence, 99.0);
}

template <class F>
void expect_invalid(F make, const std::string& argument) {
    try {
        make();
        ADD_FAILURE() << "accepted; expected an error naming " << argument;
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find(argument), std::string::npos) << e.what();
    }
}

TEST(ChangePointFunction, Validation) {
    expect_invalid([] { cp_function f{0.5, 4, minutes{4}}; }, "confidence");
    expect_invalid([] { cp_function f{101, 4, minutes{4}}; }, "confidence");
    expect_invalid([] { cp_function f{nan_v, 4, minutes{4}}; }, "confidence");
    expect_invalid([] { cp_function f{90, 0, minutes{4}}; }, "history");
    expect_invalid([] { cp_function f{90, -1, minutes{4}}; }, "history");
    expect_invalid([] { cp_function f{90, 4, nanoseconds{0}}; }, "duration");
    expect_invalid([] { cp_function f{90, 4, -seconds{1}}; }, "duration");
    expect_invalid([] { cp_function f{90, 4, days{7} + nanoseconds{1}}; }, "duration");
    expect_invalid(
        [] {
            anomaly_detection_spike_and_dip<int> f{90, 4, spike_mode::dips, days{8}};
        },
        "duration");
    expect_invalid(
        [] {
            anomaly_detection_spike_and_dip<int> f{0, 4, spike_mode::dips, days{1}};
        },
        "confidence");
    EXPECT_NO_THROW(cp_function(90, 4, days{7}));
    EXPECT_NO_THROW(cp_function(1, 1, nanoseconds{1}));
    EXPECT_NO_THROW(cp_function(100, 4, minutes{4}));
}

TEST(ChangePointFunction, InfinityAndHugeValuesThrowAndChangeNothing) {
    cp_function f{90, 4, minutes{4}};
    (void)f.evaluate("k", t0, 1.0);
    const auto before = f.snapshot();
    EXPECT_THROW((void)f.evaluate("k", t0 + minutes{1}, inf), std::invalid_argument);
    EXPECT_THROW((void)f.evaluate("k", t0 + minutes{1}, -1e39), std::invalid_argument);
    EXPECT_THROW((void)f.evaluate("new", t0, inf), std::invalid_argument);
    EXPECT_EQ(f.snapshot(), before);
    EXPECT_EQ(f.partition_count(), 1U);
}

TEST(ChangePointFunction, PartitionsAreIndependent) {
    for (const std::uint64_t seed : {1U, 2U, 3U}) {
        const auto events = random_events(seed, 400, 5);
        cp_function together{90, 6, minutes{6}};
        std::map<std::string, cp_function> solo;
        for (const auto& e : events) {
            auto& s = solo.try_emplace(e.key, 90, 6, minutes{6}).first->second;
            const auto a = together.evaluate(e.key, e.time, e.value, e.when);
            const auto b = s.evaluate(e.key, e.time, e.value, e.when);
            ASSERT_EQ(a, b) << "seed " << seed << " key " << e.key;
        }
        EXPECT_EQ(together.partition_count(), 5U);
    }
}

TEST(ChangePointFunction, NoIdleExpiryByDefault) {
    cp_function f{90, 4, minutes{4}};
    (void)f.evaluate("idle", t0, 1.0);
    for (int i = 0; i < 50; ++i) {
        (void)f.evaluate("busy", t0 + days{i}, 1.0);
    }
    EXPECT_EQ(f.partition_count(), 2U);
    ASSERT_NE(f.find("idle"), nullptr);
    EXPECT_EQ(f.find("idle")->fill(), 1U);
    (void)f.evaluate("idle", t0 + days{60}, 2.0);
    EXPECT_EQ(f.find("idle")->fill(), 4U);  // continued and flooded, not restarted
}

TEST(ChangePointFunction, IdleTtlRestartsAndSweepsPartitions) {
    cp_function f{90, 4, minutes{4}, {.idle_ttl = hours{1}}};
    cp_function fresh{90, 4, minutes{4}};
    (void)f.evaluate("a", t0, 5.0);
    (void)f.evaluate("a", t0 + minutes{1}, 6.0);
    (void)f.evaluate("b", t0, 5.0);
    EXPECT_EQ(f.partition_count(), 2U);
    // b keeps going for three hours: a is swept.
    for (int i = 1; i <= 180; ++i) {
        (void)f.evaluate("b", t0 + minutes{i}, 5.0);
    }
    EXPECT_EQ(f.partition_count(), 1U);
    EXPECT_EQ(f.find("a"), nullptr);
    // a starts afresh: its output equals a fresh function's first output.
    EXPECT_EQ(f.evaluate("a", t0 + hours{3}, 9.0), fresh.evaluate("a", t0 + hours{3}, 9.0));
    EXPECT_EQ(f.find("a")->fill(), 1U);
}

TEST(ChangePointFunction, IdleTtlRestartsAKeyOnItsOwnNextEvent) {
    // Even without a sweep in between, a key idle longer than the TTL restarts.
    cp_function f{90, 4, minutes{4}, {.idle_ttl = hours{1}}};
    cp_function fresh{90, 4, minutes{4}};
    (void)f.evaluate("a", t0, 5.0);
    (void)f.evaluate("a", t0 + minutes{1}, 6.0);
    EXPECT_EQ(f.evaluate("a", t0 + hours{2}, 9.0), fresh.evaluate("a", t0 + hours{2}, 9.0));
    // Within the TTL the model continues (here: the gap imputes, fill reaches the cap).
    (void)f.evaluate("a", t0 + hours{2} + minutes{30}, 9.0);
    EXPECT_EQ(f.find("a")->fill(), 4U);
}

TEST(ChangePointFunction, EvictIdle) {
    cp_function f{90, 4, minutes{4}};
    (void)f.evaluate("a", t0, 1.0);
    (void)f.evaluate("b", t0 + minutes{30}, 1.0);
    (void)f.evaluate("c", t0 + minutes{59}, 1.0);
    EXPECT_EQ(f.evict_idle(t0 + minutes{60}, minutes{20}), 2U);
    EXPECT_EQ(f.partition_count(), 1U);
    EXPECT_NE(f.find("c"), nullptr);
    EXPECT_EQ(f.evict_idle(t0 + minutes{60}, minutes{20}), 0U);
    // The evicted key restarts: first-event output.
    cp_function fresh{90, 4, minutes{4}};
    EXPECT_EQ(f.evaluate("a", t0 + minutes{61}, 3.0), fresh.evaluate("x", t0, 3.0));
}

TEST(ChangePointFunction, MonostateKeyForNoPartitionBy) {
    anomaly_detection_change_point<std::monostate> f{95, 4, minutes{4}};
    change_point_detector det{{.confidence = 95, .history = 4}};
    const auto xs = five_then_seven();
    for (std::size_t i = 0; i < xs.size(); ++i) {
        EXPECT_EQ(*f.evaluate({}, t0 + minutes{static_cast<int>(i)}, xs[i]), expected(det, xs[i]));
    }
    EXPECT_EQ(f.partition_count(), 1U);
}

TEST(SpikeAndDipFunction, ScoreIsThePValue) {
    anomaly_detection_spike_and_dip<std::int64_t> f{95, 5, spike_mode::spikes_and_dips, minutes{5}};
    streamcp::spike_and_dip_detector det{f.partition_model_options()};
    const std::vector<double> xs{1, 2, 1.5, 2.5, 1.2, 30, 1.1, -40, 2, nan_v, 1.7};
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const auto r = f.evaluate(7, t0 + minutes{static_cast<int>(i)}, xs[i]);
        const auto d = det.update(xs[i]);
        ASSERT_TRUE(r.has_value());
        if (std::isnan(xs[i])) {
            EXPECT_FALSE(r->score.has_value());
            EXPECT_FALSE(r->is_anomaly);
        } else {
            EXPECT_EQ(r->score, std::optional<double>{d.p_value}) << i;
            EXPECT_EQ(r->is_anomaly, d.is_anomaly) << i;
        }
    }
}

TEST(SpikeAndDipFunction, ModesAndImputation) {
    for (const auto mode : {spike_mode::spikes, spike_mode::dips, spike_mode::spikes_and_dips}) {
        anomaly_detection_spike_and_dip<std::int64_t> f{95, 5, mode, minutes{5}};
        for (int i = 0; i < 10; ++i) {
            (void)f.evaluate(1, t0 + minutes{i}, 10.0 + (i % 3) * 0.5);
        }
        anomaly_detection_spike_and_dip<std::int64_t> g = f;
        const bool high = f.evaluate(1, t0 + minutes{10}, 100.0)->is_anomaly;
        const bool low = g.evaluate(1, t0 + minutes{10}, -100.0)->is_anomaly;
        EXPECT_EQ(high, mode != spike_mode::dips) << streamcp::to_string(mode);
        EXPECT_EQ(low, mode != spike_mode::spikes) << streamcp::to_string(mode);
    }
    // A long gap floods the history with the new value: it is then unremarkable.
    anomaly_detection_spike_and_dip<std::int64_t> f{95, 5, spike_mode::spikes, minutes{5}};
    for (int i = 0; i < 10; ++i) {
        (void)f.evaluate(1, t0 + minutes{i}, 10.0 + (i % 3) * 0.5);
    }
    EXPECT_FALSE(f.evaluate(1, t0 + hours{5}, 100.0)->is_anomaly);
    EXPECT_EQ(f.find(1)->fill(), 5U);
}

}  // namespace
