// SPDX-License-Identifier: MIT
#include "detect_job.hpp"

#include <stdexcept>

#include "detect_function.hpp"
#include "json_text.hpp"
#include "sharded_detect.hpp"
#include "single_thread_detect.hpp"

namespace streamcp::pipeline {
namespace {

std::string duration_text(std::chrono::nanoseconds d) { return std::to_string(d.count()) + "ns"; }

}  // namespace

std::string detect_query::fingerprint() const {
    std::string out = "value=" + fields.value.text + ";timestamp=" + fields.timestamp.text +
                      ";format=" + std::to_string(static_cast<int>(fields.time_format)) +
                      ";partition=" + fields.partition.text + ";when=" + fields.when.text;
    out += ";confidence=";
    append_json_number(out, confidence);
    out += ";history=" + std::to_string(history) + ";duration=" + duration_text(duration) +
           ";fractional=" + (fractional_confidence ? "1" : "0") +
           ";tolerance=" + duration_text(out_of_order_tolerance) +
           ";action=" + (out_of_order == out_of_order_action::drop ? "drop" : "adjust") +
           ";project=" + (shape.project ? "1" : "0") +
           ";only_anomalies=" + (shape.only_anomalies ? "1" : "0");
    if (detector == detector_kind::robust) {
        out += ";detector=robust";  // absent for asa: checkpoints from before the choice resume
    }
    // Absent when off, for the same reason.
    if (idle_ttl.count() != 0) {
        out += ";idle_ttl=" + duration_text(idle_ttl);
    }
    if (max_partitions != 0) {
        out += ";max_partitions=" + std::to_string(max_partitions);
    }
    return out;
}

detect_counts& detect_counts::operator+=(const detect_counts& other) noexcept {
    read += other.read;
    written += other.written;
    filtered += other.filtered;
    rejected += other.rejected;
    anomalies += other.anomalies;
    return *this;
}

void detect_engine::validate(const detect_query& query) {
    if (query.history > max_query_history) {
        throw std::invalid_argument(
            "history = " + std::to_string(query.history) + " is out of range: allowed [1, " +
            std::to_string(max_query_history) +
            "] (an event after a gap imputes up to history steps of history terms each; "
            "docs/semantics.md#deviations)");
    }
    (void)detect_function{query};
    (void)event_order{query.out_of_order_tolerance, query.out_of_order};
    if (query.fields.value.empty() || query.fields.timestamp.empty()) {
        throw std::invalid_argument("the value and timestamp fields must be named");
    }
    if (query.threads < 1 || query.threads > max_detect_threads) {
        throw std::invalid_argument("threads " + std::to_string(query.threads) +
                                    " is out of range: allowed 1 to " +
                                    std::to_string(max_detect_threads));
    }
}

std::unique_ptr<detect_engine> make_detect_engine(const detect_query& query, line_sink& output,
                                                  line_sink* rejects) {
    detect_engine::validate(query);
    // The idle TTL compares a key with the newest event time over all keys
    // (semantics.md#partitions), which no shard sees alone: it runs on one thread.
    if (query.threads == 1 || query.idle_ttl.count() != 0) {
        return std::make_unique<single_thread_detect>(query, output, rejects);
    }
    return std::make_unique<sharded_detect>(query, output, rejects);
}

}  // namespace streamcp::pipeline
