// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "streamcp/config.hpp"
#include "streamcp/function/partitioned_function.hpp"
#include "streamcp/model/spike_and_dip_detector.hpp"

STREAMCP_BEGIN_NAMESPACE

/// ASA's `AnomalyDetection_SpikeAndDip(value, confidence, history, mode)
/// OVER (PARTITION BY key LIMIT DURATION(duration) WHEN cond)` (semantics.md#spike-and-dip): one
/// ML.NET spike model per key; `Score` is the p-value. Arguments and rules as for
/// `anomaly_detection_change_point`.
template <class Key, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>>
class anomaly_detection_spike_and_dip
    : public partitioned_function<spike_and_dip_detector, Key, Hash, KeyEqual> {
  public:
    anomaly_detection_spike_and_dip(double confidence, std::int64_t history, spike_mode mode,
                                    std::chrono::nanoseconds duration,
                                    const function_options& options = {})
        : partitioned_function<spike_and_dip_detector, Key, Hash, KeyEqual>(
              confidence,
              spike_and_dip_options{.confidence = confidence, .history = history, .mode = mode},
              duration, options, snapshot_kind::spike_and_dip_function) {}
};

STREAMCP_END_NAMESPACE
