// SPDX-License-Identifier: MIT
#include "detect_settings.hpp"

#include <stdexcept>

#include "duration_parse.hpp"
#include "timestamp_parse.hpp"

namespace streamcp::pipeline {

detect_query build_query(const query_settings& settings) {
    detect_query query;
    query.fields.value = field_path{settings.value};
    query.fields.timestamp = field_path{settings.timestamp};
    query.fields.time_format = parse_timestamp_format(settings.timestamp_format);
    if (!settings.partition_by.empty()) {
        query.fields.partition = field_path{settings.partition_by};
    }
    if (!settings.when.empty()) {
        query.fields.when = field_path{settings.when};
    }
    query.confidence = settings.confidence;
    query.history = settings.history;
    query.duration = parse_duration(settings.duration);
    query.fractional_confidence = settings.fractional_confidence;
    query.out_of_order_tolerance = parse_duration(settings.out_of_order_tolerance);
    query.out_of_order = parse_out_of_order_action(settings.out_of_order_action);
    query.shape.only_anomalies = settings.only_anomalies;
    query.shape.project = settings.project;
    query.threads = settings.threads;
    return query;
}

checkpoint_policy build_checkpoint(const checkpoint_settings& settings) {
    if (settings.every < 1) {
        throw std::invalid_argument("checkpoint every (--checkpoint-every, checkpoint.every) " +
                                    std::to_string(settings.every) +
                                    " is out of range: allowed at least 1 event");
    }
    return {.path = settings.path,
            .every_events = settings.every,
            .interval = parse_duration(settings.interval)};
}

}  // namespace streamcp::pipeline
