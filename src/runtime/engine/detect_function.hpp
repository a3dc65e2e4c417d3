// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include <streamcp/function/anomaly_detection_change_point.hpp>
#include <streamcp/function/partition_cursor.hpp>
#include <streamcp/function/robust_change_point_function.hpp>

#include "detect_job.hpp"
#include "event_decoder.hpp"
#include "partition_key_hash.hpp"

namespace streamcp::pipeline {

/// The per-partition function a query's `detector` names: ASA's AnomalyDetection_ChangePoint,
/// or the recommended detector under the same partition, LIMIT DURATION, WHEN and NULL rules,
/// whose Score and IsAnomaly are not ASA's numbers.
class detect_function {
  public:
    /// Throws `std::invalid_argument` naming the setting when the query's detector settings
    /// are out of range.
    explicit detect_function(const detect_query& query);

    /// One event of partition `key`, as the chosen function scores it. `cursor`, if given, is
    /// where the caller remembers the key's partition (the function's `evaluate(cursor, ...)`).
    std::optional<record> evaluate(const partition_key& key, event_time time,
                                   std::optional<double> value, bool when,
                                   partition_cursor* cursor = nullptr) {
        return std::visit(
            [&](auto& f) {
                return cursor != nullptr ? f.evaluate(*cursor, key, time, value, when)
                                         : f.evaluate(key, time, value, when);
            },
            function_);
    }

    /// Starts loading the partition `cursor` points at (a batch calls it some events ahead).
    void prefetch(const partition_cursor& cursor) const noexcept {
        std::visit([&](const auto& f) { f.prefetch(cursor); }, function_);
    }

    /// How many partitions the function holds (the metrics' active keys).
    [[nodiscard]] std::size_t partition_count() const noexcept {
        return std::visit([](const auto& f) { return f.partition_count(); }, function_);
    }

    [[nodiscard]] std::vector<std::byte> snapshot() const;
    /// Throws `snapshot_error`, changing nothing, when the snapshot is not this function's.
    void restore(std::span<const std::byte> bytes);
    /// The function's `save_partition`: partition `key`'s record; false when there is none.
    bool save_partition(const partition_key& key, byte_writer& out) const {
        return std::visit([&](const auto& f) { return f.save_partition(key, out); }, function_);
    }
    /// From now on, records the partitions the idle TTL's sweep removes (detector asa: the
    /// other has no TTL), for `take_evicted`.
    void track_evictions() noexcept;
    /// The keys the idle TTL's sweep removed since the last call.
    [[nodiscard]] std::vector<partition_key> take_evicted() noexcept;
    /// The function's `snapshot_clocks`: a snapshot of its clocks without any partition.
    [[nodiscard]] std::vector<std::byte> snapshot_clocks() const;
    /// The function's `add_partitions`.
    [[nodiscard]] std::vector<std::byte> add_partitions(std::span<const std::byte> snapshot,
                                                        std::span<const std::byte> records,
                                                        std::size_t count) const;
    /// The function's `split_snapshot` (the sharded engine hands each worker its keys).
    [[nodiscard]] std::vector<std::vector<std::byte>> split_snapshot(
        std::span<const std::byte> snapshot, std::size_t parts,
        const std::function<std::size_t(const partition_key&)>& part_of) const;
    /// The function's `merge_snapshots`.
    [[nodiscard]] std::vector<std::byte> merge_snapshots(
        std::span<const std::vector<std::byte>> snapshots) const;

  private:
    std::variant<anomaly_detection_change_point<partition_key, partition_key_hash>,
                 robust_change_point_function<partition_key, partition_key_hash>>
        function_;
};

}  // namespace streamcp::pipeline
