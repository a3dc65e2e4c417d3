// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "event_decoder.hpp"

namespace streamcp::pipeline {

/// One scored event, as the status page draws it.
struct score_point {
    std::int64_t time_ticks = 0;  ///< event time, 100 ns ticks since the Unix epoch
    double value = 0;
    double score = 0;
};

struct anomaly_entry {
    score_point point;
    std::string key;
};

struct watched_key {
    std::string key;
    double ratio = 0;                 ///< the highest score ÷ threshold among `points`
    std::vector<score_point> points;  ///< oldest first
};

/// The partition key as the status page shows it: strings as they are, integers in decimal,
/// the NULL key as `null`.
[[nodiscard]] std::string key_text(const partition_key& key);

/// What one scoring thread saw that the status page shows: its last anomalies, and the few
/// keys whose recent scores peak highest relative to the threshold, with those points.
/// History is kept only for those keys, so the work per event and per page stays bounded
/// however many keys there are. `observe` runs on the owning thread only; `copy_*` on any.
class score_watch {
  public:
    static constexpr std::size_t watched_keys = 4;
    static constexpr std::size_t points_per_key = 120;
    static constexpr std::size_t anomalies_kept = 20;

    explicit score_watch(double threshold) noexcept : threshold_(threshold) {}

    void observe(const partition_key& key, std::int64_t time_ticks, double value, double score,
                 bool anomaly);

    /// Appends this thread's watched keys and anomalies (oldest first) to the outputs.
    void copy_to(std::vector<watched_key>& keys, std::vector<anomaly_entry>& anomalies) const;

  private:
    struct slot {
        partition_key key;
        double peak = 0;  ///< the highest ratio in `ring`
        std::array<score_point, points_per_key> ring{};
        std::size_t size = 0;
        std::size_t next = 0;
    };

    [[nodiscard]] std::size_t find(const partition_key& key) const;
    std::size_t admit(const partition_key& key, double ratio);
    void update_admit_ratio() noexcept;
    void append(slot& s, const score_point& point, double ratio) const noexcept;

    double threshold_;
    mutable std::mutex mutex_;  // the owner takes it only for watched keys and anomalies
    std::array<slot, watched_keys> slots_{};
    std::size_t used_ = 0;
    /// A key joins a full watch list only when its ratio beats the lowest one by a margin, so
    /// keys near each other do not churn the list.
    double admit_ratio_ = 0;
    std::array<anomaly_entry, anomalies_kept> anomalies_{};
    std::size_t anomaly_count_ = 0;
};

}  // namespace streamcp::pipeline
