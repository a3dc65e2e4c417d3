// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "archive_sink.hpp"
#include "detect_job.hpp"
#include "line_sink.hpp"
#include "line_source.hpp"

namespace streamcp::pipeline {

/// When to commit checkpoints; `build_checkpoint` (pipeline/detect_settings.hpp) makes one
/// from the settings and their defaults.
struct checkpoint_policy {
    std::string path;  ///< the SQLite file
    std::uint64_t every_events = 0;
    std::chrono::nanoseconds interval{0};
};

struct run_settings {
    std::optional<checkpoint_policy> checkpoint;
    /// Raw input messages go here (partition 0 for file and stdin sources); completed at the
    /// end. With a checkpoint its state is committed with every checkpoint and restored.
    archive_sink* archive = nullptr;
    /// Called about twice a second with the counts so far, and once at the end (`done`).
    std::function<void(const detect_counts& counts, bool done)> progress;
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
