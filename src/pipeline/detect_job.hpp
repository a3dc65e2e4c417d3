// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <streamcp/function/anomaly_detection_change_point.hpp>

#include "pipeline/archive_sink.hpp"
#include "pipeline/event_decoder.hpp"
#include "pipeline/event_order.hpp"
#include "pipeline/line_sink.hpp"
#include "pipeline/output_encoder.hpp"

namespace streamcp::pipeline {

/// The seed's query, generalised: AnomalyDetection_ChangePoint(value, confidence, history)
/// OVER (PARTITION BY key LIMIT DURATION(duration) WHEN cond) over TIMESTAMP BY timestamp,
/// with ASA's out-of-order policy, an optional WHERE IsAnomaly = 1 and an optional projection.
struct detect_query {
    event_fields fields;
    double confidence = 0;
    std::int64_t history = 0;
    std::chrono::nanoseconds duration{0};
    bool fractional_confidence = false;
    std::chrono::nanoseconds out_of_order_tolerance{0};
    out_of_order_action out_of_order = out_of_order_action::adjust;
    output_shape shape;

    /// Every setting in one line: a checkpoint made under another query is refused.
    [[nodiscard]] std::string fingerprint() const;
};

/// What the run did. At the end, read = written + filtered + rejected.
struct detect_counts {
    std::uint64_t read = 0;
    std::uint64_t written = 0;
    std::uint64_t filtered = 0;  ///< left out by only-anomalies
    std::uint64_t rejected = 0;
    std::uint64_t anomalies = 0;
};

/// decode → order → evaluate → project → write, one input line at a time. Bad events go to
/// the rejects sink as `{"reason", "detail", "line", "raw"}` and never stop the run.
class detect_job {
  public:
    /// Throws `std::invalid_argument` when the query's parameters are out of range.
    detect_job(const detect_query& query, line_sink& output, line_sink* rejects);

    /// Throws `std::invalid_argument` naming the argument when `query` cannot run.
    static void validate(const detect_query& query);

    /// Archives every input line that has a usable timestamp (decoded, or rejected for its
    /// value or key) to `archive` under `partition`, before ordering. Null: no archive.
    void set_archive(archive_sink* archive, std::uint32_t partition = 0) noexcept {
        archive_ = archive;
        archive_partition_ = partition;
    }

    /// One input line (no newline; `simdjson::SIMDJSON_PADDING` readable bytes after it) and
    /// its 1-based line number.
    void process(std::string_view line, std::uint64_t line_number);

    /// Releases the events the ordering stage still holds: the end of the input.
    void finish();

    [[nodiscard]] const detect_counts& counts() const noexcept { return counts_; }
    /// Events read but held back by the ordering stage.
    [[nodiscard]] std::size_t held() const noexcept { return order_.held(); }

    /// Every partition's model, the ordering stage and the counts, for a checkpoint.
    [[nodiscard]] std::vector<std::byte> save_state() const;
    /// Replaces the state with `save_state`'s. Throws `snapshot_error` when it does not fit.
    void load_state(std::span<const std::byte> bytes);

  private:
    void evaluate(const released_event& event);
    void write_reject(const reject_details& why, std::string_view raw, std::uint64_t line);

    detect_query query_;
    line_sink& output_;
    line_sink* rejects_;
    archive_sink* archive_ = nullptr;
    std::uint32_t archive_partition_ = 0;
    event_decoder decoder_;
    event_order order_;
    anomaly_detection_change_point<partition_key> function_;
    output_encoder encoder_;
    decoded_event event_;
    std::string line_buffer_;
    detect_counts counts_;
};

}  // namespace streamcp::pipeline
