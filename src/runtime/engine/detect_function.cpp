// SPDX-License-Identifier: MIT
#include "detect_function.hpp"

#include <stdexcept>
#include <string>

#include "json_text.hpp"

namespace streamcp::pipeline {
namespace {

using asa_function = anomaly_detection_change_point<partition_key, partition_key_hash>;
using robust_function = robust_change_point_function<partition_key, partition_key_hash>;

/// The recommended detector at its defaults but the query's confidence and history, checked
/// here so that the errors name the query's settings rather than the model's.
robust_change_point_options robust_options(const detect_query& query) {
    robust_change_point_options options;
    if (!(query.confidence > 0 && query.confidence < 100)) {
        std::string message = "confidence = ";
        append_json_number(message, query.confidence);
        throw std::invalid_argument(message +
                                    " is out of range for detector robust: allowed (0, 100)");
    }
    if (query.history < options.min_history) {
        throw std::invalid_argument("history = " + std::to_string(query.history) +
                                    " is out of range for detector robust: allowed at least " +
                                    std::to_string(options.min_history) +
                                    " (the values it needs before it bets)");
    }
    if (query.fractional_confidence) {
        throw std::invalid_argument(
            "fractional confidence applies to detector asa only (robust keeps its confidence "
            "as given)");
    }
    if (query.idle_ttl.count() != 0) {
        throw std::invalid_argument("idle TTL (--idle-ttl) applies to detector asa only");
    }
    if (query.kernel != kernel_path::exact) {
        throw std::invalid_argument(
            "kernel fast applies to detector asa only (robust has one kernel of its own)");
    }
    options.confidence = query.confidence;
    options.history = query.history;
    return options;
}

std::variant<asa_function, robust_function> make_function(const detect_query& query) {
    if (query.detector == detector_kind::robust) {
        return robust_function{robust_options(query), query.duration};
    }
    return asa_function{query.confidence, query.history, query.duration,
                        function_options{.fractional_confidence = query.fractional_confidence,
                                         .idle_ttl = query.idle_ttl,
                                         .kernel = query.kernel}};
}

}  // namespace

detect_function::detect_function(const detect_query& query) : function_(make_function(query)) {}

std::vector<std::byte> detect_function::snapshot() const {
    return std::visit([](const auto& f) { return f.snapshot(); }, function_);
}

void detect_function::track_evictions() noexcept {
    if (auto* asa = std::get_if<asa_function>(&function_)) {
        asa->track_evictions();
    }
}

std::vector<partition_key> detect_function::take_evicted() noexcept {
    auto* asa = std::get_if<asa_function>(&function_);
    return asa != nullptr ? asa->take_evicted() : std::vector<partition_key>{};
}

std::vector<std::byte> detect_function::snapshot_clocks() const {
    return std::visit([](const auto& f) { return f.snapshot_clocks(); }, function_);
}

std::vector<std::byte> detect_function::add_partitions(std::span<const std::byte> snapshot,
                                                       std::span<const std::byte> records,
                                                       std::size_t count) const {
    return std::visit([&](const auto& f) { return f.add_partitions(snapshot, records, count); },
                      function_);
}

void detect_function::restore(std::span<const std::byte> bytes) {
    std::visit([&](auto& f) { f.restore(bytes); }, function_);
}

std::vector<std::vector<std::byte>> detect_function::split_snapshot(
    std::span<const std::byte> snapshot, std::size_t parts,
    const std::function<std::size_t(const partition_key&)>& part_of) const {
    return std::visit([&](const auto& f) { return f.split_snapshot(snapshot, parts, part_of); },
                      function_);
}

std::vector<std::byte> detect_function::merge_snapshots(
    std::span<const std::vector<std::byte>> snapshots) const {
    return std::visit([&](const auto& f) { return f.merge_snapshots(snapshots); }, function_);
}

}  // namespace streamcp::pipeline
