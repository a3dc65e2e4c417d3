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

#include <streamcp/state/byte_codec.hpp>

#include "event_decoder.hpp"

namespace streamcp::pipeline {

/// What happens to an event later than the out-of-order tolerance (ASA's policies).
enum class out_of_order_action {
    adjust,  ///< takes the latest acceptable time (the key's latest time minus the tolerance)
    drop,    ///< goes to the rejects output
};

[[nodiscard]] out_of_order_action parse_out_of_order_action(std::string_view name);

/// An event on its way from the ordering stage to the function: its time may be adjusted.
struct released_event {
    const decoded_event& event;
    event_time time;
    std::string_view raw;
    std::uint64_t line;
};

/// ASA's out-of-order policy per partition key (semantics.md#order, #decision-9): events late by at
/// most the tolerance are held back and released in time order (ties in arrival order); later ones
/// are adjusted or dropped. With tolerance 0 nothing is ever held, so events leave in input order
/// and without a copy.
class event_order {
  public:
    event_order(std::chrono::nanoseconds tolerance, out_of_order_action action);

    /// Takes one decoded event. Calls `release(const released_event&)` for every event that is
    /// now due, in release order; returns false (and releases nothing for it) when the event is
    /// dropped as out of order.
    template <class Release>
    bool submit(const decoded_event& event, std::string_view raw, std::uint64_t line,
                Release&& release) {
        auto [it, created] = keys_.try_emplace(event.key);
        key_state& state = it->second;
        if (tracking_ && !state.changed) {  // the lookup is made anyway: no set per event
            state.changed = true;
            changed_keys_.push_back(event.key);
        }
        if (created) {
            state.latest = event.time;
        }
        const event_time acceptable = state.latest - tolerance_;
        if (event.time < acceptable) {
            if (action_ == out_of_order_action::drop) {
                return false;
            }
            // Everything at or before `acceptable` has been released already, so the adjusted
            // event goes out at once and keeps the key's times nondecreasing.
            release(released_event{event, acceptable, raw, line});
            return true;
        }
        state.latest = std::max(state.latest, event.time);
        const event_time due = state.latest - tolerance_;
        if (state.held.empty() && event.time <= due) {
            release(released_event{event, event.time, raw, line});
            return true;
        }
        state.held.push_back(held_event{event, std::string(raw), line, next_sequence_++});
        std::push_heap(state.held.begin(), state.held.end(), later_first);
        ++held_count_;
        release_due(state, due, release);
        return true;
    }

    /// Releases every held event, all keys together in time order: the end of the input.
    template <class Release>
    void flush(Release&& release) {
        std::vector<held_event> all;
        all.reserve(held_count_);
        for (auto& [key, state] : keys_) {
            std::move(state.held.begin(), state.held.end(), std::back_inserter(all));
            state.held.clear();
        }
        std::sort(all.begin(), all.end(),
                  [](const held_event& a, const held_event& b) { return later_first(b, a); });
        held_count_ = 0;
        for (const held_event& held : all) {
            release(released_event{held.event, held.event.time, held.raw, held.line});
        }
    }

    /// Events held back, waiting for their time.
    [[nodiscard]] std::size_t held() const noexcept { return held_count_; }

    /// Writes each key's latest time and held events (their raw lines) for a checkpoint.
    void save(byte_writer& out) const;
    /// Reads what `save` wrote; held events are decoded again with `decoder`.
    void load(byte_reader& in, event_decoder& decoder);

    /// Writes key `key`'s latest time and held events for a checkpoint row (each held event's
    /// arrival number is its line); false, writing nothing, when the stage has no state for it.
    bool save_key(const partition_key& key, byte_writer& out) const;
    /// Copies a `save_key` record into `save`'s layout (after the key) and returns its largest
    /// line, 0 when it holds none. Throws `snapshot_error` when the record is damaged.
    static std::uint64_t copy_key_record(byte_reader& in, byte_writer& out);
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
    struct held_event {
        decoded_event event;
        std::string raw;
        std::uint64_t line;
        std::uint64_t sequence;
    };
    struct key_state {
        event_time latest{};
        std::vector<held_event> held;  // a min-heap on (time, sequence)
        bool changed = false;          // in `changed_keys_`
    };

    static bool later_first(const held_event& a, const held_event& b) noexcept {
        return a.event.time != b.event.time ? a.event.time > b.event.time : a.sequence > b.sequence;
    }

    template <class Release>
    void release_due(key_state& state, event_time due, Release&& release) {
        while (!state.held.empty() && state.held.front().event.time <= due) {
            std::pop_heap(state.held.begin(), state.held.end(), later_first);
            const held_event held = std::move(state.held.back());
            state.held.pop_back();
            --held_count_;
            release(released_event{held.event, held.event.time, held.raw, held.line});
        }
    }

    std::chrono::nanoseconds tolerance_;
    out_of_order_action action_;
    std::unordered_map<partition_key, key_state> keys_;
    std::size_t held_count_ = 0;
    std::uint64_t next_sequence_ = 0;
    bool tracking_ = false;
    std::vector<partition_key> changed_keys_;
};

}  // namespace streamcp::pipeline
