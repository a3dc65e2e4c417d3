// SPDX-License-Identifier: MIT
// The compact partition store, whose slots grow with what a partition holds (moving up size
// classes, moved when others leave), against one plain `change_point_detector` per key fed the
// same steps (semantics.md#imputation, #partitions): the same records bit for bit, through
// imputed gaps, idle-TTL evictions and snapshot restores at random moments.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include <streamcp/streamcp.hpp>

namespace {

using namespace std::chrono_literals;
using function = streamcp::anomaly_detection_change_point<std::int64_t>;

/// ASA's function written out per key with the model the store's slots replace.
class reference_function {
  public:
    reference_function(std::int64_t history, std::chrono::nanoseconds duration,
                       std::chrono::nanoseconds idle_ttl)
        : options_{.confidence = 90, .history = history},
          interval_(streamcp::to_dotnet_ticks(duration) / history),
          ttl_(streamcp::to_dotnet_ticks(idle_ttl)) {}

    streamcp::record evaluate(std::int64_t key, streamcp::event_time time, double value) {
        const streamcp::dotnet_ticks ticks = streamcp::to_dotnet_ticks(time);
        newest_ = std::max(newest_, ticks);
        auto found = partitions_.find(key);
        if (found != partitions_.end() && ttl_ > 0 && newest_ - found->second.last > ttl_) {
            partitions_.erase(found);
            found = partitions_.end();
        }
        const auto x = static_cast<float>(value);
        if (found == partitions_.end()) {
            auto& p = partitions_
                          .emplace(key, partition{streamcp::change_point_detector{options_}, ticks})
                          .first->second;
            return streamcp::to_record(p.model.step(x));
        }
        partition& p = found->second;
        const streamcp::dotnet_ticks missing = std::clamp<streamcp::dotnet_ticks>(
            ticks / interval_ - p.last / interval_ - 1, 0, options_.history);
        for (streamcp::dotnet_ticks i = 0; i < missing; ++i) {
            (void)p.model.step(x);
        }
        p.last = ticks;
        return streamcp::to_record(p.model.step(x));
    }

  private:
    struct partition {
        streamcp::change_point_detector model;
        streamcp::dotnet_ticks last;
    };
    streamcp::change_point_options options_;
    streamcp::dotnet_ticks interval_;
    streamcp::dotnet_ticks ttl_;
    streamcp::dotnet_ticks newest_ = 0;
    std::map<std::int64_t, partition> partitions_;
};

TEST(PartitionStore, GrowingSlotsScoreAsOneModelPerKey) {
    std::mt19937_64 random{13};
    for (const std::int64_t history : {1, 2, 3, 4, 5, 7, 12, 40, 301}) {
        for (const auto ttl : {std::chrono::nanoseconds{0}, std::chrono::nanoseconds{20min}}) {
            SCOPED_TRACE("history " + std::to_string(history) + ", idle TTL " +
                         std::to_string(ttl.count()) + " ns");
            const auto duration = 10min;
            const streamcp::function_options options{.idle_ttl = ttl};
            auto f = std::make_unique<function>(90, history, duration, options);
            reference_function reference{history, duration, ttl};
            std::map<std::int64_t, streamcp::event_time> last;
            streamcp::event_time now{std::chrono::seconds{1'574'000'000}};
            for (int event = 0; event < 4000; ++event) {
                // Keys of every fill: a few busy, many rare; some gaps long enough to impute
                // and, with the TTL, to evict.
                const std::int64_t key = random() % 4 == 0
                                             ? static_cast<std::int64_t>(random() % 3)
                                             : static_cast<std::int64_t>(random() % 60);
                now += std::chrono::seconds{random() % 50 == 0 ? 1800 : random() % 20};
                const double value = std::uniform_real_distribution<double>{20, 25}(random) +
                                     (random() % 300 == 0 ? 40.0 : 0.0);
                const auto got = f->evaluate(key, now, value);
                ASSERT_TRUE(got.has_value());
                ASSERT_EQ(*got, reference.evaluate(key, now, value)) << "event " << event;
                if (random() % 500 == 0) {  // snapshot and restore into a fresh function
                    const auto bytes = f->snapshot();
                    f = std::make_unique<function>(90, history, duration, options);
                    f->restore(bytes);
                    ASSERT_EQ(f->snapshot(), bytes);
                }
            }
        }
    }
}

}  // namespace
