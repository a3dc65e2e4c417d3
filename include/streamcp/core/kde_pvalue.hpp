// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "streamcp/config.hpp"
#include "streamcp/core/erf.hpp"
#include "streamcp/core/kde_bandwidth.hpp"
#include "streamcp/core/ring_buffer.hpp"

#if defined(__FAST_MATH__)
#error "streamcp's exact path reproduces ML.NET bit for bit and cannot be built with -ffast-math"
#endif

STREAMCP_BEGIN_NAMESPACE

/// The adaptive-bandwidth Gaussian KDE p-value (semantics.md#kde-p-value): the right-tail
/// probability of `x` against the values in `history`, which is read before `x` is added.
///
/// `pairwise_sum` is the running sum S of squared pairwise distances within `history`. It
/// is updated in ML.NET's exact order: the bandwidth comes from the old S, each distance
/// to `x` is added after its erf, and when `history` is full the distances of the element
/// about to be evicted are subtracted, the inner ones as a float32 subtraction.
/// The caller pushes `x` into `history` afterwards.
///
/// `History` is `ring_buffer<float>` or `ring_span<float>` (anything with their interface).
template <class History>
[[nodiscard]] double kde_pvalue(const History& history, double& pairwise_sum, float x) noexcept {
    const std::size_t n = history.size();
    if (n == 0) {
        return 0.5;
    }
    const double xd = x;
    const double bandwidth = kde_bandwidth(n, pairwise_sum);

    double acc = 0.0;
    double sum = pairwise_sum;
    const auto [older, newer] = history.segments();
    for (const auto run : {older, newer}) {
        for (const float r : run) {
            const double d = xd - static_cast<double>(r);
            acc -= erf_mlnet(d / bandwidth);
            sum += d * d;
        }
    }
    const double p = 0.5 + acc / static_cast<double>(2 * n);

    if (history.full()) {
        const float oldest = history.front();
        for (std::size_t i = 1; i < n; ++i) {
            const double d = oldest - history[i];  // float32 subtraction, as in C#
            sum -= d * d;
        }
        const double d = static_cast<double>(oldest) - xd;
        sum -= d * d;
    }
    pairwise_sum = sum;
    return p;
}

STREAMCP_END_NAMESPACE
