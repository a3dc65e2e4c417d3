// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "detect_function.hpp"
#include "detect_job.hpp"
#include "event_decoder.hpp"
#include "event_order.hpp"
#include "line_sink.hpp"
#include "partition_admission.hpp"
#include "partition_row.hpp"

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
/// ordering stage, every partition's model (a function snapshot), the pending lines and the
/// partition limit's places.
struct detect_state {
    detect_counts counts;
    event_order order;
    std::vector<std::byte> function;
    pending_lines pending;
    partition_admission admission;
};

[[nodiscard]] std::vector<std::byte> save_detect_state(const detect_counts& counts,
                                                       const event_order& order,
                                                       std::span<const std::byte> function,
                                                       const pending_lines& pending,
                                                       const partition_admission& admission);

/// Reads `save_detect_state`'s bytes for `query`; held events are decoded again with
/// `decoder`. Throws `snapshot_error` when the bytes are damaged.
[[nodiscard]] detect_state load_detect_state(std::span<const std::byte> bytes,
                                             const detect_query& query, event_decoder& decoder);

/// The head of an incremental checkpoint: `save_detect_state`'s layout with no key in the
/// ordering stage (only its arrival numbering) and no partition in the function (only its
/// clocks, `function_clocks`); the keys are in rows.
[[nodiscard]] std::vector<std::byte> save_state_head(const detect_counts& counts,
                                                     std::uint64_t next_sequence,
                                                     std::span<const std::byte> function_clocks,
                                                     const pending_lines& pending,
                                                     const partition_admission& admission);

/// Key `key`'s row from the partition limit, the ordering stage and the function that own it;
/// the state is empty when none holds anything for the key.
[[nodiscard]] partition_row save_partition_row(const partition_key& key,
                                               const partition_admission& admission,
                                               const event_order& order,
                                               const detect_function& function);

/// `save_detect_state`'s bytes from a head and every row (`function` supplies the snapshot
/// layout). Throws `snapshot_error` when the head is damaged; damaged rows are found when the
/// result is loaded.
[[nodiscard]] std::vector<std::byte> assemble_detect_state(std::span<const std::byte> head,
                                                           std::span<const partition_row> rows,
                                                           const detect_function& function);

}  // namespace streamcp::pipeline
