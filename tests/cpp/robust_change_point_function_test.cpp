// SPDX-License-Identifier: MIT
// robust_change_point_function: the ASA functions' partition, imputation, WHEN / NULL / NaN and
// order rules around the recommended detector, and its snapshots.
#include "streamcp/function/robust_change_point_function.hpp"

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/state/snapshot_error.hpp"

namespace {

using std::chrono::minutes;
using streamcp::event_time;
using streamcp::record;
using streamcp::robust_change_point_detector;
using streamcp::robust_change_point_options;
using function = streamcp::robust_change_point_function<std::string>;

const event_time t0 = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};

/// Noise in [-1, 1) from mt19937's raw output (platform-independent), a +10 shift at 200.
std::vector<double> shifted_noise(std::uint32_t seed) {
    std::mt19937 gen{seed};
    std::vector<double> out(320);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<double>(gen()) / 2147483648.0 - 1.0 + (i >= 200 ? 10.0 : 0.0);
    }
    return out;
}

/// Event i's time: i minutes after t0.
minutes at(std::size_t i) { return minutes{static_cast<std::int64_t>(i)}; }
minutes at(int i) { return minutes{i}; }

const robust_change_point_options small{.history = 60, .cooldown = 5};

TEST(RobustChangePointFunction, EachKeyRunsItsOwnDetector) {
    function f{small, minutes{60}};  // interval 1 minute: no imputation at one event a minute
    const auto a = shifted_noise(1);
    const auto b = shifted_noise(2);
    robust_change_point_detector alone_a{small};
    robust_change_point_detector alone_b{small};
    std::size_t changes = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto ra = f.evaluate("a", t0 + at(i), a[i]);
        const auto rb = f.evaluate("b", t0 + at(i), b[i]);
        const auto ea = alone_a.update(a[i]);
        const auto eb = alone_b.update(b[i]);
        ASSERT_TRUE(ra && rb);
        EXPECT_EQ(ra->score, std::optional<double>{ea.score}) << i;
        EXPECT_EQ(ra->is_anomaly, ea.is_change) << i;
        EXPECT_EQ(rb->is_anomaly, eb.is_change) << i;
        changes += ra->is_anomaly ? 1U : 0U;
    }
    EXPECT_GE(changes, 1U);  // the shift is found
    EXPECT_EQ(f.partition_count(), 2U);
}

TEST(RobustChangePointFunction, ImputesAGapWithTheNewestValue) {
    // Interval = 60 min / 60 = 1 minute. A 5-minute gap imputes 4 steps of the new value.
    function f{small, minutes{60}};
    robust_change_point_detector expected{small};
    for (int i = 0; i < 20; ++i) {
        const double v = (i % 3) * 0.5;
        (void)f.evaluate("k", t0 + at(i), v);
        (void)expected.update(v);
    }
    const auto got = f.evaluate("k", t0 + minutes{24}, 0.25);
    for (int i = 0; i < 4; ++i) {
        (void)expected.update(0.25);
    }
    EXPECT_EQ(got->score, std::optional<double>{expected.update(0.25).score});
    // At most `history` steps are imputed, however long the gap. (Without a period search,
    // whose buffer of the values seen would grow with the sample.)
    robust_change_point_options no_search = small;
    no_search.period_search = 0;
    function g{no_search, minutes{60}};
    (void)g.evaluate("k", t0, 1.0);
    (void)g.evaluate("k", t0 + std::chrono::days{3}, 2.0);
    function h{no_search, minutes{60}};
    (void)h.evaluate("k", t0, 1.0);
    // 61 values pushed (one, then 60 imputed and the event's own would be 62): the sample
    // holds history = 60 values, 59 more than after the first event.
    EXPECT_EQ(g.snapshot().size(), h.snapshot().size() + 59 * sizeof(double));
}

TEST(RobustChangePointFunction, WhenNullAndNanRules) {
    function f{small, minutes{60}};
    EXPECT_EQ(f.evaluate("k", t0, 1.0, false), std::nullopt);
    EXPECT_EQ(f.evaluate("k", t0, std::nullopt), std::nullopt);
    EXPECT_EQ(f.partition_count(), 0U);  // neither creates a partition
    (void)f.evaluate("k", t0 + minutes{1}, 1.0);
    const auto before = f.snapshot();
    const auto nan = f.evaluate("k", t0 + minutes{5}, std::numeric_limits<double>::quiet_NaN());
    ASSERT_TRUE(nan);
    EXPECT_EQ(*nan, (record{std::nullopt, false}));
    EXPECT_NE(f.snapshot(), before);  // the clock advanced ...
    EXPECT_THROW((void)f.evaluate("k", t0 + minutes{4}, 1.0), std::invalid_argument);  // ... so
    EXPECT_THROW((void)f.evaluate("k", t0 + minutes{6}, std::numeric_limits<double>::infinity()),
                 std::invalid_argument);
    EXPECT_THROW(function({}, minutes{0}), std::invalid_argument);
    EXPECT_THROW(function({}, std::chrono::days{8}), std::invalid_argument);
    EXPECT_THROW(function({.history = 1}, minutes{5}), std::invalid_argument);
}

TEST(RobustChangePointFunction, RestoreAtACutEqualsUninterrupted) {
    const auto a = shifted_noise(3);
    function whole{small, minutes{30}};  // interval 30 s: every event imputes one step
    std::vector<std::optional<record>> expected;
    for (std::size_t i = 0; i < a.size(); ++i) {
        expected.push_back(whole.evaluate(i % 3 == 0 ? "x" : "y", t0 + at(i), a[i]));
    }
    for (const std::size_t cut :
         {std::size_t{0}, std::size_t{7}, std::size_t{150}, std::size_t{260}}) {
        function first{small, minutes{30}};
        for (std::size_t i = 0; i < cut; ++i) {
            (void)first.evaluate(i % 3 == 0 ? "x" : "y", t0 + at(i), a[i]);
        }
        function second{small, minutes{30}};
        second.restore(first.snapshot());
        EXPECT_EQ(second.snapshot(), first.snapshot());
        for (std::size_t i = cut; i < a.size(); ++i) {
            EXPECT_EQ(second.evaluate(i % 3 == 0 ? "x" : "y", t0 + at(i), a[i]), expected[i])
                << cut << " " << i;
        }
    }
}

TEST(RobustChangePointFunction, RefusesOtherParametersAndDamagedSnapshots) {
    function f{small, minutes{30}};
    for (int i = 0; i < 30; ++i) {
        (void)f.evaluate(i % 2 == 0 ? "a" : "b", t0 + at(i), 0.1 * i);
    }
    const auto bytes = f.snapshot();
    function other_duration{small, minutes{31}};
    EXPECT_THROW(other_duration.restore(bytes), streamcp::snapshot_error);
    function other_model{{.history = 61, .cooldown = 5}, minutes{30}};
    EXPECT_THROW(other_model.restore(bytes), streamcp::snapshot_error);
    function target{small, minutes{30}};
    const auto empty = target.snapshot();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        EXPECT_THROW(target.restore(std::span{bytes.data(), n}), streamcp::snapshot_error) << n;
    }
    EXPECT_EQ(target.snapshot(), empty);  // nothing changed
}

TEST(RobustChangePointFunction, BatchEqualsStreamAndIsValidatedFirst) {
    const auto a = shifted_noise(5);
    std::vector<std::string> keys;
    std::vector<event_time> times;
    std::vector<std::optional<double>> values;
    std::vector<char> when_chars;
    function stream{small, minutes{30}};
    std::vector<std::optional<record>> expected;
    for (std::size_t i = 0; i < a.size(); ++i) {
        keys.emplace_back(i % 2 == 0 ? "p" : "q");
        times.push_back(t0 + at(i));
        values.push_back(i % 17 == 0 ? std::nullopt : std::optional<double>{a[i]});
        when_chars.push_back(i % 11 == 0 ? 0 : 1);
        expected.push_back(stream.evaluate(keys[i], times[i], values[i], when_chars[i] != 0));
    }
    // std::vector<bool> has no contiguous bools to view as a span.
    const auto when =
        std::make_unique<bool[]>(when_chars.size());  // NOLINT(modernize-avoid-c-arrays)
    for (std::size_t i = 0; i < when_chars.size(); ++i) {
        when[i] = when_chars[i] != 0;
    }
    function batch{small, minutes{30}};
    std::vector<std::optional<record>> out(a.size());
    batch.evaluate_many(keys, times, values, std::span<const bool>{when.get(), a.size()}, out);
    EXPECT_EQ(out, expected);
    EXPECT_EQ(batch.snapshot(), stream.snapshot());
    // An out-of-order event late in a batch: nothing changes, and the message names it.
    times.back() = t0;
    function fresh{small, minutes{30}};
    const auto empty = fresh.snapshot();
    try {
        fresh.evaluate_many(keys, times, values, {}, out);
        FAIL() << "out of order accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).rfind("event " + std::to_string(a.size() - 1) + ":", 0), 0U)
            << e.what();
    }
    EXPECT_EQ(fresh.snapshot(), empty);
}

TEST(RobustChangePointFunction, BatchPValuesAreTheDetectors) {
    // One key, an event a minute, interval 10 minutes (600 min / 60): nothing is imputed, so
    // the p-values are a lone detector's; NULL events give NaN.
    const auto a = shifted_noise(6);
    const std::vector<std::string> keys(a.size(), "k");
    std::vector<event_time> times;
    std::vector<std::optional<double>> values;
    robust_change_point_detector lone{small};
    std::vector<double> expected;
    for (std::size_t i = 0; i < a.size(); ++i) {
        times.push_back(t0 + at(i));
        values.push_back(i % 17 == 0 ? std::nullopt : std::optional<double>{a[i]});
        expected.push_back(values[i] ? lone.update(*values[i]).p_value
                                     : std::numeric_limits<double>::quiet_NaN());
    }
    function batch{small, minutes{600}};
    std::vector<std::optional<record>> out(a.size());
    std::vector<double> p_values(a.size(), -1.0);
    batch.evaluate_many(keys, times, values, {}, out, p_values);
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(expected[i])) {
            EXPECT_TRUE(std::isnan(p_values[i])) << i;
        } else {
            EXPECT_EQ(p_values[i], expected[i]) << i;
        }
    }
}

}  // namespace
