// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "archive_sink.hpp"
#include "checkpoint_check.hpp"
#include "detect_job.hpp"
#include "line_sink.hpp"
#include "line_source.hpp"
#include "score_observer.hpp"
#include "stop_token.hpp"

namespace streamcp::pipeline {

/// When to commit checkpoints; `build_checkpoint` (pipeline/detect_settings.hpp) makes one
/// from the settings and their defaults.
struct checkpoint_policy {
    std::string path;  ///< the SQLite file
    std::uint64_t every_events = 0;
    std::chrono::nanoseconds interval{0};
};

/// What a run reports as it goes, besides the scores (`--metrics-listen`: the metrics
/// registry implements it). Called on the reading thread; `line_read` runs once per line, so
/// implementations keep it O(1) and allocation-free.
class run_observer : public score_observer {
  public:
    /// After each processed line: its source partition, its size, the counts so far.
    virtual void line_read(std::uint32_t partition, std::size_t bytes,
                           const detect_counts& counts) noexcept = 0;
    /// A checkpoint was committed; it took `took`.
    virtual void checkpoint_committed(std::chrono::nanoseconds took) = 0;
    /// The counts at the end of the run (after the ordering stage was flushed).
    virtual void publish(const detect_counts& counts) noexcept = 0;
};

struct run_settings {
    std::optional<checkpoint_policy> checkpoint;
    /// Raw input messages go here (partition 0 for file and stdin sources); completed at the
    /// end. With a checkpoint its state is committed with every checkpoint and restored.
    archive_sink* archive = nullptr;
    /// Called about twice a second with the counts so far, and once at the end (`done`).
    std::function<void(const detect_counts& counts, bool done)> progress;
    /// Told about every line, score and checkpoint as the run goes (`--metrics-listen`);
    /// null: no one.
    run_observer* metrics = nullptr;
    /// The run's outputs in one line (`file:/abs/out.jsonl,rejects:...`): a checkpoint records
    /// them and refuses a resume that writes other ones. Empty: not recorded.
    std::string outputs;
    /// Once requested (SIGINT / SIGTERM), the run stops reading. With a checkpoint it commits
    /// one without releasing held events, so a resumed run writes what an uninterrupted one
    /// would; without, it finishes as at the end of the input.
    stop_token stop;
};

/// Opens, locks and checks the checkpoint of `settings` for this query, input, archive and
/// outputs, before any output is opened for writing. Throws `std::runtime_error` saying what
/// differs and how to start over, `std::invalid_argument` for an input that cannot seek.
[[nodiscard]] prepared_checkpoint prepare_checkpoint(const detect_query& query, line_source& source,
                                                     const run_settings& settings);

/// Runs `query` over `source` to the end. With a checkpoint it first restores the last one
/// (state, input position, and each truncatable sink cut back to its recorded size), then
/// commits one every `every_events` events or `interval`, and a last one at the end: a restart
/// after a kill continues as if never stopped. Without one, truncatable sinks start empty.
///
/// Throws `std::invalid_argument` for a checkpoint on an input that cannot seek, and
/// `std::runtime_error` for I/O errors or a checkpoint of another query or input.
detect_counts run_detect(const detect_query& query, line_source& source, line_sink& output,
                         line_sink* rejects, const run_settings& settings);

/// `run_detect` with a checkpoint `prepare_checkpoint` made (ignored without
/// `settings.checkpoint`).
detect_counts run_detect(const detect_query& query, line_source& source, line_sink& output,
                         line_sink* rejects, const run_settings& settings,
                         prepared_checkpoint prepared);

}  // namespace streamcp::pipeline
