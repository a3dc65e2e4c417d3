// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "detect_job.hpp"
#include "event_decoder.hpp"
#include "event_order.hpp"
#include "line_sink.hpp"

namespace streamcp::pipeline {

/// Output and rejects an engine had computed but not written when it saved its state: written
/// first after a restore (the checkpoint's sink offsets stop before them).
struct pending_lines {
    std::string output;
    std::string rejects;

    [[nodiscard]] bool empty() const noexcept { return output.empty() && rejects.empty(); }

    /// Writes the lines (rejects only when there is a rejects sink) and forgets them.
    void write_to(line_sink& output_sink, line_sink* rejects_sink);
};

/// A detect engine's checkpoint state, the same for every thread count: the counts, the
/// ordering stage, every partition's model (a function snapshot) and the pending lines.
struct detect_state {
    detect_counts counts;
    event_order order;
    std::vector<std::byte> function;
    pending_lines pending;
};

[[nodiscard]] std::vector<std::byte> save_detect_state(const detect_counts& counts,
                                                       const event_order& order,
                                                       std::span<const std::byte> function,
                                                       const pending_lines& pending);

/// Reads `save_detect_state`'s bytes for `query`; held events are decoded again with
/// `decoder`. Throws `snapshot_error` when the bytes are damaged.
[[nodiscard]] detect_state load_detect_state(std::span<const std::byte> bytes,
                                             const detect_query& query, event_decoder& decoder);

}  // namespace streamcp::pipeline
