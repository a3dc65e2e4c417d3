// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <span>

#include "streamcp/config.hpp"
#include "streamcp/core/erf.hpp"
#include "streamcp/core/kde_bandwidth.hpp"
#include "streamcp/core/kde_pvalue_fast.hpp"
#include "streamcp/core/ring_buffer.hpp"

#if defined(__FAST_MATH__)
#error "streamcp's exact path reproduces ML.NET bit for bit and cannot be built with -ffast-math"
#endif

STREAMCP_BEGIN_NAMESPACE
namespace detail {

/// `kde_pvalue`'s loop over one run of the history: subtracts each value's erf from `acc` and
/// adds its squared distance to `sum`, in order.
inline void add_erf_terms_scalar(std::span<const float> run, double xd, double bandwidth,
                                 double& acc, double& sum) noexcept {
    for (const float r : run) {
        const double d = xd - static_cast<double>(r);
        acc -= erf_mlnet(d / bandwidth);
        sum += d * d;
    }
}

#if STREAMCP_HAVE_AVX2_KERNEL

/// `add_erf_terms_scalar` four values at a time, bit for bit: each vector operation is the
/// scalar one's IEEE operation (AVX2 without FMA, so nothing contracts), exp stays the scalar
/// libm call, and `acc` and `sum` still take the terms one by one in order. The divisions and
/// the polynomial, most of erf_mlnet's latency, then run four to an instruction.
__attribute__((target("avx2"))) inline void add_erf_terms_avx2(std::span<const float> run,
                                                               double xd, double bandwidth,
                                                               double& acc, double& sum) noexcept {
    const __m256d vx = _mm256_set1_pd(xd);
    const __m256d vbw = _mm256_set1_pd(bandwidth);
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d sign = _mm256_set1_pd(-0.0);
    std::size_t i = 0;
    for (; i + 4 <= run.size(); i += 4) {
        const __m256d d = _mm256_sub_pd(vx, _mm256_cvtps_pd(_mm_loadu_ps(run.data() + i)));
        const __m256d z = _mm256_div_pd(d, vbw);
        const __m256d t = _mm256_div_pd(
            one, _mm256_add_pd(
                     one, _mm256_mul_pd(_mm256_set1_pd(0.3275911), _mm256_andnot_pd(sign, z))));
        __m256d poly = _mm256_sub_pd(_mm256_mul_pd(_mm256_set1_pd(1.061405429), t),
                                     _mm256_set1_pd(1.453152027));
        poly = _mm256_add_pd(_mm256_mul_pd(poly, t), _mm256_set1_pd(1.421413741));
        poly = _mm256_sub_pd(_mm256_mul_pd(poly, t), _mm256_set1_pd(0.284496736));
        poly = _mm256_add_pd(_mm256_mul_pd(poly, t), _mm256_set1_pd(0.254829592));
        alignas(32) std::array<double, 4> lanes;  // NOLINT(*-member-init)
        _mm256_store_pd(lanes.data(), _mm256_xor_pd(_mm256_mul_pd(z, z), sign));  // -(z * z)
        for (double& y : lanes) {
            y = std::exp(y);
        }
        const __m256d ev =
            _mm256_sub_pd(one, _mm256_mul_pd(_mm256_mul_pd(poly, t), _mm256_load_pd(lanes.data())));
        // z >= 0 ? ev : -ev (-0.0 keeps ev, as in ML.NET)
        const __m256d negative = _mm256_cmp_pd(z, _mm256_setzero_pd(), _CMP_NGE_UQ);
        alignas(32) std::array<double, 4> erfs;     // NOLINT(*-member-init)
        alignas(32) std::array<double, 4> squares;  // NOLINT(*-member-init)
        _mm256_store_pd(erfs.data(), _mm256_xor_pd(ev, _mm256_and_pd(negative, sign)));
        _mm256_store_pd(squares.data(), _mm256_mul_pd(d, d));
        for (std::size_t k = 0; k < 4; ++k) {
            acc -= erfs[k];
            sum += squares[k];
        }
    }
    add_erf_terms_scalar(run.subspan(i), xd, bandwidth, acc, sum);
}

#endif  // STREAMCP_HAVE_AVX2_KERNEL

inline void add_erf_terms(std::span<const float> run, double xd, double bandwidth, double& acc,
                          double& sum) noexcept {
#if STREAMCP_HAVE_AVX2_KERNEL
    if (cpu_has_avx2_fma()) {
        add_erf_terms_avx2(run, xd, bandwidth, acc, sum);
        return;
    }
#endif
    add_erf_terms_scalar(run, xd, bandwidth, acc, sum);
}

}  // namespace detail

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
        detail::add_erf_terms(run, xd, bandwidth, acc, sum);
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
