// SPDX-License-Identifier: MIT
#include "detect_settings.hpp"

#include <optional>
#include <stdexcept>
#include <string>

#include <streamcp/model/robust_change_point_detector.hpp>

#include "duration_parse.hpp"
#include "timestamp_parse.hpp"

namespace streamcp::pipeline {
namespace {

detector_kind parse_detector(const std::string& name) {
    if (name == "asa") {
        return detector_kind::asa;
    }
    if (name == "robust") {
        return detector_kind::robust;
    }
    throw std::invalid_argument("detector (--detector, query.detector) '" + name +
                                "' is unknown: allowed asa, robust");
}

kernel_path parse_kernel(const std::string& name) {
    if (name == "exact") {
        return kernel_path::exact;
    }
    if (name == "fast") {
        return kernel_path::fast;
    }
    throw std::invalid_argument("kernel (--kernel, query.kernel) '" + name +
                                "' is unknown: allowed exact, fast");
}

/// ASA's function has no defaults: confidence and history are its arguments.
template <class T>
T required_for_asa(const std::optional<T>& setting, const char* names, const char* allowed) {
    if (!setting) {
        throw std::invalid_argument(std::string(names) + " is required with detector asa (" +
                                    allowed + ")");
    }
    return *setting;
}

}  // namespace

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
    query.detector = parse_detector(settings.detector);
    if (query.detector == detector_kind::robust) {
        const robust_change_point_options recommended;
        query.confidence = settings.confidence.value_or(recommended.confidence);
        query.history = settings.history.value_or(recommended.history);
    } else {
        query.confidence =
            required_for_asa(settings.confidence, "confidence (--confidence, query.confidence)",
                             "a number in [1, 100]");
        query.history = required_for_asa(settings.history, "history (--history, query.history)",
                                         "an integer >= 1");
    }
    query.duration = parse_duration(settings.duration);
    query.fractional_confidence = settings.fractional_confidence;
    query.out_of_order_tolerance = parse_duration(settings.out_of_order_tolerance);
    query.out_of_order = parse_out_of_order_action(settings.out_of_order_action);
    query.idle_ttl = parse_duration(settings.idle_ttl);
    query.max_partitions = settings.max_partitions;
    query.shape.only_anomalies = settings.only_anomalies;
    query.shape.project = settings.project;
    query.threads = settings.threads;
    query.kernel = parse_kernel(settings.kernel);
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
