// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// The smallest KDE bandwidth of the ML.NET-exact detectors: a constant history has no spread.
inline constexpr double min_kde_bandwidth = 1e-6;

/// The adaptive KDE bandwidth over `n` >= 1 stored values whose squared pairwise distances sum
/// to `pairwise_sum` (semantics.md#kde-p-value): sqrt(2) * sqrt(S) / n, sqrt(2) for one value.
/// sqrt(max(S, 0)): S can end a hair below zero through rounding (semantics.md#decision-5).
[[nodiscard]] inline double kde_bandwidth(std::size_t n, double pairwise_sum) noexcept {
    const double bandwidth =
        std::sqrt(2.0) *
        (n == 1 ? 1.0 : std::sqrt(std::max(pairwise_sum, 0.0)) / static_cast<double>(n));
    return std::max(bandwidth, min_kde_bandwidth);
}

STREAMCP_END_NAMESPACE
