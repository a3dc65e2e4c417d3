// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <cstddef>

#include "streamcp/config.hpp"
#include "streamcp/core/ring_buffer.hpp"

STREAMCP_BEGIN_NAMESPACE

/// One step of the windowed log-martingale (semantics.md#martingale) over its parts: the bets after
/// the first (a `ring_buffer<double>` or `ring_span<double>` whose capacity is the window), the
/// count of first-bet stand-ins ahead of them, the first bet and L. Returns the new L. Shared
/// by `windowed_log_martingale` and the compact partition store.
template <class Ring, class Count>
double push_windowed_log_bet(Ring& bets, Count& standins, double& first_bet, double& log_value,
                             double log_bet) {
    if (standins == 0 && bets.empty()) {
        standins = static_cast<Count>(bets.capacity());
        first_bet = log_bet;
        log_value += static_cast<double>(bets.capacity()) * log_bet;
    } else {
        log_value += log_bet;  // two roundings in this order, as ML.NET
        log_value -= standins > 0 ? first_bet : bets.front();
        if (standins > 0) {
            --standins;
        }
        bets.push_back(log_bet);
    }
    return log_value;
}

/// The windowed log-martingale (semantics.md#martingale): L is the running sum of the last `window`
/// log betting values U. The first value stands in for the whole window ("pretend the window is
/// already full"), so M = exp(L) is defined from the first event on. The stand-ins are kept as a
/// count, so memory grows with the events seen, not with the window.
class windowed_log_martingale {
  public:
    windowed_log_martingale() = default;
    explicit windowed_log_martingale(std::size_t window) : bets_(window) {}

    /// Adds one log betting value and returns the new log-martingale L.
    double push(double log_bet) {
        return push_windowed_log_bet(bets_, standins_, first_bet_, log_value_, log_bet);
    }

    [[nodiscard]] double log_value() const noexcept { return log_value_; }
    [[nodiscard]] double value() const noexcept { return std::exp(log_value_); }
    [[nodiscard]] std::size_t window() const noexcept { return bets_.capacity(); }
    /// Copies of the first bet still in the window, ahead of `bets()`.
    [[nodiscard]] std::size_t standins() const noexcept { return standins_; }
    [[nodiscard]] double first_bet() const noexcept { return first_bet_; }
    /// The bets pushed after the first event, oldest first.
    [[nodiscard]] const ring_buffer<double>& bets() const noexcept { return bets_; }

    /// Replaces the state; used by snapshot decoding, which has validated the sizes.
    void assign(std::size_t standins, double first_bet, const ring_buffer<double>& bets,
                double log_value) {
        standins_ = standins;
        first_bet_ = first_bet;
        bets_ = bets;
        log_value_ = log_value;
    }

  private:
    ring_buffer<double> bets_;
    std::size_t standins_ = 0;
    double first_bet_ = 0.0;
    double log_value_ = 0.0;
};

/// The cooldown rule of `alert_cooldown` over its counter: returns whether a raw alert
/// survives, and advances `remaining`.
inline bool admit_after_cooldown(int& remaining, bool raw_alert, int window) noexcept {
    bool alert = raw_alert;
    if (alert) {
        if (remaining > 0) {
            alert = false;
        } else {
            remaining = window;
        }
    }
    remaining = remaining > 0 ? remaining - 1 : 0;
    return alert;
}

/// After an alert the next `window - 1` events cannot alert (semantics.md#cooldown). The counter is
/// advanced on every event once the history is full, alert or not.
class alert_cooldown {
  public:
    /// Returns whether a raw alert survives the cooldown, and advances the counter.
    bool admit(bool raw_alert, int window) noexcept {
        return admit_after_cooldown(remaining_, raw_alert, window);
    }

    [[nodiscard]] int remaining() const noexcept { return remaining_; }
    void assign(int remaining) noexcept { remaining_ = remaining; }

  private:
    int remaining_ = 0;
};

STREAMCP_END_NAMESPACE
