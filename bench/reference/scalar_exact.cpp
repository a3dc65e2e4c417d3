// SPDX-License-Identifier: MIT
#include "scalar_exact.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <utility>

namespace streamcp_bench {
namespace {

constexpr double epsilon = 0.1;

double erf_as(double x) {
    if (std::isinf(x)) {
        return x > 0 ? 1.0 : -1.0;
    }
    const double t = 1.0 / (1.0 + 0.3275911 * std::abs(x));
    const double poly =
        ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592);
    const double ev = 1.0 - poly * t * std::exp(-(x * x));
    return x >= 0 ? ev : -ev;
}

double log_bet(double p) { return std::log(epsilon) + (epsilon - 1.0) * std::log(p); }

}  // namespace

scalar_exact_detector::scalar_exact_detector(double confidence, std::size_t history)
    : history_(history),
      threshold_(std::exp(static_cast<double>(history) * log_bet(1.0 - confidence / 100.0))) {}

scalar_result scalar_exact_detector::update(double value) {
    const auto x = static_cast<float>(value);
    const double xd = x;
    const std::size_t n = values_.size();
    double p = 0.5;
    if (n > 0) {
        double bandwidth =
            std::sqrt(2.0) * (n == 1 ? 1.0 : std::sqrt(std::max(pairwise_sum_, 0.0)) / double(n));
        bandwidth = std::max(bandwidth, 1e-6);
        double acc = 0.0;
        // Oldest first (S's order is ML.NET's): from the head to the end, then the start.
        for (const auto& [from, to] : {std::pair{head_, n}, std::pair{std::size_t{0}, head_}}) {
            for (std::size_t k = from; k < to; ++k) {
                const double d = xd - values_[k];
                acc -= erf_as(d / bandwidth);
                pairwise_sum_ += d * d;
            }
        }
        p = 0.5 + acc / static_cast<double>(2 * n);
        if (n == history_) {
            const float oldest = values_[head_];
            for (const auto& [from, to] :
                 {std::pair{head_ + 1, n}, std::pair{std::size_t{0}, head_}}) {
                for (std::size_t k = from; k < to; ++k) {
                    const double d = oldest - values_[k];  // float32 subtraction
                    pairwise_sum_ -= d * d;
                }
            }
            const double d = static_cast<double>(oldest) - xd;
            pairwise_sum_ -= d * d;
        }
    }
    if (n < history_) {
        values_.push_back(x);
    } else {
        values_[head_] = x;
        head_ = (head_ + 1) % n;
    }
    p = std::clamp(std::min(p, 1.0 - p), 1e-8, 1.0 - 1e-8);
    const double bet = log_bet(p);
    if (bets_.empty()) {
        bets_.assign(history_, bet);  // the first bet stands in for the whole window
        log_value_ = static_cast<double>(history_) * bet;
    } else {
        log_value_ += bet;
        log_value_ -= bets_[bet_head_];
        bets_[bet_head_] = bet;
        bet_head_ = (bet_head_ + 1) % history_;
    }
    const double m = std::exp(log_value_);
    bool alert = false;
    if (values_.size() == history_) {
        alert = m >= threshold_ && cooldown_ == 0;
        if (alert) {
            cooldown_ = static_cast<int>(history_);
        }
        cooldown_ = cooldown_ > 0 ? cooldown_ - 1 : 0;
    }
    return {m, p, alert};
}

void scalar_exact_detector::update_many(const double* values, std::size_t n, scalar_result* out) {
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = update(values[i]);
    }
}

}  // namespace streamcp_bench
