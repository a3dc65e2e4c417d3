// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <streamcp/core/kde_pvalue_fast.hpp>

#include "archive_sink.hpp"
#include "event_decoder.hpp"
#include "event_order.hpp"
#include "line_sink.hpp"
#include "output_encoder.hpp"
#include "partition_row.hpp"
#include "score_observer.hpp"

namespace streamcp::pipeline {

/// The most threads `detect_query::threads` allows.
inline constexpr unsigned max_detect_threads = 64;

/// The largest history a query accepts (the library takes up to 2^31 - 1): an event after a
/// gap imputes up to `history` model steps of `history` kernel terms each, and no shortcut is
/// bit-identical to those steps, so this bounds one event's work (semantics.md#deviations).
inline constexpr std::int64_t max_query_history = 10'000;

/// Which function scores each partition.
enum class detector_kind : std::uint8_t {
    asa,     ///< AnomalyDetection_ChangePoint, ASA's numbers exactly
    robust,  ///< the recommended detector: its Score and IsAnomaly are not ASA's numbers
};

/// The seed's query, generalised: AnomalyDetection_ChangePoint(value, confidence, history)
/// OVER (PARTITION BY key LIMIT DURATION(duration) WHEN cond) over TIMESTAMP BY timestamp,
/// with ASA's out-of-order policy, an optional WHERE IsAnomaly = 1 and an optional projection.
/// With `detector_kind::robust` the recommended detector replaces the function per partition
/// (confidence and history are then its own).
struct detect_query {
    event_fields fields;
    detector_kind detector = detector_kind::asa;
    double confidence = 0;
    std::int64_t history = 0;
    std::chrono::nanoseconds duration{0};
    bool fractional_confidence = false;
    std::chrono::nanoseconds out_of_order_tolerance{0};
    out_of_order_action out_of_order = out_of_order_action::adjust;
    /// Forget a partition whose last event lies more than this behind the newest event time
    /// (the function's event-time eviction; its key then starts afresh). Zero: never, as ASA.
    std::chrono::nanoseconds idle_ttl{0};
    /// At most this many partition keys at once (0: no limit): the events of a key beyond it
    /// are rejected as `partition_limit`. With `idle_ttl`, a key idle that long frees its place.
    std::uint64_t max_partitions = 0;
    output_shape shape;
    /// Threads scoring disjoint sets of partition keys (1: all on the caller's thread). How
    /// the query runs, not what it computes: outputs, counts and checkpoints are the same for
    /// every value, so it is not part of the fingerprint.
    unsigned threads = 1;
    /// The KDE kernel of detector asa's models (`fast`: AVX2, p-values within 1e-14 of
    /// `exact`'s; docs/cli.md#kernels). How the query runs, like `threads`: snapshots and
    /// checkpoints do not record it, so it is not part of the fingerprint.
    kernel_path kernel = kernel_path::exact;

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

    detect_counts& operator+=(const detect_counts& other) noexcept;
};

/// A checkpoint's state in parts, so that a checkpoint costs what changed: the head (counts,
/// clocks, pending lines) and one row per partition key changed since the last save.
struct incremental_state {
    std::vector<std::byte> head;
    std::vector<partition_row> rows;
};

/// Runs one query: decode → order → evaluate → project → write, one input line at a time. Bad
/// events go to the rejects sink as `{"reason", "detail", "line", "raw"}` and never stop the
/// run. `make_detect_engine` picks the implementation from `detect_query::threads`; outputs,
/// rejects, counts and saved states are the same whichever it picks.
class detect_engine {
  public:
    virtual ~detect_engine() = default;
    detect_engine() = default;
    detect_engine(const detect_engine&) = delete;
    detect_engine& operator=(const detect_engine&) = delete;

    /// Throws `std::invalid_argument` naming the argument when `query` cannot run.
    static void validate(const detect_query& query);

    /// Archives every input line that has a usable timestamp (decoded, or rejected for its
    /// value or key) to `archive` under `partition`, before ordering. Null: no archive.
    virtual void set_archive(archive_sink* archive, std::uint32_t partition = 0) noexcept = 0;
    /// Shows every scored event to `observer` (the metrics), on the thread that scored it.
    /// Null: no one. Set before the first line.
    virtual void set_score_observer(score_observer* observer) noexcept = 0;

    /// One input line (no newline; `simdjson::SIMDJSON_PADDING` readable bytes after it) and
    /// its 1-based line number.
    virtual void process(std::string_view line, std::uint64_t line_number) = 0;

    /// Writes every line read so far that the ordering stage released (with threads: waits for
    /// the workers). For a source that pauses.
    virtual void settle() = 0;

    /// Releases the events the ordering stage still holds: the end of the input.
    virtual void finish() = 0;

    /// As of the last line written.
    [[nodiscard]] virtual detect_counts counts() const noexcept = 0;
    /// Events read but held back by the ordering stage, as of the last line written.
    [[nodiscard]] virtual std::size_t held() const noexcept = 0;

    /// Every partition's model, the ordering stage and the counts, for a checkpoint: one
    /// format for every thread count. Output computed but not yet written goes into the state
    /// and is written after it (a checkpoint records the sinks' sizes before saving the state).
    [[nodiscard]] virtual std::vector<std::byte> save_state() = 0;
    /// Replaces the state with `save_state`'s, saved with any thread count. Throws
    /// `snapshot_error` when it does not fit. After `track_changes`, every key counts as
    /// changed: the next `save_changes` writes them all.
    virtual void load_state(std::span<const std::byte> bytes) = 0;

    /// Records which partition keys change from now on, for `save_changes`.
    virtual void track_changes() = 0;
    /// The state as a head and a row for each partition key changed since `track_changes`,
    /// the last `save_changes` or a load; with `save_state`'s bytes the same state.
    [[nodiscard]] virtual incremental_state save_changes() = 0;
    /// `save_changes` with a row for every key the engine holds state for: a checkpoint that
    /// replaces every stored row (`checkpoint_store::rewrite_due`).
    [[nodiscard]] virtual incremental_state save_every_key() = 0;
    /// Replaces the state with a head and every row that `save_changes` calls saved (the
    /// newest row of each key). Throws `snapshot_error` when they do not fit.
    virtual void load_state(std::span<const std::byte> head,
                            std::span<const partition_row> rows) = 0;
};

/// The engine for `query`: on the caller's thread for one thread, sharded by partition key
/// over `query.threads` workers otherwise. Throws `std::invalid_argument` as `validate` does.
[[nodiscard]] std::unique_ptr<detect_engine> make_detect_engine(const detect_query& query,
                                                                line_sink& output,
                                                                line_sink* rejects);

}  // namespace streamcp::pipeline
