// SPDX-License-Identifier: MIT
#pragma once

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// The smallest p-value a detector bets on or reports (semantics.md#kde-p-value): log(0) would
/// make one event an infinite bet. The largest is 1 - min_p_value.
inline constexpr double min_p_value = 1e-8;

/// Clamps a p-value into [min_p_value, 1 - min_p_value], ML.NET's safe range; NaN passes
/// through unchanged.
[[nodiscard]] inline double clamp_p_value(double p) noexcept {
    constexpr double max_p = 1.0 - min_p_value;
    if (p < min_p_value) {
        return min_p_value;
    }
    if (p > max_p) {
        return max_p;
    }
    return p;
}

STREAMCP_END_NAMESPACE
