// SPDX-License-Identifier: MIT
#include "score_watch.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <variant>

namespace streamcp::pipeline {
namespace {

constexpr double churn_margin = 1.25;
constexpr std::size_t not_found = std::numeric_limits<std::size_t>::max();

}  // namespace

std::string key_text(const partition_key& key) {
    return std::visit(
        [](const auto& k) -> std::string {
            using type = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<type, std::monostate>) {
                return "null";
            } else if constexpr (std::is_same_v<type, std::int64_t>) {
                return std::to_string(k);
            } else {
                return k;
            }
        },
        key);
}

std::size_t score_watch::find(const partition_key& key) const {
    for (std::size_t i = 0; i < used_; ++i) {
        if (slots_[i].key == key) {
            return i;
        }
    }
    return not_found;
}

void score_watch::observe(const partition_key& key, std::int64_t time_ticks, double value,
                          double score, bool anomaly) {
    const double ratio = score / threshold_;
    std::size_t index = find(key);
    const bool joins = index == not_found && (used_ < watched_keys || ratio > admit_ratio_);
    if (index == not_found && !joins && !anomaly) {
        return;  // the common case at many keys: nothing to record
    }
    const score_point point{.time_ticks = time_ticks, .value = value, .score = score};
    const std::lock_guard lock(mutex_);
    if (anomaly) {
        anomaly_entry& entry = anomalies_[anomaly_count_ % anomalies_kept];
        entry.point = point;
        entry.key = key_text(key);
        ++anomaly_count_;
    }
    if (joins) {
        index = admit(key, ratio);
    }
    if (index == not_found) {
        return;
    }
    append(slots_[index], point, ratio);
    update_admit_ratio();
}

void score_watch::append(slot& s, const score_point& point, double ratio) const noexcept {
    const bool drops_peak = s.size == points_per_key && s.ring[s.next].score / threshold_ >= s.peak;
    s.ring[s.next] = point;
    s.next = (s.next + 1) % points_per_key;
    s.size = std::min(s.size + 1, points_per_key);
    if (drops_peak) {  // rare: the point leaving was the highest, so look at them all
        s.peak = 0;
        for (std::size_t i = 0; i < s.size; ++i) {
            s.peak = std::max(s.peak, s.ring[i].score / threshold_);
        }
    } else {
        s.peak = std::max(s.peak, ratio);
    }
}

std::size_t score_watch::admit(const partition_key& key, double ratio) {
    std::size_t index = used_;
    if (used_ < watched_keys) {
        ++used_;
    } else {
        index = 0;
        for (std::size_t i = 1; i < used_; ++i) {
            if (slots_[i].peak < slots_[index].peak) {
                index = i;
            }
        }
    }
    slots_[index] = slot{};
    slots_[index].key = key;
    slots_[index].peak = ratio;
    return index;
}

void score_watch::update_admit_ratio() noexcept {
    if (used_ < watched_keys) {
        return;
    }
    double lowest = slots_[0].peak;
    for (std::size_t i = 1; i < used_; ++i) {
        lowest = std::min(lowest, slots_[i].peak);
    }
    admit_ratio_ = std::max(lowest, 0.0) * churn_margin;
}

void score_watch::copy_to(std::vector<watched_key>& keys,
                          std::vector<anomaly_entry>& anomalies) const {
    const std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < used_; ++i) {
        const slot& s = slots_[i];
        watched_key out{.key = key_text(s.key), .ratio = s.peak, .points = {}};
        out.points.reserve(s.size);
        const std::size_t first = (s.next + points_per_key - s.size) % points_per_key;
        for (std::size_t j = 0; j < s.size; ++j) {
            out.points.push_back(s.ring[(first + j) % points_per_key]);
        }
        keys.push_back(std::move(out));
    }
    const std::size_t kept = std::min(anomaly_count_, anomalies_kept);
    for (std::size_t j = anomaly_count_ - kept; j < anomaly_count_; ++j) {
        anomalies.push_back(anomalies_[j % anomalies_kept]);
    }
}

}  // namespace streamcp::pipeline
