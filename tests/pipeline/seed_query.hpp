// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>

#include "detect_job.hpp"

namespace streamcp::pipeline::testing {

/// The seed job's query: AnomalyDetection_ChangePoint(temp, 80, 12) OVER (PARTITION BY device
/// LIMIT DURATION(minute, 30)), timestamps in `datetime`.
inline detect_query seed_query() {
    detect_query query;
    query.fields.value = field_path{"temp"};
    query.fields.timestamp = field_path{"datetime"};
    query.fields.partition = field_path{"device"};
    query.confidence = 80;
    query.history = 12;
    query.duration = std::chrono::minutes{30};
    return query;
}

}  // namespace streamcp::pipeline::testing
