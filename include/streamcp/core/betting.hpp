// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// The betting function of the exchangeability martingale (ML.NET `MartingaleType`).
enum class martingale_type : std::uint8_t { power = 1, mixture = 2 };

[[nodiscard]] constexpr std::string_view to_string(martingale_type type) noexcept {
    return type == martingale_type::power ? "power" : "mixture";
}

/// ln(eps * p^(eps - 1)) (semantics.md#betting).
[[nodiscard]] inline double log_power_bet(double p, double epsilon) noexcept {
    return std::log(epsilon) + (epsilon - 1.0) * std::log(p);
}

/// ln of the power bet integrated over eps in [0, 1] (semantics.md#betting).
[[nodiscard]] inline double log_mixture_bet(double p) noexcept {
    const double log_p = std::log(p);
    return std::log(p * log_p + 1.0 - p) - 2.0 * std::log(-log_p) - log_p;
}

[[nodiscard]] inline double log_bet(martingale_type type, double p, double epsilon) noexcept {
    return type == martingale_type::power ? log_power_bet(p, epsilon) : log_mixture_bet(p);
}

/// `log_bet` for one martingale type and epsilon, with ln(epsilon) taken once: the same value
/// (the same log of the same argument, then the same arithmetic) for one log fewer per event.
class log_bettor {
  public:
    log_bettor(martingale_type type, double epsilon) noexcept
        : type_(type), epsilon_(epsilon), log_epsilon_(std::log(epsilon)) {}

    [[nodiscard]] double operator()(double p) const noexcept {
        return type_ == martingale_type::power ? log_epsilon_ + (epsilon_ - 1.0) * std::log(p)
                                               : log_mixture_bet(p);
    }

  private:
    martingale_type type_;
    double epsilon_;
    double log_epsilon_;
};

/// The alert threshold T (semantics.md#threshold): the martingale value of `history` consecutive
/// p-values equal to 1 - confidence/100. It is below 1 for confidence under about 92.26,
/// underflows to 0 for large histories, and is +inf at confidence 100.
[[nodiscard]] inline double martingale_threshold(martingale_type type, double confidence,
                                                 std::int64_t history, double epsilon) noexcept {
    const double a = 1.0 - confidence / 100.0;
    return std::exp(static_cast<double>(history) * log_bet(type, a, epsilon));
}

STREAMCP_END_NAMESPACE
