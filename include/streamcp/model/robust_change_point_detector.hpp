// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/core/batch_check.hpp"
#include "streamcp/core/batch_error.hpp"
#include "streamcp/core/p_value.hpp"
#include "streamcp/detail/model_access.hpp"
#include "streamcp/detail/validate.hpp"
#include "streamcp/state/byte_codec.hpp"
#include "streamcp/state/model_snapshot.hpp"
#include "streamcp/state/snapshot.hpp"

STREAMCP_BEGIN_NAMESPACE

/// What a detection does with the KDE sample's values from before the change's onset.
enum class robust_forget : std::uint8_t {
    /// Drop them: the new regime is compared only with itself.
    always = 0,
    /// Keep them: a sample spanning a full cycle of seasonal data stays whole (a restart
    /// would cut it at every half-cycle and report the next half as a change).
    never = 1,
    /// Drop them only when most values since the onset (two or more) lie outside their
    /// range: a level shift starts afresh, a swing within the usual range or a lone outlier
    /// does not.
    outside_range = 2,
};

/// Parameters of `robust_change_point_detector`. The defaults were chosen by cross-validation
/// on the NAB and TCPD benchmarks together (docs/quality.md); they are not ML.NET's.
struct robust_change_point_options {
    /// Percent in (0, 100): alert when the CUSUM martingale reaches 1 / (1 - confidence/100).
    double confidence = 90.0;
    /// W: the most recent values the KDE compares a new value with, >= 2.
    std::int64_t history = 450;
    /// Values needed (since the start or the last change) before the detector bets, in
    /// [2, history]. Fewer values cannot tell the data's scale.
    std::int64_t min_history = 10;
    /// The power betting function's epsilon, in (0, 1).
    double epsilon = 0.1;
    /// Fewest events a detection takes, in [1, history]: one event's log bet is capped at
    /// log(threshold) / min_run, so an isolated outlier cannot be a change on its own.
    std::int64_t min_run = 1;
    /// Score first differences (changes of slope in trending data) instead of the values.
    bool difference = false;
    /// Score each value's residual from the least-squares line through the KDE sample,
    /// extrapolated one step, against the sample's own residuals (a level or slope break
    /// of a trending series). Needs min_history >= 3. Combines with `difference`.
    bool detrend = false;
    /// L: each KDE p-value is ranked among the last L ones, and the martingale bets on that
    /// rank, (1 + #{past p <= p}) / (1 + L'), instead of on the p-value itself (0 = off).
    /// Autocorrelated or seasonal data gives runs of small KDE p-values with no change;
    /// ranked, they are only small when more extreme than what the data usually does.
    std::int64_t calibration = 0;
    /// Events after a detection during which the detector learns but does not bet, >= 0:
    /// one change is reported once, not again while the new regime settles.
    std::int64_t cooldown = 30;
    /// Whether a detection drops the values before its onset from the KDE sample.
    robust_forget forget = robust_forget::outside_range;
    /// Two-window comparison (0 = off, else in [2, history]): the p-value is the larger of
    /// the new value's p-values against the whole sample and against its last
    /// `short_history` values, so a change must stand out from both: a swing a long seasonal
    /// sample has seen before does not, nor does a slow drift the recent values follow.
    /// Ignored with `detrend`.
    std::int64_t short_history = 0;
    /// Seasonality (0 = off, else in [10, 1000000]): after this many values the detector
    /// looks for a period, the lag P in [5, n/2) where the autocorrelation of the n values
    /// seen peaks above 0.5, and again at 2, 4 and 8 times as many until one is found. With
    /// a period, a value's p-value is min(1, 2·min(p, p_P)), p_P that of x − x[t−P] against
    /// the KDE of the recent such differences: a day unlike the day before stands out even
    /// when its values stay within the usual range.
    std::int64_t period_search = 100;

    friend bool operator==(const robust_change_point_options&,
                           const robust_change_point_options&) = default;
};

/// One event's output of `robust_change_point_detector`.
struct robust_change_point_result {
    /// exp(C), the CUSUM of the log bets (>= 1); NaN for a NaN input.
    double score;
    /// The p-value the martingale bets on: the two-sided KDE p-value 2·min(p, 1 − p), or its
    /// rank among the recent ones with `calibration`; NaN during warm-up and for a NaN input.
    double p_value;
    /// Whether a change was detected at this event.
    bool is_change;
    /// On a change: how many scored events ago the change began (0 = this event), the
    /// start of the CUSUM excursion that crossed the threshold. -1 otherwise.
    std::int64_t onset_lag;
};

/// An opt-in change-point detector built from the same pieces as ML.NET's
/// `IidChangePointDetector` (a Gaussian KDE p-value with the buffer's standard deviation as
/// bandwidth, a power betting function) with the statistical flaws of that design fixed.
/// It is NOT ASA- or ML.NET-compatible; docs/quality.md justifies each difference:
///
/// 1. no bets until `min_history` values are held, so the bandwidth always reflects the
///    data's scale (ML.NET bets from the second value with bandwidth √2 whatever the scale);
/// 2. the two-sided p-value is 2·min(p, 1 − p), uniform under no change (ML.NET's
///    min(p, 1 − p) is uniform on [0, ½], so its martingale grows by ~1.87 per event on
///    stationary data);
/// 3. a CUSUM of log bets (the martingale restarted whenever it falls below 1) replaces
///    the product of the last W bets, and the threshold is 1/α, as for a test martingale;
/// 4. a detection reports the change's onset (where the CUSUM excursion began) and
///    restarts the detector there: the KDE sample keeps only values since the onset (by
///    default only when the new regime leaves the old values' range, see 5);
/// 5. after a detection, `cooldown` events without bets, and (`forget`) the old values are
///    dropped only when the new regime leaves their range, so that a long history holding a
///    whole seasonal cycle is not cut at every half-cycle;
/// 6. a period found in the data by autocorrelation (`period_search`): each value is also
///    compared with the same phase of the previous period.
///
/// Optional input transforms (`difference`, `detrend`) suit trending series.
///
/// NaN inputs change nothing. Non-finite values throw `std::invalid_argument`.
/// `snapshot()` / `restore()` save and restore the whole state (docs/snapshot.md, kind 5).
class robust_change_point_detector {
  public:
    explicit robust_change_point_detector(const robust_change_point_options& options = {})
        : options_(validated(options)),
          log_threshold_(-std::log1p(-options.confidence / 100.0)),
          log_epsilon_(std::log(options.epsilon)),
          max_log_bet_(log_threshold_ / static_cast<double>(options.min_run)) {}

    /// Scores one value (see the class comment).
    robust_change_point_result update(double value) {
        constexpr double nan = std::numeric_limits<double>::quiet_NaN();
        if (std::isnan(value)) {
            return {nan, nan, false, -1};
        }
        check_value(value, has_previous_, previous_);
        double x = value;
        if (options_.difference) {
            const bool first = !has_previous_;
            x = value - previous_;
            previous_ = value;
            has_previous_ = true;
            if (first) {
                return {std::exp(cusum_), nan, false, -1};
            }
        }
        const std::optional<double> seasonal = seasonal_difference(x);
        ++run_length_;
        const bool cooling = cooldown_left_ > 0;
        if (cooling) {
            --cooldown_left_;
        }
        if (sample_.size() < static_cast<std::size_t>(options_.min_history)) {
            push(x, seasonal);
            run_length_ = 0;  // nothing bet yet: no excursion to date a change from
            return {std::exp(cusum_), nan, false, -1};
        }
        double kde_p = options_.detrend ? detrended_p_value(x) : two_window_p_value(x);
        if (seasonal && seasonal_sample_.size() >= static_cast<std::size_t>(options_.min_history)) {
            // Bonferroni: the smaller of two p-values, doubled, is a p-value.
            kde_p = std::min(1.0,
                             2.0 * std::min(kde_p, two_sided_p_value(seasonal_sample_, *seasonal)));
        }
        push(x, seasonal);
        const double p = options_.calibration > 0 ? calibrated(kde_p) : kde_p;
        if (cooling) {
            run_length_ = 0;  // the CUSUM stays at zero after a restart
            return {std::exp(cusum_), p, false, -1};
        }
        const double log_bet =
            std::min(log_epsilon_ + (options_.epsilon - 1.0) * std::log(p), max_log_bet_);
        if (cusum_ <= 0.0) {
            run_length_ = 1;  // a new excursion starts with this event
        }
        cusum_ = std::max(0.0, cusum_ + log_bet);
        if (cusum_ < log_threshold_) {
            return {std::exp(cusum_), p, false, -1};
        }
        const double score = std::exp(cusum_);
        const auto lag = static_cast<std::int64_t>(run_length_ - 1);
        restart_at(run_length_);
        return {score, p, true, lag};
    }

    /// Scores `values` in order into `out` (same length), as repeated `update` calls.
    void update_many(std::span<const double> values, std::span<robust_change_point_result> out) {
        detail::check_batch_size(values.size(), out.size());
        bool has_previous = has_previous_;
        double previous = previous_;
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double v = values[i];
            try {
                check_value(v, has_previous, previous);
            } catch (const std::invalid_argument& e) {
                throw batch_error(i, batch_field::value, e.what());
            }
            if (options_.difference && !std::isnan(v)) {
                previous = v;
                has_previous = true;
            }
        }
        for (std::size_t i = 0; i < values.size(); ++i) {
            out[i] = update(values[i]);
        }
    }

    [[nodiscard]] const robust_change_point_options& options() const noexcept { return options_; }
    /// The alert threshold on the CUSUM martingale, 1 / (1 - confidence/100).
    [[nodiscard]] double threshold() const noexcept { return std::exp(log_threshold_); }
    /// Values in the KDE sample (at most `history`).
    [[nodiscard]] std::size_t fill() const noexcept { return sample_.size(); }

    /// What `snapshot()` writes into the envelope.
    static constexpr snapshot_kind kind = snapshot_kind::robust_change_point_detector;

    /// The whole state and the options, in the versioned snapshot format (docs/snapshot.md).
    [[nodiscard]] std::vector<std::byte> snapshot() const { return detail::snapshot_model(*this); }

    /// Replaces the state with a snapshot's. Throws `snapshot_error`, leaving this detector
    /// untouched, when the snapshot is damaged, foreign or was taken with other options.
    void restore(std::span<const std::byte> bytes) { detail::restore_model(*this, bytes); }

    /// Builds a detector from a snapshot, with the options it records.
    [[nodiscard]] static robust_change_point_detector from_snapshot(
        std::span<const std::byte> bytes) {
        return detail::model_from_snapshot<robust_change_point_detector>(bytes);
    }

  private:
    friend struct detail::model_access;

    /// Writes the state (no options, no envelope): the KDE sample, C, the excursion length
    /// and the previous raw value (difference mode); in layout 2 also the recent p-values
    /// (`calibration`) and the events of cooldown left; in layout 3 also the period found,
    /// whether the search is over, the values kept for it and the seasonal differences.
    void save_state(byte_writer& w) const {
        w.u64(sample_.size());
        for (const double v : sample_) {
            w.f64(v);
        }
        w.f64(cusum_);
        w.u64(run_length_);
        w.f64(previous_);
        w.u8(has_previous_ ? 1 : 0);
        if (layout_2(options_)) {
            w.u64(past_p_.size());
            for (const double p : past_p_) {
                w.f64(p);
            }
            w.u64(cooldown_left_);
        }
        if (layout_3(options_)) {
            w.u64(period_);
            w.u8(search_over_ ? 1 : 0);
            write_values(w, recent_);
            write_values(w, seasonal_sample_);
        }
    }

    /// Reads what `save_state` wrote, validating it against this detector's options.
    void load_state(byte_reader& r) {
        const std::size_t n = r.length(sizeof(double));
        if (n > static_cast<std::size_t>(options_.history)) {
            throw snapshot_error(fmt::format("KDE sample holds {} values, more than history = {}",
                                             n, options_.history));
        }
        std::deque<double> sample;
        for (std::size_t i = 0; i < n; ++i) {
            const double v = r.f64();
            if (!std::isfinite(v)) {
                throw snapshot_error("KDE sample holds a non-finite value");
            }
            sample.push_back(v);
        }
        const double cusum = r.f64();
        if (!(cusum >= 0.0 && cusum < log_threshold_)) {
            throw snapshot_error("CUSUM outside [0, log threshold)");
        }
        const std::uint64_t run_length = r.u64();
        if ((cusum > 0.0 && run_length == 0) ||
            (n < static_cast<std::size_t>(options_.min_history) && run_length != 0)) {
            throw snapshot_error(fmt::format(
                "excursion length {} contradicts the CUSUM and the sample", run_length));
        }
        const double previous = r.f64();
        const std::uint8_t has_previous = r.u8();
        if (!std::isfinite(previous) || has_previous > 1) {
            throw snapshot_error("invalid previous value");
        }
        std::deque<double> past_p;
        std::uint64_t cooldown_left = 0;
        if (layout_2(options_)) {
            const std::size_t m = r.length(sizeof(double));
            if (m > static_cast<std::size_t>(options_.calibration)) {
                throw snapshot_error(fmt::format(
                    "holds {} past p-values, more than calibration = {}", m, options_.calibration));
            }
            for (std::size_t i = 0; i < m; ++i) {
                const double p = r.f64();
                if (!(p > 0.0 && p <= 1.0)) {
                    throw snapshot_error("a past p-value is outside (0, 1]");
                }
                past_p.push_back(p);
            }
            cooldown_left = r.u64();
            if (cooldown_left > static_cast<std::uint64_t>(options_.cooldown)) {
                throw snapshot_error(fmt::format("cooldown left {} exceeds cooldown = {}",
                                                 cooldown_left, options_.cooldown));
            }
        }
        std::size_t period = 0;
        bool search_over = false;
        std::deque<double> recent;
        std::deque<double> seasonal_sample;
        if (layout_3(options_)) {
            const std::uint64_t found = r.u64();
            const std::uint8_t over = r.u8();
            const auto search = static_cast<std::uint64_t>(options_.period_search);
            if (over > 1 || found > search * max_search_multiple / 2 || (found > 0 && over == 0)) {
                throw snapshot_error("invalid period search state");
            }
            period = static_cast<std::size_t>(found);
            search_over = over == 1;
            recent = read_values(r, search * max_search_multiple, "values kept for the period");
            seasonal_sample = read_values(r, static_cast<std::uint64_t>(options_.history),
                                          "seasonal differences");
            const bool consistent = period > 0    ? recent.size() == period
                                    : search_over ? recent.empty() && seasonal_sample.empty()
                                                  : recent.size() < search * max_search_multiple &&
                                                        seasonal_sample.empty();
            if (!consistent) {
                throw snapshot_error("the period search state contradicts its values");
            }
        }
        sample_ = std::move(sample);
        recent_ = std::move(recent);
        period_ = period;
        search_over_ = search_over;
        seasonal_sample_ = std::move(seasonal_sample);
        past_p_ = std::move(past_p);
        cooldown_left_ = static_cast<std::size_t>(cooldown_left);
        cusum_ = cusum;
        run_length_ = static_cast<std::size_t>(run_length);
        previous_ = previous;
        has_previous_ = has_previous == 1;
    }

    /// Layout 1 (before `calibration` and `cooldown`) starts with the confidence, which is
    /// positive; layout 2 starts with this marker. Detectors with both options off still
    /// write layout 1, byte for byte, so their snapshots load in older builds too.
    static constexpr double layout_2_marker = -2.0;
    /// Layout 3 (`period_search` on) adds that option and the seasonal state to layout 2.
    static constexpr double layout_3_marker = -3.0;

    void write_options(byte_writer& w) const {
        if (layout_3(options_)) {
            w.f64(layout_3_marker);
        } else if (layout_2(options_)) {
            w.f64(layout_2_marker);
        }
        w.f64(options_.confidence);
        w.i64(options_.history);
        w.i64(options_.min_history);
        w.f64(options_.epsilon);
        w.i64(options_.min_run);
        w.u8(options_.difference ? 1 : 0);
        w.u8(options_.detrend ? 1 : 0);
        if (layout_2(options_)) {
            w.i64(options_.calibration);
            w.i64(options_.cooldown);
            w.u8(static_cast<std::uint8_t>(options_.forget));
            w.i64(options_.short_history);
        }
        if (layout_3(options_)) {
            w.i64(options_.period_search);
        }
    }

    static robust_change_point_options read_options(byte_reader& r) {
        robust_change_point_options o;
        const double first = r.f64();
        const bool layout_3_found = first == layout_3_marker;
        const bool layout_2_found = first == layout_2_marker || layout_3_found;
        if (!layout_2_found && !(first > 0.0)) {
            // {:f}: the fixed six decimals std::to_string wrote before
            throw snapshot_error(
                fmt::format("unknown robust detector snapshot layout (starts with {:f})", first));
        }
        o.confidence = layout_2_found ? r.f64() : first;
        o.history = r.i64();
        o.min_history = r.i64();
        o.epsilon = r.f64();
        o.min_run = r.i64();
        const std::uint8_t difference = r.u8();
        const std::uint8_t detrend = r.u8();
        if (difference > 1 || detrend > 1) {
            throw snapshot_error("difference and detrend flags must be 0 or 1");
        }
        o.difference = difference == 1;
        o.detrend = detrend == 1;
        if (layout_2_found) {
            o.calibration = r.i64();
            o.cooldown = r.i64();
            const std::uint8_t forget = r.u8();
            if (forget > static_cast<std::uint8_t>(robust_forget::outside_range)) {
                throw snapshot_error("the forget rule must be 0, 1 or 2");
            }
            o.forget = static_cast<robust_forget>(forget);
            o.short_history = r.i64();
            o.period_search = layout_3_found ? r.i64() : 0;
            if (layout_3_found != layout_3(o) || !layout_2(o)) {
                throw snapshot_error(fmt::format("layout {} with the options of an older layout",
                                                 layout_3_found ? 3 : 2));
            }
        } else {  // layout 1 predates these options: they were off
            o.calibration = 0;
            o.cooldown = 0;
            o.forget = robust_forget::always;
            o.short_history = 0;
            o.period_search = 0;
        }
        try {
            return validated(o);
        } catch (const std::invalid_argument& e) {
            throw snapshot_error(std::string("invalid options: ") + e.what());
        }
    }

    static void write_values(byte_writer& w, const std::deque<double>& values) {
        w.u64(values.size());
        for (const double v : values) {
            w.f64(v);
        }
    }

    /// Reads what `write_values` wrote: at most `most` finite values.
    static std::deque<double> read_values(byte_reader& r, std::uint64_t most, const char* what) {
        const std::size_t n = r.length(sizeof(double));
        if (n > most) {
            throw snapshot_error(fmt::format("{}: {}, more than {}", what, n, most));
        }
        std::deque<double> values;
        for (std::size_t i = 0; i < n; ++i) {
            const double v = r.f64();
            if (!std::isfinite(v)) {
                throw snapshot_error(fmt::format("{}: a non-finite value", what));
            }
            values.push_back(v);
        }
        return values;
    }

    /// Throws unless `value` is a number or NaN and, in difference mode, its difference from
    /// the previous value (when there is one) is finite. Changes nothing.
    void check_value(double value, bool has_previous, double previous) const {
        if (std::isinf(value)) {
            detail::throw_out_of_range("value", detail::format_number(value),
                                       "allowed a finite number or NaN");
        }
        if (options_.difference && has_previous && !std::isnan(value) &&
            !std::isfinite(value - previous)) {
            detail::throw_out_of_range(
                "value", detail::format_number(value),
                fmt::format("allowed a number whose difference from the previous value, {}, is "
                            "a finite double (difference mode)",
                            detail::format_number(previous)));
        }
    }

    static robust_change_point_options validated(const robust_change_point_options& o) {
        detail::check_open("confidence", o.confidence, 0.0, 100.0);
        detail::check_at_least("history", o.history, 2);
        // detrend fits a line through the sample and scores its residuals: three points at least
        detail::check_integer(o.detrend ? "min_history (with detrend)" : "min_history",
                              o.min_history, o.detrend ? 3 : 2, o.history);
        detail::check_open("epsilon", o.epsilon, 0.0, 1.0);
        detail::check_integer("min_run", o.min_run, 1, o.history);
        detail::check_integer("calibration", o.calibration, 0, max_calibration);
        detail::check_at_least("cooldown", o.cooldown, 0);
        if (o.short_history != 0) {
            detail::check_integer("short_history", o.short_history, 2, o.history,
                                  fmt::format("0 or [2, {}]", o.history));
        }
        if (o.period_search != 0) {
            detail::check_integer(
                "period_search", o.period_search, min_period_search, max_period_search,
                fmt::format("0 or [{}, {}]", min_period_search, max_period_search));
        }
        return o;
    }

    /// The KDE bandwidth's floor, relative to the sample's largest magnitude (at least 1).
    static constexpr double relative_bandwidth_floor = 1e-9;
    /// Keeps a snapshot's recorded length from asking for absurd allocations.
    static constexpr std::int64_t max_calibration = std::int64_t{1} << 32;
    /// A period search needs lag 5 and a neighbour each side (10 values); the values
    /// kept while searching (up to 8 × period_search) stay bounded.
    static constexpr std::int64_t min_period_search = 10;
    static constexpr std::int64_t max_period_search = 1'000'000;
    static constexpr std::size_t max_search_multiple = 8;

    [[nodiscard]] static bool layout_2(const robust_change_point_options& o) noexcept {
        return o.calibration > 0 || o.cooldown > 0 || o.forget != robust_forget::always ||
               o.short_history > 0 || layout_3(o);
    }

    [[nodiscard]] static bool layout_3(const robust_change_point_options& o) noexcept {
        return o.period_search > 0;
    }

    /// `calibration`: the rank of `p` among the last L KDE p-values, counting ties as at
    /// least as extreme (conservative), then `p` joins them.
    [[nodiscard]] double calibrated(double p) {
        std::size_t as_extreme = 1;
        for (const double q : past_p_) {
            as_extreme += q <= p ? 1 : 0;
        }
        const double rank =
            static_cast<double>(as_extreme) / static_cast<double>(past_p_.size() + 1);
        past_p_.push_back(p);
        if (past_p_.size() > static_cast<std::size_t>(options_.calibration)) {
            past_p_.pop_front();
        }
        return rank;
    }

    void push(double x, std::optional<double> seasonal) {
        sample_.push_back(x);
        if (sample_.size() > static_cast<std::size_t>(options_.history)) {
            sample_.pop_front();
        }
        if (seasonal) {
            seasonal_sample_.push_back(*seasonal);
            if (seasonal_sample_.size() > static_cast<std::size_t>(options_.history)) {
                seasonal_sample_.pop_front();
            }
        }
    }

    /// `period_search`: x − x[t−P] once a period P is known (and P values are held), else
    /// nothing. Keeps the last P values; before a period is found, every value seen, and
    /// looks for one when their count is period_search times 1, 2, 4 or 8.
    [[nodiscard]] std::optional<double> seasonal_difference(double x) {
        if (period_ > 0) {
            const double lagged = recent_.front();
            recent_.pop_front();
            recent_.push_back(x);
            return x - lagged;
        }
        if (options_.period_search == 0 || search_over_) {
            return std::nullopt;
        }
        recent_.push_back(x);
        const auto search = static_cast<std::size_t>(options_.period_search);
        const std::size_t n = recent_.size();
        const std::size_t multiple = n / search;
        if (n % search != 0 || (multiple & (multiple - 1)) != 0) {
            return std::nullopt;
        }
        period_ = autocorrelation_period(recent_);
        if (period_ > 0) {
            recent_.erase(recent_.begin(), recent_.end() - static_cast<std::ptrdiff_t>(period_));
        }
        if (period_ > 0 || multiple == max_search_multiple) {
            search_over_ = true;
            if (period_ == 0) {
                recent_.clear();
            }
        }
        return std::nullopt;
    }

    /// The lag in [5, n/2) (a local maximum) with the largest autocorrelation above 0.5, the
    /// first on ties; 0 when none. Autocorrelation at lag k: Σ (x_i − x̄)(x_{i+k} − x̄) over
    /// the n − k pairs, divided by n − k, over the variance.
    [[nodiscard]] static std::size_t autocorrelation_period(const std::deque<double>& values) {
        constexpr std::size_t shortest = 4;
        const std::size_t n = values.size();
        const std::size_t longest = n / 2;
        if (longest <= shortest + 1) {
            return 0;
        }
        double mean = 0.0;
        for (const double v : values) {
            mean += v;
        }
        mean /= static_cast<double>(n);
        std::vector<double> centred(values.begin(), values.end());
        for (double& v : centred) {
            v -= mean;
        }
        const auto acf = [&](std::size_t lag) {
            double sum = 0.0;
            for (std::size_t i = 0; i + lag < n; ++i) {
                sum += centred[i] * centred[i + lag];
            }
            return sum / static_cast<double>(n - lag);
        };
        const double variance = acf(0);
        if (!(variance > 0.0)) {
            return 0;
        }
        std::size_t best = 0;
        double best_r = 0.5;
        double before = acf(shortest) / variance;
        double here = acf(shortest + 1) / variance;
        for (std::size_t lag = shortest + 1; lag < longest; ++lag) {
            const double after = acf(lag + 1) / variance;
            if (here >= before && here >= after && here > best_r) {
                best = lag;
                best_r = here;
            }
            before = here;
            here = after;
        }
        return best;
    }

    /// Two-sided p-value of `x` against the KDE of `sample`: kernel standard deviation
    /// σ (the sample's population standard deviation), as in ML.NET, so the density is the
    /// sample smoothed by its own spread. Recomputed from the sample (no running sums):
    /// W is small, and nothing can drift.
    template <class Sample>
    [[nodiscard]] static double two_sided_p_value(const Sample& sample, double x) {
        const auto n = static_cast<double>(sample.size());
        double mean = 0.0;
        double scale = 1.0;
        for (const double r : sample) {
            mean += r;
            scale = std::max(scale, std::abs(r));
        }
        mean /= n;
        double var = 0.0;
        for (const double r : sample) {
            var += (r - mean) * (r - mean);
        }
        // A constant sample has no spread: floor the bandwidth relative to the values'
        // magnitude (not at an absolute 1e-6), so the floor means the same at any scale.
        const double bandwidth =
            std::max(std::sqrt(2.0) * std::sqrt(var / n), relative_bandwidth_floor * scale);
        double right = 0.0;
        for (const double r : sample) {
            right += 0.5 * std::erfc((x - r) / bandwidth);
        }
        right /= n;
        const double p = 2.0 * std::min(right, 1.0 - right);
        return std::clamp(p, min_p_value, 1.0);
    }

    /// The p-value of `x` against the sample, or with `short_history` the larger of that and
    /// the p-value against the sample's most recent values (the larger of two p-values is a
    /// p-value: each is small with probability at most α under no change).
    [[nodiscard]] double two_window_p_value(double x) {
        const double p = two_sided_p_value(sample_, x);
        const auto recent = static_cast<std::size_t>(options_.short_history);
        if (recent == 0 || sample_.size() <= recent) {
            return p;
        }
        residuals_.assign(sample_.end() - static_cast<std::ptrdiff_t>(recent), sample_.end());
        return std::max(p, two_sided_p_value(residuals_, x));
    }

    /// `detrend`: fits the least-squares line y = a + b·t through the sample (t = 0..n−1),
    /// and scores x's prediction error at t = n against the in-sample residuals. Both are
    /// put on the scale of the noise: an in-sample residual's variance is σ²(1 − 2/n) on
    /// average, a one-step prediction error's σ²(1 + 1/n + (n − t̄)²/Sxx), so a plain
    /// comparison would flag every extrapolation.
    [[nodiscard]] double detrended_p_value(double x) {
        const std::size_t n = sample_.size();
        const auto nd = static_cast<double>(n);
        const double t_mean = (nd - 1.0) / 2.0;
        const double sxx = nd * (nd * nd - 1.0) / 12.0;
        double y_mean = 0.0;
        for (const double y : sample_) {
            y_mean += y;
        }
        y_mean /= nd;
        double sxy = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            sxy += (static_cast<double>(i) - t_mean) * (sample_[i] - y_mean);
        }
        const double slope = sxy / sxx;
        const double in_sample = std::sqrt(1.0 - 2.0 / nd);
        residuals_.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            residuals_[i] =
                (sample_[i] - y_mean - slope * (static_cast<double>(i) - t_mean)) / in_sample;
        }
        const double ahead = nd - t_mean;
        const double error =
            (x - y_mean - slope * ahead) / std::sqrt(1.0 + 1.0 / nd + ahead * ahead / sxx);
        return two_sided_p_value(residuals_, error);
    }

    /// Whether a restart keeping the last `keep` values drops the older ones (`forget`).
    [[nodiscard]] bool forgets(std::size_t keep) const {
        switch (options_.forget) {
            case robust_forget::always:
                return true;
            case robust_forget::never:
                return false;
            case robust_forget::outside_range:
                break;
        }
        if (keep < 2 || keep >= sample_.size()) {
            return false;
        }
        const auto old_end = sample_.end() - static_cast<std::ptrdiff_t>(keep);
        const auto range = std::minmax_element(sample_.begin(), old_end);
        const double low = *range.first;
        const double high = *range.second;
        const auto outside = std::count_if(old_end, sample_.end(),
                                           [low, high](double v) { return v < low || v > high; });
        return 2 * static_cast<std::size_t>(outside) > keep;
    }

    /// Starts afresh at the onset: the CUSUM at zero and only the last `keep` values
    /// (those since the onset, the current one included) in the KDE sample, so the new
    /// regime is not scored against the old one.
    void restart_at(std::size_t keep) {
        if (forgets(keep)) {
            while (sample_.size() > keep) {
                sample_.pop_front();
            }
            while (seasonal_sample_.size() > keep) {
                seasonal_sample_.pop_front();
            }
        }
        cusum_ = 0.0;
        run_length_ = 0;  // the next bet opens a new excursion
        cooldown_left_ = static_cast<std::size_t>(options_.cooldown);
    }

    robust_change_point_options options_;
    double log_threshold_;
    double log_epsilon_;
    double max_log_bet_;          // log(threshold) / min_run
    std::deque<double> sample_;   // the KDE sample: the last `history` values since a restart
    double cusum_ = 0.0;          // C = max(0, C + log bet): log of the CUSUM martingale
    std::size_t run_length_ = 0;  // events in the current CUSUM excursion
    double previous_ = 0.0;       // the last raw value (difference mode)
    bool has_previous_ = false;
    std::deque<double> past_p_;      // the last `calibration` KDE p-values
    std::size_t cooldown_left_ = 0;  // events left without bets after a detection
    std::deque<double> recent_;      // period_search: the values seen, or the last P once found
    std::size_t period_ = 0;         // the period found, 0 while none
    bool search_over_ = false;       // a period was found, or none at 8 × period_search values
    std::deque<double> seasonal_sample_;  // the last `history` x − x[t−P] since a restart
    std::vector<double> residuals_;       // scratch space (detrend, short_history), not state
};

STREAMCP_END_NAMESPACE
