// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "streamcp/config.hpp"
#include "streamcp/function/partitioned_function.hpp"
#include "streamcp/model/change_point_detector.hpp"

STREAMCP_BEGIN_NAMESPACE

/// ASA's `AnomalyDetection_ChangePoint(value, confidence, history)
/// OVER (PARTITION BY key LIMIT DURATION(duration) WHEN cond)` (semantics.md#asa-mapping): one
/// ML.NET change-point model per key with the power martingale, eps 0.1.
///
/// `confidence` in [1, 100] (truncated to an integer unless `fractional_confidence`),
/// `history` >= 1 events, `duration` in (0, 7 days]. Use `std::monostate` as the key when
/// the query has no PARTITION BY.
///
/// Example:
///
///     streamcp::anomaly_detection_change_point<std::string> f{80, 12, std::chrono::minutes{30}};
///     if (auto r = f.evaluate("dev-1", t, 93.95); r && r->is_anomaly) { ... }
template <class Key, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>>
class anomaly_detection_change_point
    : public partitioned_function<change_point_detector, Key, Hash, KeyEqual> {
  public:
    anomaly_detection_change_point(double confidence, std::int64_t history,
                                   std::chrono::nanoseconds duration,
                                   const function_options& options = {})
        : partitioned_function<change_point_detector, Key, Hash, KeyEqual>(
              confidence,
              change_point_options{.confidence = confidence,
                                   .history = history,
                                   .martingale = martingale_type::power,
                                   .epsilon = 0.1},
              duration, options, snapshot_kind::change_point_function) {}
};

STREAMCP_END_NAMESPACE
