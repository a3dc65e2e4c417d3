// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
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
#include "pipeline/score_observer.hpp"

namespace streamcp::pipeline {

/// The most threads `detect_query::threads` allows.
inline constexpr unsigned max_detect_threads = 64;

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
    /// Threads scoring disjoint sets of partition keys (1: all on the caller's thread). How
    /// the query runs, not what it computes: outputs, counts and checkpoints are the same for
    /// every value, so it is not part of the fingerprint.
    unsigned threads = 1;

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
class sharded_detect;

class detect_job {
  public:
    /// Throws `std::invalid_argument` when the query's parameters are out of range. With
    /// `query.threads` above 1 the work goes to a `sharded_detect`.
    detect_job(const detect_query& query, line_sink& output, line_sink* rejects);
    ~detect_job();

    /// Throws `std::invalid_argument` naming the argument when `query` cannot run.
    static void validate(const detect_query& query);

    /// Archives every input line that has a usable timestamp (decoded, or rejected for its
    /// value or key) to `archive` under `partition`, before ordering. Null: no archive.
    void set_archive(archive_sink* archive, std::uint32_t partition = 0) noexcept;
    /// Shows every scored event to `observer` (the metrics); null: none.
    void set_score_observer(score_observer* observer) noexcept;

    /// One input line (no newline; `simdjson::SIMDJSON_PADDING` readable bytes after it) and
    /// its 1-based line number.
    void process(std::string_view line, std::uint64_t line_number);

    /// The first half of `process` (one thread only): counts and archives the line, and
    /// rejects it when it does not decode. Returns the event for `accept` (valid until the next
    /// call), or null.
    const decoded_event* decode(std::string_view line, std::uint64_t line_number);
    /// The second half of `process` (one thread only): orders, scores and writes an event
    /// `decode` returned, or a copy of it. `line` need not be padded.
    void accept(const decoded_event& event, std::string_view line, std::uint64_t line_number);

    /// With threads: writes every line read so far that the ordering stage released, waiting
    /// for the workers; with one thread there is nothing to do. For a source that pauses.
    void settle();

    /// Releases the events the ordering stage still holds: the end of the input.
    void finish();
    /// As `finish`, calling `after_each(time, line)` once each released event is written.
    void finish(const std::function<void(event_time, std::uint64_t)>& after_each);

    [[nodiscard]] const detect_counts& counts() const noexcept;
    /// Events read but held back by the ordering stage (with threads: as of the last batch
    /// written).
    [[nodiscard]] std::size_t held() const noexcept;

    /// Every partition's model, the ordering stage and the counts, for a checkpoint.
    [[nodiscard]] std::vector<std::byte> save_state() const;
    /// Replaces the state with `save_state`'s. Throws `snapshot_error` when it does not fit.
    /// A state saved with any thread count loads with any other.
    void load_state(std::span<const std::byte> bytes);

  private:
    void evaluate(const released_event& event);
    void write_pending();
    void write_reject(const reject_details& why, std::string_view raw, std::uint64_t line);

    detect_query query_;
    line_sink& output_;
    line_sink* rejects_;
    archive_sink* archive_ = nullptr;
    score_observer* observer_ = nullptr;
    std::uint32_t archive_partition_ = 0;
    event_decoder decoder_;
    event_order order_;
    anomaly_detection_change_point<partition_key> function_;
    output_encoder encoder_;
    decoded_event event_;
    std::string line_buffer_;
    detect_counts counts_;
    /// Output and rejects a threaded run had computed but not written when it saved its state:
    /// written first after a restore (the checkpoint's sink offsets stop before them).
    std::string pending_output_;
    std::string pending_rejects_;
    bool has_pending_ = false;
    std::unique_ptr<sharded_detect> sharded_;
};

}  // namespace streamcp::pipeline
