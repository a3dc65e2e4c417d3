// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/core/batch_check.hpp"
#include "streamcp/core/batch_error.hpp"
#include "streamcp/detail/model_access.hpp"
#include "streamcp/detail/validate.hpp"
#include "streamcp/function/event_time.hpp"
#include "streamcp/function/partition_cursor.hpp"
#include "streamcp/function/partitioned_function.hpp"
#include "streamcp/model/robust_change_point_detector.hpp"
#include "streamcp/state/byte_codec.hpp"
#include "streamcp/state/key_codec.hpp"
#include "streamcp/state/snapshot.hpp"

STREAMCP_BEGIN_NAMESPACE

/// The recommended (robust) detector as a partitioned function, with the rules of the ASA
/// functions (docs/semantics.md): one `robust_change_point_detector` per partition key,
/// created on the key's first included event; LIMIT DURATION imputation with interval =
/// duration ÷ history, the gap's steps fed the newest value (at most `history` of them);
/// WHEN false or a NULL value returns NULL and changes nothing; NaN returns {NULL, 0}, leaves
/// the model alone and advances the partition's clock; each partition's events in
/// nondecreasing time (compared in whole 100 ns ticks).
///
/// NOT ASA-compatible: `Score` is the robust detector's CUSUM martingale and `IsAnomaly` is 1
/// on the event at which a change is reported; neither is ASA's number. Partitions are kept
/// in first-seen order, so snapshots are deterministic.
template <class Key, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>>
class robust_change_point_function {
  public:
    using key_type = Key;

    /// Throws `std::invalid_argument` naming the argument when the detector's options are
    /// invalid or `duration` is outside (0, 7 days].
    robust_change_point_function(const robust_change_point_options& model,
                                 std::chrono::nanoseconds duration)
        : model_options_(robust_change_point_detector{model}.options()), duration_(duration) {
        detail::check_limit_duration(duration);
        interval_ = to_dotnet_ticks(duration) / model.history;
    }

    /// Scores one event of partition `key` (see the class comment). Throws
    /// `std::invalid_argument`, changing nothing, when `value` is ±inf, `time` lies outside
    /// 0001-01-01 .. 9999-12-31 (semantics.md#time) or is earlier than the partition's last event.
    std::optional<record> evaluate(const Key& key, event_time time, std::optional<double> value,
                                   bool when = true) {
        if (!when || !value) {
            return std::nullopt;
        }
        return to_record(update(key, time, *value));
    }

    /// `evaluate` for a caller that remembers `key`'s partition in `cursor` (which belongs to
    /// `key` alone), as `anomaly_detection_change_point::evaluate` takes one: a cursor this
    /// function set skips the lookup. Same results and errors as `evaluate`.
    std::optional<record> evaluate(partition_cursor& cursor, const Key& key, event_time time,
                                   std::optional<double> value, bool when = true) {
        if (!when || !value) {
            return std::nullopt;
        }
        return to_record(update(key, time, *value, &cursor));
    }

    /// Scores events in order into `out`, as repeated `evaluate` calls; `when` may be empty
    /// (all true). The whole batch is validated first: when any event would throw, nothing
    /// changes, and a `batch_error` says which event and field (message "event i: ...").
    /// `p_values`, when not empty, gets each event's p-value (the model's; NaN where `out` is
    /// NULL, during warm-up and for NaN).
    void evaluate_many(std::span<const Key> keys, std::span<const event_time> times,
                       std::span<const std::optional<double>> values, std::span<const bool> when,
                       std::span<std::optional<record>> out, std::span<double> p_values = {}) {
        const std::size_t n = keys.size();
        detail::check_event_arrays(n, times.size(), values.size(), when.size(), out.size());
        if (!p_values.empty()) {
            detail::check_same_length("p_values", p_values.size(), "keys", n);
        }
        std::unordered_map<Key, dotnet_ticks, Hash, KeyEqual> last_seen;
        for (std::size_t i = 0; i < n; ++i) {
            if ((!when.empty() && !when[i]) || !values[i]) {
                continue;
            }
            try {
                if (std::isinf(*values[i])) {
                    detail::throw_out_of_range("value", detail::format_number(*values[i]),
                                               "allowed a finite number or NaN");
                }
            } catch (const std::invalid_argument& e) {
                throw batch_error(i, batch_field::value, e.what());
            }
            try {
                detail::check_event_time(times[i]);
                const dotnet_ticks ticks = to_dotnet_ticks(times[i]);
                auto seen = last_seen.find(keys[i]);
                if (seen == last_seen.end()) {
                    const auto found = index_.find(keys[i]);
                    const dotnet_ticks last = found == index_.end()
                                                  ? std::numeric_limits<dotnet_ticks>::min()
                                                  : partitions_[found->second].last_ticks;
                    seen = last_seen.emplace(keys[i], last).first;
                }
                detail::check_event_order(ticks, seen->second);
                seen->second = ticks;
            } catch (const std::invalid_argument& e) {
                throw batch_error(i, batch_field::time, e.what());
            }
        }
        for (std::size_t i = 0; i < n; ++i) {
            if ((!when.empty() && !when[i]) || !values[i]) {
                out[i] = std::nullopt;
                if (!p_values.empty()) {
                    p_values[i] = std::numeric_limits<double>::quiet_NaN();
                }
                continue;
            }
            const robust_change_point_result result = update(keys[i], times[i], *values[i]);
            out[i] = to_record(result);
            if (!p_values.empty()) {
                p_values[i] = result.p_value;
            }
        }
    }

    /// Partitions (keys) seen so far.
    [[nodiscard]] std::size_t partition_count() const noexcept { return partitions_.size(); }

    /// What `snapshot()` writes into the envelope.
    static constexpr snapshot_kind kind = snapshot_kind::robust_change_point_function;

    /// Starts loading the partition `cursor` points at, if this function set it (see
    /// `anomaly_detection_change_point::prefetch`).
    void prefetch(const partition_cursor& cursor) const noexcept {
        const std::size_t i = layout_.slot_of(cursor);
        if (i != partition_cursor::no_slot) {
            detail::prefetch_line(&partitions_[i], true);
        }
    }

    /// Every partition and the parameters, in the versioned snapshot format (docs/snapshot.md).
    [[nodiscard]] std::vector<std::byte> snapshot() const { return write_snapshot(partitions_); }

    /// Replaces every partition with the snapshot's. Throws `snapshot_error`, changing
    /// nothing, when the snapshot is damaged, foreign, or recorded with other parameters.
    void restore(std::span<const std::byte> bytes) {
        std::vector<partition> restored;
        index_map index;
        read_partitions(bytes, restored, index);
        partitions_ = std::move(restored);
        index_ = std::move(index);
        layout_.change();
    }

    /// Appends partition `key`'s record (key, clock, model) as `snapshot` lays it out; false,
    /// appending nothing, when the function holds no partition for `key`.
    bool save_partition(const Key& key, byte_writer& w) const {
        const auto found = index_.find(key);
        if (found == index_.end()) {
            return false;
        }
        write_record(w, partitions_[found->second]);
        return true;
    }

    /// A snapshot of the parameters without any partition: the base of `add_partitions`.
    [[nodiscard]] std::vector<std::byte> snapshot_clocks() const { return write_snapshot({}); }

    /// `snapshot` (of a function with this one's parameters) with `count` more partitions:
    /// `records`, each as `save_partition` wrote it, after the snapshot's own. Throws
    /// `snapshot_error` as `restore` does when the result does not read back.
    [[nodiscard]] std::vector<std::byte> add_partitions(std::span<const std::byte> snapshot,
                                                        std::span<const std::byte> records,
                                                        std::size_t count) const {
        std::vector<partition> partitions;
        index_map index;
        read_partitions(snapshot, partitions, index);
        return write_snapshot(partitions, records, count);
    }

    /// Cuts a snapshot of a function with this one's parameters into `parts` snapshots by key:
    /// partition `key` goes to part `part_of(key)`, which must be below `parts`, keeping its
    /// first-seen rank within the part. A key scored in its part's function scores as in the
    /// whole. Throws `snapshot_error` as `restore` does, `std::invalid_argument` for a part out
    /// of range.
    template <class PartOf>
    [[nodiscard]] std::vector<std::vector<std::byte>> split_snapshot(
        std::span<const std::byte> snapshot, std::size_t parts, PartOf&& part_of) const {
        if (parts == 0) {
            detail::throw_out_of_range("parts", "0", "allowed at least 1");
        }
        std::vector<partition> whole;
        index_map index;
        read_partitions(snapshot, whole, index);
        std::vector<std::vector<partition>> split(parts);
        for (partition& p : whole) {
            const std::size_t part = part_of(std::as_const(p.key));
            detail::check_part(part, parts);
            split[part].push_back(std::move(p));
        }
        std::vector<std::vector<std::byte>> out;
        out.reserve(parts);
        for (const std::vector<partition>& part : split) {
            out.push_back(write_snapshot(part));
        }
        return out;
    }

    /// Joins snapshots of functions with this one's parameters and disjoint keys into one
    /// holding every partition, the parts' partitions in the parts' order. Throws
    /// `snapshot_error` as `restore` does, and when a key is in two parts.
    [[nodiscard]] std::vector<std::byte> merge_snapshots(
        std::span<const std::vector<std::byte>> snapshots) const {
        std::vector<partition> merged;
        index_map index;
        for (const std::vector<std::byte>& snapshot : snapshots) {
            read_partitions(snapshot, merged, index);
        }
        return write_snapshot(merged);
    }

  private:
    struct partition {
        Key key;
        robust_change_point_detector model;
        dotnet_ticks last_ticks;
    };

    using index_map = std::unordered_map<Key, std::size_t, Hash, KeyEqual>;

    static void write_record(byte_writer& w, const partition& p) {
        key_codec<Key>::encode(w, p.key);
        w.i64(p.last_ticks);
        detail::model_access::save_state(p.model, w);
    }

    /// The snapshot of `partitions` then `extra_count` records already encoded in `extra`.
    [[nodiscard]] std::vector<std::byte> write_snapshot(std::span<const partition> partitions,
                                                        std::span<const std::byte> extra = {},
                                                        std::size_t extra_count = 0) const {
        byte_writer w;
        write_parameters(w);
        w.u64(partitions.size() + extra_count);
        for (const partition& p : partitions) {
            write_record(w, p);
        }
        w.raw(extra);
        return snapshot_format::seal(kind, w.bytes());
    }

    /// Appends a snapshot's partitions to `into`, indexed in `index`. Throws `snapshot_error`
    /// when the snapshot is damaged, foreign, recorded with other parameters, or repeats a key
    /// of `index`; `into` and `index` are then partly filled.
    void read_partitions(std::span<const std::byte> bytes, std::vector<partition>& into,
                         index_map& index) const {
        byte_reader r{snapshot_format::open(bytes, kind)};
        byte_writer mine;
        write_parameters(mine);
        const auto recorded = r.take(mine.size());
        if (!std::equal(recorded.begin(), recorded.end(), mine.bytes().begin())) {
            throw snapshot_error(
                "recorded with other parameters (detector options or duration) than this "
                "function's");
        }
        // Each partition needs at least its clock and its model's sample count.
        const std::size_t count = r.length(sizeof(std::int64_t) * 2);
        into.reserve(into.size() + count);
        for (std::size_t i = 0; i < count; ++i) {
            Key key = key_codec<Key>::decode(r);
            const dotnet_ticks last = r.i64();
            robust_change_point_detector model{model_options_};
            detail::model_access::load_state(model, r);
            if (!index.emplace(key, into.size()).second) {
                throw snapshot_error("a partition key appears twice");
            }
            into.push_back({std::move(key), std::move(model), last});
        }
        r.expect_end();
    }

    /// An included event's model result (imputation first); throws as `evaluate` does.
    /// `cursor`, if given, is read and set as `evaluate(cursor, ...)` says.
    robust_change_point_result update(const Key& key, event_time time, double value,
                                      partition_cursor* cursor = nullptr) {
        if (std::isinf(value)) {
            throw std::invalid_argument("value must be finite or NaN");
        }
        detail::check_event_time(time);
        const dotnet_ticks ticks = to_dotnet_ticks(time);
        std::size_t at = cursor != nullptr ? layout_.slot_of(*cursor) : partition_cursor::no_slot;
        if (at == partition_cursor::no_slot) {
            const auto found = index_.find(key);
            if (found == index_.end()) {
                index_.emplace(key, partitions_.size());
                partitions_.push_back({key, robust_change_point_detector{model_options_}, ticks});
                if (cursor != nullptr) {
                    *cursor = {partitions_.size() - 1, layout_.id()};
                }
                return partitions_.back().model.update(value);  // no imputation
            }
            at = found->second;
            if (cursor != nullptr) {
                *cursor = {at, layout_.id()};
            }
        }
        partition& p = partitions_[at];
        detail::check_event_order(ticks, p.last_ticks);
        if (interval_ > 0 && !std::isnan(value)) {
            const dotnet_ticks gap = ticks / interval_ - p.last_ticks / interval_ - 1;
            const dotnet_ticks missing = std::clamp<dotnet_ticks>(gap, 0, model_options_.history);
            for (dotnet_ticks i = 0; i < missing; ++i) {
                (void)p.model.update(value);  // the newest observation carried back
            }
        }
        const robust_change_point_result out = p.model.update(value);
        p.last_ticks = ticks;
        return out;
    }

    static record to_record(const robust_change_point_result& r) noexcept {
        return {std::isnan(r.score) ? std::nullopt : std::optional<double>{r.score}, r.is_change};
    }

    void write_parameters(byte_writer& w) const {
        w.i64(duration_.count());
        detail::model_access::write_options(robust_change_point_detector{model_options_}, w);
    }

    robust_change_point_options model_options_;
    std::chrono::nanoseconds duration_;
    dotnet_ticks interval_ = 0;
    std::vector<partition> partitions_;  // in first-seen order
    index_map index_;
    detail::partition_layout layout_;  // changes when partitions move (a restore): cursors go stale
};

STREAMCP_END_NAMESPACE
