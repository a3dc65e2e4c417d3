// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

#include <streamcp/function/event_time.hpp>

namespace streamcp::pipeline {

/// What happens to an event later than the out-of-order tolerance (ASA's policies).
enum class out_of_order_action {
    adjust,  ///< takes the latest acceptable time (the key's latest time minus the tolerance)
    drop,    ///< goes to the rejects output
};

/// The out-of-order tolerance in whole ticks, as event times are. A tolerance that is not a whole
/// number of ticks keeps its meaning: an event is late beyond its floor, and is released (or
/// adjusted) at its ceiling, so no time finer than a tick is ever needed.
struct order_tolerance {
    tick_duration late_beyond;
    tick_duration held_for;

    [[nodiscard]] static order_tolerance of(std::chrono::nanoseconds tolerance) {
        return {std::chrono::floor<tick_duration>(tolerance),
                std::chrono::ceil<tick_duration>(tolerance)};
    }
};

/// One partition key's ordering rule (semantics.md#order, #decision-9): its latest time and the
/// events it holds back, in a min-heap on (time, arrival). The payload is whatever the caller keeps
/// with a held event: the CLI its decoded event and line, the Python binding its index.
template <class Payload>
class key_order {
  public:
    struct held_event {
        event_time time;
        std::uint64_t sequence;  ///< the arrival number: orders held events of equal time
        Payload payload;
    };

    /// What an arriving event does.
    enum class verdict {
        release,  ///< goes out now, at `arrival::time` (adjusted when it was late)
        hold,     ///< must be held (`hold`), then released by `release_due`
        drop,     ///< was late and is dropped
    };
    struct arrival {
        verdict what;
        event_time time;
    };

    /// A key whose first event has time `first` (its latest time until a later one arrives).
    explicit key_order(event_time first) : latest_(first) {}
    /// A key restored from a checkpoint: its latest time and held events (any order).
    key_order(event_time latest, std::vector<held_event> held)
        : latest_(latest), held_(std::move(held)) {
        std::make_heap(held_.begin(), held_.end(), later_first);
    }

    /// Decides about an event of time `time` arriving now and advances the key's latest time.
    /// An adjusted event goes out at once: everything at or before the latest acceptable time
    /// has been released already, so the key's times stay nondecreasing.
    [[nodiscard]] arrival arrive(event_time time, const order_tolerance& tolerance,
                                 out_of_order_action action) {
        if (time < latest_ - tolerance.late_beyond) {
            const event_time acceptable = latest_ - tolerance.held_for;
            return action == out_of_order_action::drop ? arrival{verdict::drop, time}
                                                       : arrival{verdict::release, acceptable};
        }
        latest_ = std::max(latest_, time);
        if (held_.empty() && time <= latest_ - tolerance.held_for) {
            return {verdict::release, time};
        }
        return {verdict::hold, time};
    }

    /// Holds an event `arrive` said to hold; `release_due` then releases what is due.
    void hold(event_time time, std::uint64_t sequence, Payload payload) {
        held_.push_back(held_event{time, sequence, std::move(payload)});
        std::push_heap(held_.begin(), held_.end(), later_first);
    }

    /// Calls `release(held_event&&)` for every held event whose time has come, in release order;
    /// returns how many.
    template <class Release>
    std::size_t release_due(const order_tolerance& tolerance, Release&& release) {
        std::size_t released = 0;
        while (!held_.empty() && held_.front().time <= latest_ - tolerance.held_for) {
            std::pop_heap(held_.begin(), held_.end(), later_first);
            held_event event = std::move(held_.back());
            held_.pop_back();
            ++released;
            release(std::move(event));
        }
        return released;
    }

    /// Takes every held event out, in no particular order (sort with `later_first`).
    [[nodiscard]] std::vector<held_event> take_held() { return std::exchange(held_, {}); }

    /// Gives held events new arrival numbers (`sequence_of(const held_event&)`), as merging
    /// stages that numbered arrivals on their own needs.
    template <class SequenceOf>
    void renumber(SequenceOf&& sequence_of) {
        for (held_event& event : held_) {
            event.sequence = sequence_of(event);
        }
        std::make_heap(held_.begin(), held_.end(), later_first);
    }

    [[nodiscard]] event_time latest() const noexcept { return latest_; }
    /// The held events, in heap order.
    [[nodiscard]] const std::vector<held_event>& held() const noexcept { return held_; }

    /// The heap's order: true when `a` is released after `b`.
    static bool later_first(const held_event& a, const held_event& b) noexcept {
        return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
    }

  private:
    event_time latest_;
    std::vector<held_event> held_;
};

}  // namespace streamcp::pipeline
