// SPDX-License-Identifier: MIT
#pragma once
// What the ASA function tests share: readable records in failure messages, and a generator of
// interleaved events over several keys.

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "streamcp/function/event_time.hpp"
#include "streamcp/function/partitioned_function.hpp"

namespace streamcp {
inline namespace v0 {
// Readable failure messages for records (GoogleTest finds PrintTo by argument lookup).
inline void PrintTo(const record& r, std::ostream* os) {
    *os << "{score " << (r.score ? std::to_string(*r.score) : std::string("NULL"))
        << ", is_anomaly " << r.is_anomaly << "}";
}
}  // namespace v0
}  // namespace streamcp

namespace streamcp_test {

struct event {
    std::string key;
    streamcp::event_time time;
    std::optional<double> value;
    bool when;
};

/// Interleaved events of several keys from `start` on, each key's own times nondecreasing, with
/// random gaps (none, bursts, a few missing, longer than the LIMIT DURATION), NULL and NaN
/// values and WHEN false.
inline std::vector<event> random_events(std::uint64_t seed, int n, int keys,
                                        streamcp::event_time start = std::chrono::sys_days{
                                            std::chrono::year{2024} / 1 / 1}) {
    using namespace std::chrono;  // NOLINT: durations read better unqualified
    std::mt19937_64 rng{seed};
    std::normal_distribution<double> noise{10.0, 2.0};
    std::map<std::string, streamcp::event_time> clock;
    std::vector<event> out;
    for (int i = 0; i < n; ++i) {
        const std::string key = "key" + std::to_string(rng() % static_cast<unsigned>(keys));
        auto& t =
            clock.try_emplace(key, start + seconds{static_cast<int>(rng() % 600)}).first->second;
        switch (rng() % 8) {
            case 0:
                t += streamcp::tick_duration{0};
                break;
            case 1:
                t += seconds{static_cast<int>(rng() % 30)};
                break;  // burst
            case 2:
                t += minutes{static_cast<int>(2 + rng() % 5)};
                break;  // a few missing
            case 3:
                t += hours{static_cast<int>(1 + rng() % 3)};
                break;  // longer than D
            default:
                t += floor<streamcp::tick_duration>(minutes{1} +
                                                    nanoseconds{static_cast<long>(rng() % 1000)});
                break;
        }
        std::optional<double> v = noise(rng) + (rng() % 17 == 0 ? 30.0 : 0.0);
        const auto r = rng() % 20;
        if (r == 0) {
            v = std::nullopt;
        } else if (r == 1) {
            v = std::numeric_limits<double>::quiet_NaN();
        }
        out.push_back({key, t, v, rng() % 13 != 0});
    }
    return out;
}

}  // namespace streamcp_test
