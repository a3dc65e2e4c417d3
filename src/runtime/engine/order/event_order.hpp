// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <streamcp/function/partition_cursor.hpp>
#include <streamcp/state/byte_codec.hpp>

#include "event_decoder.hpp"
#include "key_order.hpp"
#include "partition_key_hash.hpp"
#include "stored_time.hpp"

namespace streamcp::pipeline {

[[nodiscard]] out_of_order_action parse_out_of_order_action(std::string_view name);

/// An event on its way from the ordering stage to the function: its time may be adjusted.
struct released_event {
    const decoded_event& event;
    event_time time;
    std::string_view raw;
    std::uint64_t line;
    /// Where the function keeps the event's partition, remembered with the key's ordering
    /// state so that one lookup per event serves both stages; null: the function looks it up.
    partition_cursor* cursor = nullptr;
};

/// ASA's out-of-order policy per partition key (semantics.md#order, #decision-9), the rule of
/// `key_order` for every key of decoded events: events late by at most the tolerance are held back
/// and released in time order (ties in arrival order); later ones are adjusted or dropped. With
/// tolerance 0 nothing is ever held, so events leave in input order and without a copy.
class event_order {
  public:
    event_order(std::chrono::nanoseconds tolerance, out_of_order_action action);

    /// Takes one decoded event. Calls `release(const released_event&)` for every event that is
    /// now due, in release order; returns false (and releases nothing for it) when the event is
    /// dropped as out of order.
    template <class Release>
    bool submit(const decoded_event& event, std::string_view raw, std::uint64_t line,
                Release&& release) {
        key_state& state = keys_.try_emplace(event.key, event.time).first->second;
        if (tracking_ && !state.changed) {  // the lookup is made anyway: no set per event
            state.changed = true;
            changed_keys_.push_back(event.key);
        }
        const auto arrival = state.arrive(event.time, in_ticks_, action_);
        if (arrival.what == key_state::verdict::drop) {
            return false;
        }
        if (arrival.what == key_state::verdict::release) {
            release(released_event{event, arrival.time, raw, line, &state.cursor});
            return true;
        }
        state.hold(event.time, next_sequence_++, held_payload{event, std::string(raw), line});
        ++held_count_;
        state.release_due(in_ticks_, [&](held_event&& held) {
            --held_count_;
            release(released_event{held.payload.event, held.time, held.payload.raw,
                                   held.payload.line, &state.cursor});
        });
        return true;
    }

    /// Releases every held event, all keys together in time order: the end of the input.
    template <class Release>
    void flush(Release&& release) {
        std::vector<held_event> all;
        all.reserve(held_count_);
        for (auto& [key, state] : keys_) {
            std::vector<held_event> held = state.take_held();
            std::move(held.begin(), held.end(), std::back_inserter(all));
        }
        std::sort(all.begin(), all.end(), [](const held_event& a, const held_event& b) {
            return key_state::later_first(b, a);
        });
        held_count_ = 0;
        for (const held_event& held : all) {
            release(
                released_event{held.payload.event, held.time, held.payload.raw, held.payload.line});
        }
    }

    /// Events held back, waiting for their time.
    [[nodiscard]] std::size_t held() const noexcept { return held_count_; }

    /// Writes each key's latest time and held events (their raw lines) for a checkpoint.
    void save(byte_writer& out) const;
    /// Reads what `save` wrote, its times in `unit`; held events are decoded again with `decoder`.
    void load(byte_reader& in, event_decoder& decoder, stored_time_unit unit);

    /// Writes key `key`'s latest time and held events for a checkpoint row (each held event's
    /// arrival number is its line); false, writing nothing, when the stage has no state for it.
    bool save_key(const partition_key& key, byte_writer& out) const;
    /// Copies a `save_key` record into `save`'s layout (after the key) and returns its largest
    /// line, 0 when it holds none; its time is read in `unit` and written in ticks. Throws
    /// `snapshot_error` when the record is damaged.
    static std::uint64_t copy_key_record(byte_reader& in, byte_writer& out, stored_time_unit unit);
    /// The arrival number the next held event gets.
    [[nodiscard]] std::uint64_t next_sequence() const noexcept { return next_sequence_; }
    /// Records the key of every event submitted from now on, for `take_changed` (an incremental
    /// checkpoint writes only those keys).
    void track_changes() noexcept { tracking_ = true; }
    [[nodiscard]] bool tracking() const noexcept { return tracking_; }
    /// The keys submitted since the last call (after `track_changes`).
    [[nodiscard]] std::vector<partition_key> take_changed();

    /// Calls `visit(key, held)` for every key the stage has state for.
    void for_each_key(
        const std::function<void(const partition_key& key, std::size_t held)>& visit) const;

    /// Cuts the stage by key into `parts` stages: key `k` goes, with its latest time and held
    /// events, to part `part_of(k)`, which must be below `parts`. Each part keeps the tolerance,
    /// the action and the arrival numbering, so every key behaves as it would in the whole.
    [[nodiscard]] std::vector<event_order> split(
        std::size_t parts, const std::function<std::size_t(const partition_key&)>& part_of) &&;

    /// Joins stages with disjoint keys and the same policy into one, as a single stage that had
    /// seen all their events would hold them: held events are renumbered by line, the arrival
    /// order every part shares. Throws `std::invalid_argument` for a key in two parts or
    /// different policies.
    [[nodiscard]] static event_order merge(std::span<const event_order* const> parts);

  private:
    /// What a held event keeps besides its time: the decoded event and its line, for release.
    struct held_payload {
        decoded_event event;
        std::string raw;
        std::uint64_t line;
    };
    // A key's rule, whether the key is in `changed_keys_`, and where the function keeps it.
    struct key_state : key_order<held_payload> {
        using key_order::key_order;
        bool changed = false;
        partition_cursor cursor;
    };
    using held_event = key_state::held_event;

    std::chrono::nanoseconds tolerance_;
    order_tolerance in_ticks_;  // the tolerance as the per-key rule applies it
    out_of_order_action action_;
    std::unordered_map<partition_key, key_state, partition_key_hash> keys_;
    std::size_t held_count_ = 0;
    std::uint64_t next_sequence_ = 0;
    bool tracking_ = false;
    std::vector<partition_key> changed_keys_;
};

}  // namespace streamcp::pipeline
