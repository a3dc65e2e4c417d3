// SPDX-License-Identifier: MIT
// The ASA functions' batch entry point evaluate_many: equal to evaluate one by one, all-or-nothing
// validation. Kept apart from function_test.cpp because evaluate_many currently fails to compile
// (see the report).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
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
using streamcp::event_time;
using streamcp::record;
using streamcp_test::random_events;

using cp_function = anomaly_detection_change_point<std::string>;

constexpr double inf = std::numeric_limits<double>::infinity();

const event_time t0 = sys_days{year{2024} / 1 / 1};

TEST(ChangePointFunction, EvaluateManyEqualsEvaluate) {
    const auto events = random_events(77, 300, 4);
    std::vector<std::string> keys;
    std::vector<event_time> times;
    std::vector<std::optional<double>> values;
    // std::vector<bool> has no contiguous bools to view as a span.
    std::unique_ptr<bool[]> when{new bool[events.size()]};  // NOLINT(modernize-avoid-c-arrays)
    for (std::size_t i = 0; i < events.size(); ++i) {
        keys.push_back(events[i].key);
        times.push_back(events[i].time);
        values.push_back(events[i].value);
        when[i] = events[i].when;
    }
    cp_function one{85, 5, minutes{5}};
    cp_function many{85, 5, minutes{5}};
    std::vector<std::optional<record>> out(events.size());
    many.evaluate_many(keys, times, values, std::span<const bool>{when.get(), events.size()}, out);
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(one.evaluate(keys[i], times[i], values[i], when[i]), out[i]) << i;
    }
    // The overload without WHEN treats every event as included.
    cp_function one2{85, 5, minutes{5}};
    cp_function many2{85, 5, minutes{5}};
    many2.evaluate_many(keys, times, values, out);
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(one2.evaluate(keys[i], times[i], values[i]), out[i]) << i;
    }
    // Same state afterwards: the next events score alike.
    for (int k = 0; k < 4; ++k) {
        const std::string key = "key" + std::to_string(k);
        EXPECT_EQ(one.evaluate(key, t0 + days{3}, 11.0), many.evaluate(key, t0 + days{3}, 11.0));
    }
}

TEST(ChangePointFunction, EvaluateManyOfTimeSortedBatchesEqualsEvaluate) {
    auto events = random_events(78, 400, 6);
    std::stable_sort(events.begin(), events.end(),
                     [](const auto& a, const auto& b) { return a.time < b.time; });
    cp_function one{85, 5, minutes{5}};
    cp_function many{85, 5, minutes{5}};
    // Two batches, each sorted: the second starts at or after every clock. Then one event of
    // key0 sorted alone but before the newest time seen, which its own partition allows.
    const std::size_t half = events.size() / 2;
    for (const auto& [from, to] : {std::pair{std::size_t{0}, half}, {half, events.size()}}) {
        std::vector<std::string> keys;
        std::vector<event_time> times;
        std::vector<std::optional<double>> values;
        for (std::size_t i = from; i < to; ++i) {
            keys.push_back(events[i].key);
            times.push_back(events[i].time);
            values.push_back(events[i].value);
        }
        std::vector<std::optional<record>> out(keys.size());
        many.evaluate_many(keys, times, values, out);
        for (std::size_t i = 0; i < keys.size(); ++i) {
            EXPECT_EQ(one.evaluate(keys[i], times[i], values[i]), out[i]) << from + i;
        }
    }
    cp_function a{85, 5, minutes{5}};
    (void)a.evaluate("x", t0 + minutes{10}, 1.0);
    (void)a.evaluate("y", t0 + minutes{20}, 1.0);
    const std::vector<std::string> keys{"x"};
    const std::vector<event_time> times{t0 + minutes{15}};
    const std::vector<std::optional<double>> values{2.0};
    std::vector<std::optional<record>> out(1);
    EXPECT_NO_THROW(a.evaluate_many(keys, times, values, out));
    EXPECT_TRUE(out[0].has_value());
}

/// The refusal's position, as `batch_error` reports it (the Python layer points at rows with it).
streamcp::batch_error refusal(cp_function& f, const std::vector<event_time>& times,
                              const std::vector<std::optional<double>>& values) {
    const std::vector<std::string> keys{"a", "b", "a", "b"};
    std::vector<std::optional<record>> out(keys.size());
    try {
        f.evaluate_many(keys, times, values, out);
    } catch (const streamcp::batch_error& e) {
        return e;
    }
    ADD_FAILURE() << "accepted";
    return {0, streamcp::batch_field::time, "none"};
}

TEST(ChangePointFunction, EvaluateManyPValuesAreThePartitionModels) {
    // Two keys, each an event a minute, interval 10 minutes: nothing is imputed (even after an
    // excluded event), so each key's p-values are those of a detector fed its included values.
    cp_function f{85, 5, minutes{50}};
    std::map<std::string, streamcp::change_point_detector> twins;
    std::vector<std::string> keys;
    std::vector<event_time> times;
    std::vector<std::optional<double>> values;
    std::mt19937_64 rng{5};
    std::normal_distribution<double> noise{20.0, 1.0};
    for (int i = 0; i < 60; ++i) {
        keys.emplace_back(i % 2 == 0 ? "a" : "b");
        times.push_back(t0 + minutes{i / 2});
        values.push_back(i % 13 == 5 ? std::nullopt : std::optional<double>{noise(rng)});
    }
    std::unique_ptr<bool[]> when{new bool[keys.size()]};  // NOLINT(modernize-avoid-c-arrays)
    std::vector<double> expected(keys.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        when[i] = i % 11 != 3;
        if (when[i] && values[i]) {
            auto twin = twins.try_emplace(keys[i], f.partition_model_options()).first;
            expected[i] = twin->second.update(*values[i]).p_value;
        }
    }
    std::vector<std::optional<record>> out(keys.size());
    std::vector<double> p_values(keys.size(), -1.0);
    f.evaluate_many(keys, times, values, std::span<const bool>{when.get(), keys.size()}, out,
                    p_values);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (std::isnan(expected[i])) {
            EXPECT_TRUE(std::isnan(p_values[i]) && !out[i]) << i;
        } else {
            EXPECT_EQ(p_values[i], expected[i]) << i;
        }
    }
    // A p_values span of another length is refused before anything changes.
    const auto before = f.snapshot();
    std::vector<double> short_p(3);
    EXPECT_THROW(f.evaluate_many(keys, times, values, {}, out, short_p), std::invalid_argument);
    EXPECT_EQ(f.snapshot(), before);
}

TEST(ChangePointFunction, EvaluateManyRefusalsCarryTheEventAndField) {
    cp_function f{90, 4, minutes{4}};
    (void)f.evaluate("a", t0 + minutes{10}, 1.0);
    const auto inf_value =
        refusal(f, {t0 + minutes{11}, t0, t0 + minutes{12}, t0}, {1.0, 2.0, inf, 3.0});
    EXPECT_EQ(inf_value.index(), 2U);
    EXPECT_EQ(inf_value.field(), streamcp::batch_field::value);
    EXPECT_EQ(std::string{inf_value.what()}, "event 2: " + inf_value.reason());
    const auto late =
        refusal(f, {t0 + minutes{11}, t0 + minutes{5}, t0 + minutes{12}, t0}, {1.0, 2.0, 3.0, 3.0});
    EXPECT_EQ(late.index(), 3U);
    EXPECT_EQ(late.field(), streamcp::batch_field::time);
    EXPECT_NE(late.reason().find("out of order"), std::string::npos) << late.reason();
}

TEST(ChangePointFunction, EvaluateManyWithOneBadEventThrowsAndChangesNothing) {
    cp_function f{90, 4, minutes{4}};
    (void)f.evaluate("a", t0 + minutes{10}, 1.0);
    const auto before = f.snapshot();
    const std::vector<std::string> keys{"a", "b", "a", "b"};
    std::vector<std::optional<record>> out(4);
    {
        // inf in the middle
        const std::vector<event_time> times{t0 + minutes{11}, t0, t0 + minutes{12}, t0};
        const std::vector<std::optional<double>> values{1.0, 2.0, inf, 3.0};
        EXPECT_THROW(f.evaluate_many(keys, times, values, out), std::invalid_argument);
    }
    {
        // out of order against the existing partition
        const std::vector<event_time> times{t0 + minutes{9}, t0, t0 + minutes{12}, t0};
        const std::vector<std::optional<double>> values{1.0, 2.0, 3.0, 3.0};
        EXPECT_THROW(f.evaluate_many(keys, times, values, out), std::invalid_argument);
    }
    {
        // out of order inside the batch, for a new key
        const std::vector<event_time> times{t0 + minutes{11}, t0 + minutes{5}, t0 + minutes{12},
                                            t0 + minutes{4}};
        const std::vector<std::optional<double>> values{1.0, 2.0, 3.0, 3.0};
        EXPECT_THROW(f.evaluate_many(keys, times, values, out), std::invalid_argument);
    }
    {
        // times sorted over the batch but starting before the newest event seen: the event of
        // "a" is still out of order against its partition
        const std::vector<event_time> times{t0 + minutes{1}, t0 + minutes{2}, t0 + minutes{9},
                                            t0 + minutes{12}};
        const std::vector<std::optional<double>> values{1.0, 2.0, 3.0, 3.0};
        EXPECT_THROW(f.evaluate_many(keys, times, values, out), std::invalid_argument);
    }
    {
        // sorted and after every partition's clock, but with a bad value
        const std::vector<event_time> times{t0 + minutes{11}, t0 + minutes{11}, t0 + minutes{12},
                                            t0 + minutes{13}};
        const std::vector<std::optional<double>> values{1.0, 2.0, 3.0, -inf};
        EXPECT_THROW(f.evaluate_many(keys, times, values, out), std::invalid_argument);
    }
    {
        // mismatched lengths
        const std::vector<event_time> times{t0 + minutes{11}};
        const std::vector<std::optional<double>> values{1.0, 2.0, 3.0, 3.0};
        EXPECT_THROW(f.evaluate_many(keys, times, values, out), std::invalid_argument);
    }
    EXPECT_EQ(f.snapshot(), before);
    EXPECT_EQ(f.partition_count(), 1U);
    // An excluded bad event does not fail the batch.
    const std::vector<event_time> times{t0 + minutes{11}, t0, t0 + minutes{1}, t0};
    const std::vector<std::optional<double>> values{1.0, 2.0, inf, std::nullopt};
    const std::array<bool, 4> when{true, true, false, true};
    EXPECT_NO_THROW(f.evaluate_many(keys, times, values, when, out));
    EXPECT_FALSE(out[2].has_value());
    EXPECT_FALSE(out[3].has_value());
}

}  // namespace
