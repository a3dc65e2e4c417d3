// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "pipeline/archive_sink.hpp"
#include "pipeline/detect_job.hpp"
#include "pipeline/line_sink.hpp"
#include "pipeline/line_source.hpp"
#include "pipeline/metrics_registry.hpp"

namespace streamcp::pipeline {

/// When to commit checkpoints.
struct checkpoint_policy {
    std::string path;  ///< the SQLite file
    std::uint64_t every_events = 100'000;
    std::chrono::nanoseconds interval = std::chrono::seconds{10};
};

struct run_settings {
    std::optional<checkpoint_policy> checkpoint;
    /// Raw input messages go here (partition 0 for file and stdin sources); completed at the
    /// end. With a checkpoint its state is committed with every checkpoint and restored.
    archive_sink* archive = nullptr;
    /// Called about twice a second with the counts so far, and once at the end (`done`).
    std::function<void(const detect_counts& counts, bool done)> progress;
    /// Updated as the run goes (`--metrics-listen`); null: no metrics.
    metrics_registry* metrics = nullptr;
};

/// Runs `query` over `source` to the end. With a checkpoint it first restores the last one
/// (state, input position, and each truncatable sink cut back to its recorded size), then
/// commits one every `every_events` events or `interval`, and a last one at the end: a restart
/// after a kill continues as if never stopped. Without one, truncatable sinks start empty.
///
/// Throws `std::invalid_argument` for a checkpoint on an input that cannot seek, and
/// `std::runtime_error` for I/O errors or a checkpoint of another query or input.
detect_counts run_detect(const detect_query& query, line_source& source, line_sink& output,
                         line_sink* rejects, const run_settings& settings);

}  // namespace streamcp::pipeline
