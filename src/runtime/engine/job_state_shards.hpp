// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detect_job.hpp"

namespace streamcp::pipeline {

/// Which of `shards` threads owns partition `key`: its ordering state, model and events.
[[nodiscard]] std::size_t shard_of(const partition_key& key, std::size_t shards) noexcept;

/// A `detect_job` state cut by `shard_of`: one checkpoint format for every thread count.
struct sharded_job_state {
    detect_counts counts;
    std::string pending_output;
    std::string pending_rejects;
    /// Per shard: a `detect_job` state with zero counts and that shard's keys only.
    std::vector<std::vector<std::byte>> shards;
};

/// Cuts `detect_job::save_state` bytes (of any thread count) into `shards` states. Throws
/// `snapshot_error` when the bytes are damaged or belong to another query.
[[nodiscard]] sharded_job_state split_job_state(std::span<const std::byte> state,
                                                std::size_t shards, const detect_query& query);

/// Joins per-shard `detect_job` states (disjoint keys; their counts are ignored) into one state
/// with `counts` and the pending bytes, as a single-threaded job would save it. Held events
/// are renumbered by line so their arrival order survives the join.
[[nodiscard]] std::vector<std::byte> merge_job_states(
    std::span<const std::vector<std::byte>> shard_states, const detect_counts& counts,
    std::string_view pending_output, std::string_view pending_rejects, const detect_query& query);

}  // namespace streamcp::pipeline
