// SPDX-License-Identifier: MIT
// Splitting the ordering stage by key and merging the parts: each part releases its keys'
// events as the whole stage would, and merging the parts gives back a stage that releases
// everything as the original (the sharded engine's checkpoints rely on both).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "event_order.hpp"

namespace streamcp::pipeline {
namespace {

using namespace std::chrono_literals;

struct arrival {
    decoded_event event;
    std::string raw;
    std::uint64_t line;
};

/// What a stage released: the line, the time it was released with and the key.
using release = std::tuple<std::uint64_t, event_time, partition_key>;

/// Keys of every kind, many late events (within and beyond the tolerance), equal times.
std::vector<arrival> make_arrivals(std::uint64_t seed, std::size_t count) {
    std::mt19937_64 random{seed};
    std::vector<arrival> out;
    event_time now{std::chrono::seconds{1'700'000'000}};
    for (std::size_t i = 0; i < count; ++i) {
        now += std::chrono::seconds{static_cast<std::int64_t>(random() % 3)};
        const std::uint64_t k = random() % 13;
        partition_key key;
        if (k == 0) {
            key = std::monostate{};
        } else if (k % 2 == 0) {
            key = static_cast<std::int64_t>(k);
        } else {
            key = "d" + std::to_string(k);
        }
        const auto late = std::chrono::seconds{random() % 4 == 0 ? random() % 40 : 0};
        decoded_event event{.key = key, .time = now - late, .value = 1.0};
        out.push_back({event, "{\"line\":" + std::to_string(i + 1) + "}", i + 1});
    }
    return out;
}

std::function<std::size_t(const partition_key&)> part_of(std::size_t parts) {
    return [parts](const partition_key& key) { return std::hash<partition_key>{}(key) % parts; };
}

/// Feeds `arrivals[from, to)` to the stage `route` picks for each key and returns, per stage,
/// what it released; the end of the input flushes when `flush`.
std::vector<std::vector<release>> feed(
    std::vector<event_order*> stages, const std::vector<arrival>& arrivals, std::size_t from,
    std::size_t to, const std::function<std::size_t(const partition_key&)>& route, bool flush) {
    std::vector<std::vector<release>> out(stages.size());
    for (std::size_t i = from; i < to; ++i) {
        const arrival& a = arrivals[i];
        const std::size_t s = route(a.event.key);
        (void)stages[s]->submit(a.event, a.raw, a.line, [&](const released_event& r) {
            out[s].emplace_back(r.line, r.time, r.event.key);
        });
    }
    if (flush) {
        for (std::size_t s = 0; s < stages.size(); ++s) {
            stages[s]->flush(
                [&](const released_event& r) { out[s].emplace_back(r.line, r.time, r.event.key); });
        }
    }
    return out;
}

const auto whole_stage = [](const partition_key&) { return std::size_t{0}; };

class EventOrderSplit : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(EventOrderSplit, SplitThenMergeReleasesAsTheOriginal) {
    const auto arrivals = make_arrivals(GetParam(), 3000);
    for (const std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{1400}}) {
        for (const std::size_t parts : {1U, 2U, 5U}) {
            SCOPED_TRACE("cut " + std::to_string(cut) + ", " + std::to_string(parts) + " parts");
            event_order original{20s, out_of_order_action::adjust};
            (void)feed({&original}, arrivals, 0, cut, whole_stage, false);
            event_order copy = original;
            std::vector<event_order> split = std::move(copy).split(parts, part_of(parts));
            std::size_t held = 0;
            std::vector<const event_order*> pointers;
            for (const event_order& part : split) {
                held += part.held();
                pointers.push_back(&part);
            }
            EXPECT_EQ(held, original.held());
            event_order merged = event_order::merge(pointers);
            EXPECT_EQ(merged.held(), original.held());
            EXPECT_EQ(feed({&merged}, arrivals, cut, arrivals.size(), whole_stage, true),
                      feed({&original}, arrivals, cut, arrivals.size(), whole_stage, true));
        }
    }
}

TEST_P(EventOrderSplit, EachPartReleasesItsKeysAsTheWhole) {
    const auto arrivals = make_arrivals(GetParam(), 3000);
    const std::size_t parts = 3;
    event_order original{20s, out_of_order_action::drop};
    (void)feed({&original}, arrivals, 0, 1000, whole_stage, false);
    event_order copy = original;
    std::vector<event_order> split = std::move(copy).split(parts, part_of(parts));
    // Before the flush (which sorts all keys together) each part releases exactly the whole's
    // releases of its keys, in the same order.
    const auto whole = feed({&original}, arrivals, 1000, arrivals.size(), whole_stage, false);
    const auto sharded = feed({&split[0], &split[1], &split[2]}, arrivals, 1000, arrivals.size(),
                              part_of(parts), false);
    for (std::size_t s = 0; s < parts; ++s) {
        std::vector<release> expected;
        for (const release& r : whole[0]) {
            if (part_of(parts)(std::get<2>(r)) == s) {
                expected.push_back(r);
            }
        }
        EXPECT_EQ(sharded[s], expected) << "part " << s;
    }
}

INSTANTIATE_TEST_SUITE_P(Seeds, EventOrderSplit, ::testing::Values(1U, 2U, 3U));

TEST(EventOrderSplit, RefusesBadPartsAndSharedKeys) {
    const auto arrivals = make_arrivals(7, 50);
    event_order stage{20s, out_of_order_action::adjust};
    (void)feed({&stage}, arrivals, 0, arrivals.size(), whole_stage, false);
    event_order copy = stage;
    EXPECT_THROW((void)std::move(copy).split(2, [](const partition_key&) { return 2U; }),
                 std::invalid_argument);
    const event_order* twice[] = {&stage, &stage};
    EXPECT_THROW((void)event_order::merge(twice), std::invalid_argument);
    const event_order other{5s, out_of_order_action::adjust};
    const event_order* mixed[] = {&stage, &other};
    EXPECT_THROW((void)event_order::merge(mixed), std::invalid_argument);
    EXPECT_THROW((void)event_order::merge({}), std::invalid_argument);
}

}  // namespace
}  // namespace streamcp::pipeline
