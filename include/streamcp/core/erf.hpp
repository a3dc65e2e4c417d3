// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <limits>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// ML.NET's error function: Abramowitz & Stegun 7.1.26 (semantics.md#erf), absolute error up to
/// about 1.5e-7. The reference's p-values depend on this approximation, including
/// `erf_mlnet(0) ≈ 1e-9`, so `std::erf` must not replace it.
[[nodiscard]] inline double erf_mlnet(double x) noexcept {
    if (x == std::numeric_limits<double>::infinity()) {
        return 1.0;
    }
    if (x == -std::numeric_limits<double>::infinity()) {
        return -1.0;
    }
    const double t = 1.0 / (1.0 + 0.3275911 * std::abs(x));
    const double poly =
        ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592);
    const double ev = 1.0 - poly * t * std::exp(-(x * x));
    return x >= 0 ? ev : -ev;  // -0.0 >= 0 holds, as in ML.NET
}

STREAMCP_END_NAMESPACE
