// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/core/batch_check.hpp"
#include "streamcp/core/betting.hpp"
#include "streamcp/core/kde_pvalue.hpp"
#include "streamcp/core/kde_pvalue_fast.hpp"
#include "streamcp/core/martingale.hpp"
#include "streamcp/core/p_value.hpp"
#include "streamcp/core/ring_buffer.hpp"
#include "streamcp/detail/model_access.hpp"
#include "streamcp/detail/validate.hpp"
#include "streamcp/state/byte_codec.hpp"
#include "streamcp/state/model_snapshot.hpp"
#include "streamcp/state/snapshot.hpp"

STREAMCP_BEGIN_NAMESPACE

/// Parameters of `change_point_detector`, with ML.NET's defaults.
struct change_point_options {
    /// Percent in [0, 100]; used as given (ML.NET's `double` overload, semantics.md#decision-12).
    double confidence = 95.0;
    /// W: the KDE sample size, the martingale window and the warm-up, in events, >= 1.
    std::int64_t history = 20;
    martingale_type martingale = martingale_type::power;
    /// The power martingale's epsilon, in (0, 1). Unused by the mixture martingale.
    double epsilon = 0.1;

    friend bool operator==(const change_point_options&, const change_point_options&) = default;
};

/// One event's output: ML.NET's [Alert, Raw Score, P-Value Score, Martingale Score] less
/// the raw score, which is the input itself.
struct change_point_result {
    /// The windowed martingale M = exp(L): ASA's `Score`. NaN for a NaN input; may be +inf.
    double score;
    /// The two-sided KDE p-value clamped to [1e-8, 1 - 1e-8]. NaN for a NaN input.
    double p_value;
    bool is_anomaly;
};

/// ML.NET's `IidChangePointDetector` on one series (semantics.md#per-event): a two-sided
/// adaptive-KDE p-value per event, a windowed exchangeability martingale over the last `history`
/// bets, an alert when the martingale reaches the threshold once `history` values have been seen,
/// then a cooldown of `history` events.
///
/// Example:
///
///     streamcp::change_point_detector det{{.confidence = 95, .history = 4}};
///     for (double v : {5., 5., 5., 5., 5., 5., 5., 5., 7.}) {
///         auto r = det.update(v);  // the 7 alerts: r.is_anomaly, r.score == 10298.67...
///     }
class change_point_detector {
  public:
    /// What `step_over` reads besides the state: fixed by the (validated) options and the kernel.
    struct step_constants {
        step_constants(const change_point_options& options, kernel_path kernel_choice) noexcept
            : window(static_cast<int>(options.history)),
              threshold(martingale_threshold(options.martingale, options.confidence,
                                             options.history, options.epsilon)),
              bet(options.martingale, options.epsilon),
              kernel(kernel_choice) {}

        int window;  // the history, which is also the cooldown
        double threshold;
        log_bettor bet;
        kernel_path kernel;
    };

    /// Throws `std::invalid_argument` naming the argument when an option is out of range.
    /// `kernel` picks the KDE kernel; it is not state (snapshots neither record nor compare it).
    explicit change_point_detector(const change_point_options& options,
                                   kernel_path kernel = kernel_path::exact)
        : options_(validated(options)),
          history_(static_cast<std::size_t>(options.history)),
          martingale_(static_cast<std::size_t>(options.history)),
          constants_(options_, kernel) {}

    /// Scores one value. The value is rounded to float32 first. NaN yields
    /// {NaN, NaN, false} and changes nothing; ±inf or a value beyond float32's range
    /// throws `std::invalid_argument` and changes nothing.
    change_point_result update(double value) { return step(detail::to_model_value(value)); }

    /// Scores a value already in the model's float32 domain.
    change_point_result step(float x) {
        return step_over(constants_, history_, pairwise_sum_, martingale_, cooldown_, x);
    }

    /// Scores `values` in order into `out` (same length), as repeated `update` calls.
    /// The values are validated first, so a bad value changes nothing.
    void update_many(std::span<const double> values, std::span<change_point_result> out) {
        detail::check_batch(values, out.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            out[i] = step(static_cast<float>(values[i]));
        }
    }

    [[nodiscard]] const change_point_options& options() const noexcept { return options_; }
    /// The alert threshold T (semantics.md#threshold).
    [[nodiscard]] double threshold() const noexcept { return constants_.threshold; }
    /// Values fed so far, capped at `history`: the detector can alert once this equals it.
    [[nodiscard]] std::size_t fill() const noexcept { return history_.size(); }
    [[nodiscard]] kernel_path kernel() const noexcept { return constants_.kernel; }
    void set_kernel(kernel_path kernel) noexcept { constants_.kernel = kernel; }

    /// What `snapshot()` writes into the envelope.
    static constexpr snapshot_kind kind = snapshot_kind::change_point_detector;

    /// The whole state and the options, in the versioned snapshot format (docs/snapshot.md).
    [[nodiscard]] std::vector<std::byte> snapshot() const { return detail::snapshot_model(*this); }

    /// Replaces the state with a snapshot's. Throws `snapshot_error`, leaving this detector
    /// untouched, when the snapshot is damaged, foreign or was taken with other options.
    void restore(std::span<const std::byte> bytes) { detail::restore_model(*this, bytes); }

    /// Builds a detector from a snapshot, with the options it records.
    [[nodiscard]] static change_point_detector from_snapshot(
        std::span<const std::byte> bytes, kernel_path kernel = kernel_path::exact) {
        return detail::model_from_snapshot<change_point_detector>(bytes, kernel);
    }

  private:
    friend struct detail::model_access;

    /// The numerics of `step` over state held anywhere: R (`ring_buffer<float>` or
    /// `ring_span<float>`), S, the martingale (anything with `push(log_bet)`) and the cooldown
    /// (anything with `admit(raw, window)`). The compact partition store steps its slots
    /// through this, so both run the same code.
    template <class History, class Martingale, class Cooldown>
    static change_point_result step_over(const step_constants& c, History& history,
                                         double& pairwise_sum, Martingale& martingale,
                                         Cooldown& cooldown, float x) {
        constexpr double nan = std::numeric_limits<double>::quiet_NaN();
        if (std::isnan(x)) {
            return {nan, nan, false};
        }
        double p = c.kernel == kernel_path::exact ? kde_pvalue(history, pairwise_sum, x)
                                                  : kde_pvalue_fast(history, pairwise_sum, x);
        p = clamp_p_value(std::min(p, 1.0 - p));
        history.push_back(x);
        const double log_m = martingale.push(c.bet(p));
        const double m = std::exp(log_m);
        bool alert = false;
        if (history.full()) {
            alert = cooldown.admit(m >= c.threshold, c.window);
        }
        return {m, p, alert};
    }

    /// Writes ML.NET's state fields (semantics.md#snapshots: U, R, L, S, cooldown); no envelope. U
    /// is written as the count of first-bet stand-ins, the first bet, then the later bets.
    void save_state(byte_writer& w) const {
        write_state(w, martingale_.standins(), martingale_.first_bet(), martingale_.bets(),
                    history_, martingale_.log_value(), pairwise_sum_, cooldown_.remaining());
    }

    /// `save_state` over state held anywhere (rings: `ring_buffer` or `ring_span`).
    template <class Bets, class History>
    static void write_state(byte_writer& w, std::uint64_t standins, double first_bet,
                            const Bets& bets, const History& history, double log_value,
                            double pairwise_sum, std::int32_t cooldown) {
        w.u64(standins);
        w.f64(first_bet);
        detail::write_ring(w, bets);
        detail::write_ring(w, history);
        w.f64(log_value);
        w.f64(pairwise_sum);
        w.i32(cooldown);
    }

    /// Reads what `save_state` wrote, validating it against this detector's options.
    void load_state(byte_reader& r) {
        const auto window = static_cast<std::size_t>(options_.history);
        const std::uint64_t standins = r.u64();
        const double first_bet = r.f64();
        const std::size_t n_bets = r.length(sizeof(double));
        const bool seen_any = standins != 0 || n_bets != 0;
        if (standins > window || n_bets > window || (seen_any && standins + n_bets != window)) {
            throw snapshot_error(
                fmt::format("martingale window of {} holds {} stand-ins and {} bets", window,
                            standins, n_bets));
        }
        ring_buffer<double> bets{window};
        for (std::size_t i = 0; i < n_bets; ++i) {
            bets.push_back(r.f64());
        }
        ring_buffer<float> values = detail::read_history(r, window);
        if (values.empty() == seen_any) {
            throw snapshot_error(
                "history and martingale window disagree on whether any event "
                "was seen");
        }
        const double log_value = r.f64();
        const double pairwise_sum = r.f64();
        const std::int32_t cooldown = r.i32();
        if (cooldown < 0 || cooldown > options_.history) {
            throw snapshot_error(
                fmt::format("cooldown {} outside [0, {}]", cooldown, options_.history));
        }
        martingale_.assign(static_cast<std::size_t>(standins), first_bet, bets, log_value);
        history_ = std::move(values);
        pairwise_sum_ = pairwise_sum;
        cooldown_.assign(cooldown);
    }

    void write_options(byte_writer& w) const {
        w.f64(options_.confidence);
        w.i64(options_.history);
        w.u8(static_cast<std::uint8_t>(options_.martingale));
        w.f64(options_.epsilon);
    }

    static change_point_options read_options(byte_reader& r) {
        change_point_options o;
        o.confidence = r.f64();
        o.history = r.i64();
        const std::uint8_t type = r.u8();
        if (type != static_cast<std::uint8_t>(martingale_type::power) &&
            type != static_cast<std::uint8_t>(martingale_type::mixture)) {
            throw snapshot_error(fmt::format("unknown martingale type {}", type));
        }
        o.martingale = static_cast<martingale_type>(type);
        o.epsilon = r.f64();
        try {
            return validated(o);
        } catch (const std::invalid_argument& e) {
            throw snapshot_error(std::string("invalid options: ") + e.what());
        }
    }

    static change_point_options validated(const change_point_options& o) {
        detail::check_closed("confidence", o.confidence, 0.0, 100.0);
        detail::check_history(o.history);
        if (o.martingale != martingale_type::power && o.martingale != martingale_type::mixture) {
            detail::throw_out_of_range("martingale", std::to_string(static_cast<int>(o.martingale)),
                                       "allowed power or mixture");
        }
        detail::check_open("epsilon", o.epsilon, 0.0, 1.0);
        return o;
    }

    change_point_options options_;
    ring_buffer<float> history_;  // R: the KDE sample, float32 as in ML.NET
    double pairwise_sum_ = 0.0;   // S: sum of squared pairwise distances within R
    windowed_log_martingale martingale_;
    alert_cooldown cooldown_;
    step_constants constants_;
};

STREAMCP_END_NAMESPACE
