// SPDX-License-Identifier: MIT
// evaluate(cursor, ...): a caller that remembers each key's partition gets exactly what plain
// evaluate gives, whatever moved the partitions meanwhile (the idle TTL, a restore, a copy).
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/streamcp.hpp"

#include "function_events.hpp"

namespace {

using namespace std::chrono;  // NOLINT: durations read better unqualified
using streamcp::anomaly_detection_change_point;
using streamcp::function_options;
using streamcp::partition_cursor;
using streamcp::record;
using streamcp::robust_change_point_function;
using streamcp_test::random_events;

using cp_function = anomaly_detection_change_point<std::string>;

/// Scores `events` with `plain.evaluate` and with `cursors.evaluate(cursor of the key, ...)`;
/// every `restore_every` events (0: never) the cursor function is restored from its own snapshot,
/// which moves every partition.
template <class Function>
void expect_cursors_change_nothing(Function plain, Function cursors,
                                   const std::vector<streamcp_test::event>& events,
                                   std::size_t restore_every) {
    std::map<std::string, partition_cursor> remembered;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& e = events[i];
        if (restore_every != 0 && i % restore_every == restore_every - 1) {
            cursors.restore(cursors.snapshot());
        }
        const std::optional<record> expected = plain.evaluate(e.key, e.time, e.value, e.when);
        const std::optional<record> got =
            cursors.evaluate(remembered[e.key], e.key, e.time, e.value, e.when);
        ASSERT_EQ(expected, got) << "event " << i << " of key " << e.key;
    }
    EXPECT_EQ(plain.snapshot(), cursors.snapshot());
}

TEST(PartitionCursor, ScoresAsEvaluateDoes) {
    const auto events = random_events(5, 3000, 7);
    expect_cursors_change_nothing(cp_function{85, 6, minutes{5}}, cp_function{85, 6, minutes{5}},
                                  events, 0);
}

TEST(PartitionCursor, AnIdleTtlThatMovesPartitionsMakesCursorsLookAgain) {
    // The TTL erases partitions (the last one takes the freed index) both for the key it meets
    // and in its sweep: remembered indexes then point at other keys' partitions.
    const auto events = random_events(11, 4000, 9);
    const function_options ttl{.idle_ttl = minutes{20}};
    expect_cursors_change_nothing(cp_function{90, 5, minutes{10}, ttl},
                                  cp_function{90, 5, minutes{10}, ttl}, events, 0);
}

TEST(PartitionCursor, ARestoreMakesCursorsLookAgain) {
    const auto events = random_events(17, 3000, 6);
    expect_cursors_change_nothing(cp_function{85, 6, minutes{5}}, cp_function{85, 6, minutes{5}},
                                  events, 97);
}

TEST(PartitionCursor, TheRobustFunctionToo) {
    const auto events = random_events(23, 3000, 5);
    streamcp::robust_change_point_options options;
    options.history = 30;
    using robust = robust_change_point_function<std::string>;
    expect_cursors_change_nothing(robust{options, minutes{5}}, robust{options, minutes{5}}, events,
                                  0);
    expect_cursors_change_nothing(robust{options, minutes{5}}, robust{options, minutes{5}}, events,
                                  101);
}

TEST(PartitionCursor, ACursorOfAnotherFunctionIsLookedUp) {
    cp_function first{85, 5, minutes{5}};
    cp_function second{85, 5, minutes{5}};
    const streamcp::event_time t0 = sys_days{year{2024} / 1 / 1};
    partition_cursor cursor;
    // In `first`, "a" takes index 0; in `second`, "b" does.
    (void)first.evaluate(cursor, "a", t0, 1.0);
    (void)second.evaluate("b", t0, 50.0);
    // Given to `second` with key "a", the cursor (index 0 of `first`) must not reach "b".
    (void)second.evaluate(cursor, "a", t0 + seconds{1}, 2.0);
    ASSERT_NE(second.find("a"), nullptr);
    EXPECT_EQ(second.find("b")->fill(), 1U);
    EXPECT_EQ(second.find("a")->fill(), 1U);
    // The same holds for a function moved from: it starts over with a layout of its own.
    cp_function moved = std::move(first);
    partition_cursor of_c;
    (void)moved.evaluate(of_c, "c", t0, 3.0);  // index 1 in `moved`
    first = cp_function{85, 5, minutes{5}};
    (void)first.evaluate("x", t0, 7.0);
    (void)first.evaluate("d", t0, 9.0);  // index 1 in the new `first`
    (void)first.evaluate(of_c, "c", t0 + seconds{2}, 5.0);
    ASSERT_NE(first.find("c"), nullptr);
    EXPECT_EQ(first.find("d")->fill(), 1U);
    EXPECT_EQ(first.find("c")->fill(), 1U);
}

TEST(PartitionCursor, ErrorsAreEvaluatesAndChangeNothing) {
    cp_function f{85, 5, minutes{5}};
    const streamcp::event_time t0 = sys_days{year{2024} / 1 / 1};
    partition_cursor cursor;
    (void)f.evaluate(cursor, "a", t0 + seconds{10}, 1.0);
    const auto before = f.snapshot();
    EXPECT_THROW((void)f.evaluate(cursor, "a", t0, 2.0), std::invalid_argument);
    EXPECT_THROW((void)f.evaluate(cursor, "a", t0 + seconds{20}, 1e39), std::invalid_argument);
    EXPECT_EQ(before, f.snapshot());
}

}  // namespace
