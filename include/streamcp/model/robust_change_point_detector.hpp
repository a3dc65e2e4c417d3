// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// Parameters of `robust_change_point_detector`. The defaults were chosen on the TCPD
/// benchmark (docs/quality.md); they are not ML.NET's.
struct robust_change_point_options {
    /// Percent in (0, 100): alert when the CUSUM martingale reaches 1 / (1 - confidence/100).
    double confidence = 95.0;
    /// W: the most recent values the KDE compares a new value with, >= 2.
    std::int64_t history = 30;
    /// Values needed (since the start or the last change) before the detector bets, in
    /// [2, history]. Fewer values cannot tell the data's scale.
    std::int64_t min_history = 10;
    /// The power betting function's epsilon, in (0, 1).
    double epsilon = 0.1;
    /// Score first differences (changes of slope in trending data) instead of the values.
    bool difference = false;

    friend bool operator==(const robust_change_point_options&,
                           const robust_change_point_options&) = default;
};

/// One event's output of `robust_change_point_detector`.
struct robust_change_point_result {
    /// exp(C), the CUSUM of the log bets (>= 1); NaN for a NaN input.
    double score;
    /// The two-sided p-value 2·min(p, 1 − p); NaN during warm-up and for a NaN input.
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
///    restarts the detector there: the KDE sample keeps only values since the onset.
///
/// NaN inputs change nothing. Non-finite values throw `std::invalid_argument`.
class robust_change_point_detector {
  public:
    explicit robust_change_point_detector(const robust_change_point_options& options = {})
        : options_(validated(options)),
          log_threshold_(-std::log1p(-options.confidence / 100.0)),
          log_epsilon_(std::log(options.epsilon)) {}

    /// Scores one value (see the class comment).
    robust_change_point_result update(double value) {
        constexpr double nan = std::numeric_limits<double>::quiet_NaN();
        if (std::isnan(value)) {
            return {nan, nan, false, -1};
        }
        if (!std::isfinite(value)) {
            throw std::invalid_argument("value must be finite or NaN");
        }
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
        ++run_length_;
        if (sample_.size() < static_cast<std::size_t>(options_.min_history)) {
            push(x);
            run_length_ = 0;  // nothing bet yet: no excursion to date a change from
            return {std::exp(cusum_), nan, false, -1};
        }
        const double p = two_sided_p_value(x);
        push(x);
        const double log_bet = log_epsilon_ + (options_.epsilon - 1.0) * std::log(p);
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
        if (out.size() != values.size()) {
            throw std::invalid_argument("out has " + std::to_string(out.size()) +
                                        " elements; values has " + std::to_string(values.size()));
        }
        for (const double v : values) {
            if (std::isinf(v)) {
                throw std::invalid_argument("value must be finite or NaN");
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

  private:
    static robust_change_point_options validated(const robust_change_point_options& o) {
        if (!(o.confidence > 0.0 && o.confidence < 100.0)) {
            throw std::invalid_argument("confidence must be in (0, 100)");
        }
        if (o.history < 2) {
            throw std::invalid_argument("history must be >= 2");
        }
        if (o.min_history < 2 || o.min_history > o.history) {
            throw std::invalid_argument("min_history must be in [2, history]");
        }
        if (!(o.epsilon > 0.0 && o.epsilon < 1.0)) {
            throw std::invalid_argument("epsilon must be in (0, 1)");
        }
        return o;
    }

    void push(double x) {
        sample_.push_back(x);
        if (sample_.size() > static_cast<std::size_t>(options_.history)) {
            sample_.pop_front();
        }
    }

    /// Two-sided p-value of `x` against the KDE of the sample: kernel standard deviation
    /// σ (the sample's population standard deviation), as in ML.NET, so the density is the
    /// sample smoothed by its own spread. Recomputed from the sample (no running sums):
    /// W is small, and nothing can drift.
    [[nodiscard]] double two_sided_p_value(double x) const {
        const auto n = static_cast<double>(sample_.size());
        double mean = 0.0;
        double scale = 1.0;
        for (const double r : sample_) {
            mean += r;
            scale = std::max(scale, std::abs(r));
        }
        mean /= n;
        double var = 0.0;
        for (const double r : sample_) {
            var += (r - mean) * (r - mean);
        }
        // A constant sample has no spread: floor the bandwidth relative to the values'
        // magnitude (not at an absolute 1e-6), so the floor means the same at any scale.
        const double bandwidth = std::max(std::sqrt(2.0) * std::sqrt(var / n), 1e-9 * scale);
        double right = 0.0;
        for (const double r : sample_) {
            right += 0.5 * std::erfc((x - r) / bandwidth);
        }
        right /= n;
        const double p = 2.0 * std::min(right, 1.0 - right);
        // Floor: log(0) would make one event an infinite bet; 1e-8 is ML.NET's clamp.
        return std::clamp(p, 1e-8, 1.0);
    }

    /// Starts afresh at the onset: the CUSUM at zero and only the last `keep` values
    /// (those since the onset, the current one included) in the KDE sample, so the new
    /// regime is not scored against the old one.
    void restart_at(std::size_t keep) {
        while (sample_.size() > keep) {
            sample_.pop_front();
        }
        cusum_ = 0.0;
        run_length_ = 0;  // the next bet opens a new excursion
    }

    robust_change_point_options options_;
    double log_threshold_;
    double log_epsilon_;
    std::deque<double> sample_;   // the KDE sample: the last `history` values since a restart
    double cusum_ = 0.0;          // C = max(0, C + log bet): log of the CUSUM martingale
    std::size_t run_length_ = 0;  // events in the current CUSUM excursion
    double previous_ = 0.0;       // the last raw value (difference mode)
    bool has_previous_ = false;
};

STREAMCP_END_NAMESPACE
