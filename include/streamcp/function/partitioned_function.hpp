// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
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
#include "streamcp/function/partition_store.hpp"
#include "streamcp/model/change_point_detector.hpp"
#include "streamcp/model/spike_and_dip_detector.hpp"
#include "streamcp/state/byte_codec.hpp"
#include "streamcp/state/key_codec.hpp"
#include "streamcp/state/snapshot.hpp"

STREAMCP_BEGIN_NAMESPACE

/// The function's output for one event: ASA's `{IsAnomaly, Score}` record.
struct record {
    /// ASA's `Score`; empty (NULL) when the model produced NaN (a NaN input).
    std::optional<double> score;
    /// ASA's `IsAnomaly` (BIGINT 0/1).
    bool is_anomaly = false;

    friend bool operator==(const record&, const record&) = default;
};

[[nodiscard]] inline record to_record(const change_point_result& r) noexcept {
    return {std::isnan(r.score) ? std::nullopt : std::optional<double>{r.score}, r.is_anomaly};
}

[[nodiscard]] inline record to_record(const spike_and_dip_result& r) noexcept {
    return {std::isnan(r.p_value) ? std::nullopt : std::optional<double>{r.p_value}, r.is_anomaly};
}

/// Options of the ASA functions beyond ASA's own arguments.
struct function_options {
    /// Keep a fractional confidence as given instead of truncating it to an integer as ASA's
    /// 2020 runtime does (semantics.md#decision-6).
    bool fractional_confidence = false;
    /// Forget a partition whose last event lies more than this behind the newest event time
    /// the function has seen (over all partitions); its key then starts afresh. Zero (the
    /// default) never forgets, as ASA never does.
    std::chrono::nanoseconds idle_ttl{0};
    /// The KDE kernel of every partition's model. Not state: snapshots do not record it, and
    /// a snapshot restores into a function with either kernel.
    kernel_path kernel = kernel_path::exact;

    friend bool operator==(const function_options&, const function_options&) = default;
};

/// The largest LIMIT DURATION ASA accepts.
inline constexpr std::chrono::nanoseconds max_limit_duration = std::chrono::days{7};

namespace detail {

/// Throws unless `duration` is a LIMIT DURATION ASA accepts: (0, 7 days].
inline void check_limit_duration(std::chrono::nanoseconds duration) {
    if (duration.count() <= 0 || duration > max_limit_duration) {
        throw_out_of_range("duration", fmt::format("{} ns", duration.count()),
                           "allowed (0, 7 days]");
    }
}

/// A positive count of 100 ns ticks in seconds, exactly: "2 s", "0.0000001 s", "1.25 s".
[[nodiscard]] inline std::string format_tick_seconds(dotnet_ticks ticks) {
    constexpr dotnet_ticks per_second = 10'000'000;
    std::string text = fmt::format("{}.{:07}", ticks / per_second, ticks % per_second);
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') {
        text.pop_back();
    }
    return text + " s";
}

/// Throws unless `time` lies in .NET's range, 0001-01-01 .. 9999-12-31 (semantics.md#time).
inline void check_event_time(event_time time) {
    if (!in_event_time_range(time)) {
        throw std::invalid_argument(
            fmt::format("time is out of range: {} ticks (100 ns) since 1970; allowed "
                        "0001-01-01T00:00:00Z to 9999-12-31T23:59:59.9999999Z",
                        time.time_since_epoch().count()));
    }
}

/// Throws unless an event at `ticks` may follow its partition's last event at `last`. The gap
/// is given in seconds: users think in their timestamps' units, not in .NET ticks.
inline void check_event_order(dotnet_ticks ticks, dotnet_ticks last) {
    if (ticks < last) {
        throw std::invalid_argument(
            fmt::format("time is out of order: {} earlier than its partition's last event; "
                        "each partition's events must come in nondecreasing time",
                        format_tick_seconds(last - ticks)));
    }
}

/// Throws unless a batch's arrays are as long as its keys (`when` may also be empty).
inline void check_event_arrays(std::size_t keys, std::size_t times, std::size_t values,
                               std::size_t when, std::size_t out) {
    check_same_length("times", times, "keys", keys);
    check_same_length("values", values, "keys", keys);
    check_same_length("out", out, "keys", keys);
    if (when != 0) {
        check_same_length("when", when, "keys", keys);
    }
}

/// Throws unless `split_snapshot`'s `part_of` named one of the `parts` parts.
inline void check_part(std::size_t part, std::size_t parts) {
    if (part >= parts) {
        throw_out_of_range("part_of", std::to_string(part),
                           fmt::format("allowed below parts ({})", parts));
    }
}

}  // namespace detail

/// What `anomaly_detection_change_point` and `anomaly_detection_spike_and_dip` share
/// (semantics.md#asa-mapping, #imputation, #decisions): one model per partition key, created on the
/// key's first included event; LIMIT DURATION imputation; the WHEN / NULL / NaN rules; event-time
/// order.
template <class Model, class Key, class Hash, class KeyEqual>
class partitioned_function {
  public:
    using key_type = Key;
    using model_type = Model;
    using model_options = std::remove_cvref_t<decltype(std::declval<Model>().options())>;

    /// Scores one event of partition `key`. Returns NULL (empty) when `when` is false or
    /// `value` is NULL; such events change nothing. A NaN value gives {NULL, 0}, leaves the
    /// model alone and advances the partition's clock (semantics.md#decision-3).
    ///
    /// Throws `std::invalid_argument`, changing nothing, when the value is ±inf or beyond
    /// float32's range (semantics.md#decision-4), when `time` lies outside 0001-01-01 ..
    /// 9999-12-31 (semantics.md#time) or when `time` is earlier than the partition's last event
    /// (semantics.md#decision-9; time is compared in whole 100 ns ticks).
    std::optional<record> evaluate(const Key& key, event_time time, std::optional<double> value,
                                   bool when = true) {
        if (!when || !value) {
            return std::nullopt;
        }
        const float x = detail::to_model_value(*value);
        detail::check_event_time(time);
        const dotnet_ticks ticks = to_dotnet_ticks(time);
        const std::size_t i = partitions_.find(key);
        if (i != store::npos) {
            detail::check_event_order(ticks, partitions_.slots().ticks(i));
        }
        return to_record(step(i, key, ticks, x));
    }

    /// `evaluate` for a caller that remembers `key`'s partition in `cursor` (which belongs to
    /// `key` alone): a cursor this function set skips the lookup, any other is looked up, and
    /// either way the cursor then points at the partition. Same results and errors as `evaluate`.
    std::optional<record> evaluate(partition_cursor& cursor, const Key& key, event_time time,
                                   std::optional<double> value, bool when = true) {
        if (!when || !value) {
            return std::nullopt;
        }
        const float x = detail::to_model_value(*value);
        detail::check_event_time(time);
        const dotnet_ticks ticks = to_dotnet_ticks(time);
        std::size_t i = layout_.slot_of(cursor);
        if (i == store::npos) {
            i = partitions_.find(key);
        }
        assert(i == partitions_.find(key));  // a cursor belongs to one key
        if (i != store::npos) {
            detail::check_event_order(ticks, partitions_.slots().ticks(i));
        }
        return to_record(step(i, key, ticks, x, &cursor));
    }

    /// Scores events in order into `out`, as repeated `evaluate` calls. `when` may be empty
    /// (all true) or as long as the others; `nullopt` values are NULL. The whole batch is
    /// validated first: when any event would throw, nothing changes, and a `batch_error` says
    /// which event and field (message "event i: ..."). `p_values`, when not empty, gets each
    /// event's KDE p-value (the model's; NaN where `out` is NULL or its score is).
    void evaluate_many(std::span<const Key> keys, std::span<const event_time> times,
                       std::span<const std::optional<double>> values, std::span<const bool> when,
                       std::span<std::optional<record>> out, std::span<double> p_values = {}) {
        const std::size_t n = keys.size();
        detail::check_event_arrays(n, times.size(), values.size(), when.size(), out.size());
        if (!p_values.empty()) {
            detail::check_same_length("p_values", p_values.size(), "keys", n);
        }
        // Times nondecreasing over the whole batch (the usual case) are in order within each
        // key too: then each event need only be checked against its stored partition, and not
        // even that when the batch starts at or after the newest event time seen (every
        // partition's clock is at most that), so the check touches no partition.
        const bool batch_sorted = std::is_sorted(
            times.begin(), times.end(),
            [](event_time a, event_time b) { return to_dotnet_ticks(a) < to_dotnet_ticks(b); });
        const bool after_all = batch_sorted && n > 0 && to_dotnet_ticks(times[0]) >= newest_ticks_;
        std::unordered_map<Key, dotnet_ticks, Hash, KeyEqual> last_seen;
        for (std::size_t i = 0; i < n; ++i) {
            if ((!when.empty() && !when[i]) || !values[i]) {
                continue;
            }
            try {
                (void)detail::to_model_value(*values[i]);
            } catch (const std::invalid_argument& e) {
                throw batch_error(i, batch_field::value, e.what());
            }
            try {
                detail::check_event_time(times[i]);
                if (after_all) {
                    continue;
                }
                const dotnet_ticks ticks = to_dotnet_ticks(times[i]);
                if (batch_sorted) {
                    const std::size_t at = partitions_.find(keys[i]);
                    if (at != store::npos) {
                        detail::check_event_order(ticks, partitions_.slots().ticks(at));
                    }
                    continue;
                }
                auto seen = last_seen.find(keys[i]);
                if (seen == last_seen.end()) {
                    const std::size_t at = partitions_.find(keys[i]);
                    if (at != store::npos) {
                        detail::check_event_order(ticks, partitions_.slots().ticks(at));
                    }
                    last_seen.emplace(keys[i], ticks);
                } else {
                    detail::check_event_order(ticks, seen->second);
                    seen->second = ticks;
                }
            } catch (const std::invalid_argument& e) {
                throw batch_error(i, batch_field::time, e.what());
            }
        }
        for (std::size_t i = 0; i < n; ++i) {
            prefetch_ahead(keys, i);
            if ((!when.empty() && !when[i]) || !values[i]) {
                out[i] = std::nullopt;
                if (!p_values.empty()) {
                    p_values[i] = std::numeric_limits<double>::quiet_NaN();
                }
            } else {
                const auto result = step(partitions_.find(keys[i]), keys[i],
                                         to_dotnet_ticks(times[i]), static_cast<float>(*values[i]));
                out[i] = to_record(result);
                if (!p_values.empty()) {
                    p_values[i] = result.p_value;
                }
            }
        }
    }

    void evaluate_many(std::span<const Key> keys, std::span<const event_time> times,
                       std::span<const std::optional<double>> values,
                       std::span<std::optional<record>> out) {
        evaluate_many(keys, times, values, {}, out);
    }

    /// Starts loading the partition `cursor` points at, if this function set it: a caller that
    /// scores a batch calls it some events ahead, so cache misses overlap with earlier work.
    void prefetch(const partition_cursor& cursor) const noexcept {
        const std::size_t i = layout_.slot_of(cursor);
        if (i != store::npos) {
            partitions_.slots().prefetch(i);
        }
    }

    /// Partitions currently held.
    [[nodiscard]] std::size_t partition_count() const noexcept { return partitions_.size(); }

    /// A copy of partition `key`'s model (it holds its state in the compact partition store),
    /// or nullptr when the partition does not exist.
    [[nodiscard]] std::unique_ptr<const Model> find(const Key& key) const {
        const std::size_t i = partitions_.find(key);
        return i == store::npos ? nullptr : partitions_.slots().copy(i);
    }

    /// From now on, records the keys that the idle TTL's sweep removes, for `take_evicted` (a
    /// caller that stores partitions elsewhere, such as a checkpoint, deletes theirs).
    void track_evictions() noexcept { tracking_evictions_ = true; }

    /// The keys the idle TTL's sweep removed since the last call (after `track_evictions`).
    [[nodiscard]] std::vector<Key> take_evicted() noexcept { return std::exchange(evicted_, {}); }

    /// Removes partitions whose last event is more than `max_idle` before `now` and returns
    /// how many. Their keys start afresh on their next event.
    std::size_t evict_idle(event_time now, std::chrono::nanoseconds max_idle) {
        const std::size_t removed =
            partitions_.erase_if(idle_since(to_dotnet_ticks(now), to_dotnet_ticks(max_idle)));
        if (removed > 0) {
            layout_.change();
        }
        return removed;
    }

    [[nodiscard]] double confidence() const noexcept { return confidence_; }
    [[nodiscard]] std::int64_t history() const noexcept { return model_options_.history; }
    [[nodiscard]] std::chrono::nanoseconds duration() const noexcept { return duration_; }
    [[nodiscard]] const function_options& options() const noexcept { return options_; }
    /// The options every partition's model gets (confidence after truncation).
    [[nodiscard]] const model_options& partition_model_options() const noexcept {
        return model_options_;
    }
    /// The expected inter-arrival interval I = durationTicks / history, in ticks
    /// (semantics.md#imputation).
    [[nodiscard]] dotnet_ticks imputation_interval() const noexcept { return interval_; }

    /// Every partition's model and clock plus the parameters, in the snapshot format.
    [[nodiscard]] std::vector<std::byte> snapshot() const {
        return write_snapshot(partitions_, newest_ticks_, next_sweep_ticks_);
    }

    /// Replaces every partition with the snapshot's. Throws `snapshot_error`, changing
    /// nothing, when the snapshot is damaged, foreign, or recorded with other parameters.
    void restore(std::span<const std::byte> bytes) {
        contents restored = read_snapshot(bytes);
        restored.partitions.shrink_to_fit();
        partitions_ = std::move(restored.partitions);
        layout_.change();
        newest_ticks_ = restored.latest;  // at least every clock, as evaluate_many's check assumes
        next_sweep_ticks_ = restored.next_sweep;
    }

    /// Appends partition `key`'s record (key, clock, model) as `snapshot` lays it out, for a
    /// store that saves the partitions that changed one by one; false, appending nothing, when
    /// the function holds no partition for `key`.
    bool save_partition(const Key& key, byte_writer& w) const {
        const std::size_t i = partitions_.find(key);
        if (i == store::npos) {
            return false;
        }
        write_record(w, partitions_, i);
        return true;
    }

    /// A snapshot of the parameters and clocks without any partition: the base that
    /// `add_partitions` adds `save_partition`'s records to.
    [[nodiscard]] std::vector<std::byte> snapshot_clocks() const {
        return write_snapshot(store{model_options_, options_.kernel}, newest_ticks_,
                              next_sweep_ticks_);
    }

    /// `snapshot` (of a function with this one's parameters) with `count` more partitions:
    /// `records`, each as `save_partition` wrote it. Throws `snapshot_error` as `restore` does
    /// for `snapshot`; the records are checked when the result is restored.
    [[nodiscard]] std::vector<std::byte> add_partitions(std::span<const std::byte> snapshot,
                                                        std::span<const std::byte> records,
                                                        std::size_t count) const {
        byte_reader r = open_snapshot(snapshot);
        byte_writer w;
        write_parameters(w);
        w.i64(r.i64());
        w.i64(r.i64());
        w.u64(r.length(sizeof(std::int64_t) * 2) + count);
        w.raw(r.take(r.remaining()));
        w.raw(records);
        return snapshot_format::seal(kind_, w.bytes());
    }

    /// Cuts a snapshot of a function with this one's parameters into `parts` snapshots by key:
    /// partition `key` goes to part `part_of(key)`, which must be below `parts`. Each part keeps
    /// the whole's clocks, so a key scored in its part's function scores as in the whole. Throws
    /// `snapshot_error` as `restore` does, `std::invalid_argument` for a part out of range.
    template <class PartOf>
    [[nodiscard]] std::vector<std::vector<std::byte>> split_snapshot(
        std::span<const std::byte> snapshot, std::size_t parts, PartOf&& part_of) const {
        if (parts == 0) {
            detail::throw_out_of_range("parts", "0", "allowed at least 1");
        }
        byte_reader r = open_snapshot(snapshot);
        const dotnet_ticks newest = r.i64();
        const dotnet_ticks next_sweep = r.i64();
        const std::size_t count = r.length(sizeof(std::int64_t) * 2);
        std::vector<store> split;
        split.reserve(parts);
        for (std::size_t part = 0; part < parts; ++part) {
            split.emplace_back(model_options_, options_.kernel);
        }
        for (std::size_t i = 0; i < count; ++i) {
            Key key = key_codec<Key>::decode(r);
            const dotnet_ticks last = r.i64();
            const std::size_t part = part_of(std::as_const(key));
            detail::check_part(part, parts);
            split[part].insert(std::move(key), last, r);  // throws on a repeated key
        }
        r.expect_end();
        std::vector<std::vector<std::byte>> out;
        out.reserve(parts);
        for (const store& part : split) {
            out.push_back(write_snapshot(part, newest, next_sweep));
        }
        return out;
    }

    /// Joins snapshots of functions with this one's parameters and disjoint keys into one, as
    /// one function holding every partition would write it: the clocks are the latest of the
    /// parts'. Throws `snapshot_error` as `restore` does, and when a key is in two parts.
    [[nodiscard]] std::vector<std::byte> merge_snapshots(
        std::span<const std::vector<std::byte>> snapshots) const {
        store merged{model_options_, options_.kernel};
        dotnet_ticks newest = 0;
        dotnet_ticks next_sweep = 0;
        for (const std::vector<std::byte>& snapshot : snapshots) {
            byte_reader r = open_snapshot(snapshot);
            newest = std::max(newest, r.i64());
            next_sweep = std::max(next_sweep, r.i64());
            const std::size_t count = r.length(sizeof(std::int64_t) * 2);
            merged.reserve(merged.size() + count);
            for (std::size_t i = 0; i < count; ++i) {
                Key key = key_codec<Key>::decode(r);
                const dotnet_ticks last = r.i64();
                merged.insert(std::move(key), last, r);  // throws on a key in two parts
            }
            r.expect_end();
        }
        return write_snapshot(merged, newest, next_sweep);
    }

  protected:
    partitioned_function(double confidence, model_options model, std::chrono::nanoseconds duration,
                         const function_options& options, snapshot_kind kind)
        : confidence_(confidence),
          model_options_(model),
          duration_(duration),
          options_(options),
          kind_(kind) {
        detail::check_closed("confidence", confidence, 1.0, 100.0);
        detail::check_history(model.history);
        detail::check_limit_duration(duration);
        if (options.idle_ttl.count() < 0) {
            detail::throw_out_of_range("idle_ttl", fmt::format("{} ns", options.idle_ttl.count()),
                                       "allowed 0 (never evict) or a positive duration");
        }
        if (!options.fractional_confidence) {
            model_options_.confidence = std::trunc(confidence);  // ASA 2020 passes an int
        }
        (void)Model{model_options_};  // validates the model's own options up front
        interval_ = to_dotnet_ticks(duration) / model.history;
        partitions_ = store{model_options_, options.kernel};  // with the truncated confidence
    }

  private:
    using store = detail::partition_store<Model, Key, Hash, KeyEqual>;

    /// A snapshot's partitions and clocks; `latest` is the newest of its recorded newest event
    /// time and every partition's clock.
    struct contents {
        store partitions;
        dotnet_ticks latest = 0;
        dotnet_ticks next_sweep = 0;
    };

    /// The snapshot's payload after its parameters, which must be this function's.
    byte_reader open_snapshot(std::span<const std::byte> bytes) const {
        byte_reader r{snapshot_format::open(bytes, kind_)};
        byte_writer mine;
        write_parameters(mine);
        const auto recorded = r.take(mine.size());
        if (!std::equal(recorded.begin(), recorded.end(), mine.bytes().begin())) {
            throw snapshot_error(
                "recorded with other parameters (confidence, history, "
                "duration or options) than this function's");
        }
        return r;
    }

    contents read_snapshot(std::span<const std::byte> bytes) const {
        byte_reader r = open_snapshot(bytes);
        contents out{store{model_options_, options_.kernel}, 0, 0};
        out.latest = r.i64();
        out.next_sweep = r.i64();
        // Each partition needs at least its clock and its model's counts: bound the count.
        const std::size_t count = r.length(sizeof(std::int64_t) * 2);
        out.partitions.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            Key key = key_codec<Key>::decode(r);
            const dotnet_ticks last = r.i64();
            out.latest = std::max(out.latest, last);
            out.partitions.insert(std::move(key), last, r);  // throws on a repeated key
        }
        r.expect_end();
        return out;
    }

    static void write_record(byte_writer& w, const store& partitions, std::size_t i) {
        key_codec<Key>::encode(w, partitions.key(i));
        w.i64(partitions.slots().ticks(i));
        partitions.slots().save(i, w);
    }

    std::vector<std::byte> write_snapshot(const store& partitions, dotnet_ticks newest,
                                          dotnet_ticks next_sweep) const {
        byte_writer w;
        write_parameters(w);
        w.i64(newest);
        w.i64(next_sweep);
        w.u64(partitions.size());
        for (std::size_t i = 0; i < partitions.size(); ++i) {
            write_record(w, partitions, i);
        }
        return snapshot_format::seal(kind_, w.bytes());
    }

    /// Software prefetch for a batch: the index entry of the event `index_ahead` ahead, the
    /// partition of the event `slot_ahead` ahead (whose entry came in meanwhile).
    void prefetch_ahead(std::span<const Key> keys, std::size_t i) const {
        constexpr std::size_t index_ahead = 16;
        constexpr std::size_t slot_ahead = 8;
        if (i + index_ahead < keys.size()) {
            partitions_.prefetch_index(keys[i + index_ahead]);
        }
        if (i + slot_ahead < keys.size()) {
            partitions_.prefetch_partition(keys[i + slot_ahead]);
        }
    }

    auto idle_since(dotnet_ticks now, dotnet_ticks max_idle) const {
        return [now, max_idle](dotnet_ticks last) { return now - last > max_idle; };
    }

    /// Feeds one validated, included event: imputation, then the event itself. Returns the
    /// model's result, p-value included; `cursor`, if given, is set to the event's partition.
    typename detail::model_slots<Model>::result_type step(std::size_t at, const Key& key,
                                                          dotnet_ticks ticks, float x,
                                                          partition_cursor* cursor = nullptr) {
        newest_ticks_ = std::max(newest_ticks_, ticks);
        const dotnet_ticks ttl = to_dotnet_ticks(options_.idle_ttl);
        auto& slots = partitions_.slots();
        if (at != store::npos && ttl > 0 && newest_ticks_ - slots.ticks(at) > ttl) {
            partitions_.erase(at);  // idle past the TTL: the key starts afresh
            layout_.change();
            at = store::npos;
        }
        typename detail::model_slots<Model>::result_type out{};
        if (at == store::npos) {
            at = partitions_.insert(key, ticks);
            out = slots.step(at, x);  // a first event imputes nothing
        } else {
            // Within one interval of the last event no slot is missing (the floors differ by at
            // most 1): the common case skips the two divisions.
            if (interval_ > 0 && ticks - slots.ticks(at) > interval_ && !std::isnan(x)) {
                const dotnet_ticks gap = ticks / interval_ - slots.ticks(at) / interval_ - 1;
                const dotnet_ticks missing =
                    std::clamp<dotnet_ticks>(gap, 0, model_options_.history);
                for (dotnet_ticks i = 0; i < missing; ++i) {
                    // newest observation carried back (semantics.md#imputation)
                    (void)slots.step(at, x);
                }
            }
            out = slots.step(at, x);
            slots.ticks(at) = ticks;
        }
        if (cursor != nullptr) {
            *cursor = {at,
                       layout_.id()};  // before the sweep, which changes the layout if it erases
        }
        sweep_idle(ttl);
        return out;
    }

    /// Frees partitions idle past the TTL, at most once per TTL of event time. Outputs never
    /// depend on when this runs: `step` applies the same rule to the partition it touches.
    void sweep_idle(dotnet_ticks ttl) {
        if (ttl <= 0 || newest_ticks_ < next_sweep_ticks_) {
            return;
        }
        const auto idle = idle_since(newest_ticks_, ttl);
        if (tracking_evictions_) {
            for (std::size_t i = 0; i < partitions_.size(); ++i) {
                if (idle(partitions_.slots().ticks(i))) {
                    evicted_.push_back(partitions_.key(i));
                }
            }
        }
        if (partitions_.erase_if(idle) > 0) {
            layout_.change();
        }
        next_sweep_ticks_ = newest_ticks_ + ttl;
    }

    void write_parameters(byte_writer& w) const {
        w.f64(confidence_);
        w.i64(duration_.count());
        w.u8(options_.fractional_confidence ? 1 : 0);
        w.i64(options_.idle_ttl.count());
        detail::model_access::write_options(Model{model_options_}, w);
    }

    double confidence_;
    model_options model_options_;
    std::chrono::nanoseconds duration_;
    function_options options_;
    snapshot_kind kind_;
    dotnet_ticks interval_ = 0;
    dotnet_ticks newest_ticks_ = 0;
    dotnet_ticks next_sweep_ticks_ = 0;
    store partitions_;
    detail::partition_layout layout_;  // changes whenever partitions move: cursors go stale
    bool tracking_evictions_ = false;
    std::vector<Key> evicted_;
};

STREAMCP_END_NAMESPACE
