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
        // Built from the four results in registers: one load over their four separate stores
        // could not be forwarded from them and would wait until they retire.
        const double e0 = std::exp(lanes[0]);
        const double e1 = std::exp(lanes[1]);
        const double e2 = std::exp(lanes[2]);
        const double e3 = std::exp(lanes[3]);
        const __m256d ev = _mm256_sub_pd(
            one, _mm256_mul_pd(_mm256_mul_pd(poly, t), _mm256_setr_pd(e0, e1, e2, e3)));
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

/// `add_erf_terms` over a whole history of at most `stack_history` values, read in place in
/// storage order (`stored`, the oldest at `oldest`, as `ring_buffer::storage()`), bit for bit:
/// the vector pass computes each value's quotients, polynomial and square exactly as
/// `add_erf_terms_avx2` does, in storage order; then, value by value in FIFO order from
/// `oldest`, the libm exp, the rest of erf_mlnet, and the terms into `acc` and `sum` one by one
/// (the squares are written twice over, at j and j + n, so that FIFO order is one run). No
/// scalar tails per run, and no vector load over the separate stores of the exp results.
__attribute__((target("avx2"))) inline void add_erf_terms_stored_avx2(std::span<const float> stored,
                                                                      std::size_t oldest, double xd,
                                                                      double bandwidth, double& acc,
                                                                      double& sum) noexcept {
    constexpr std::size_t room = stack_history + 4;
    std::array<double, room> ys;           // NOLINT(*-member-init): -(z * z)
    std::array<double, room> pts;          // NOLINT(*-member-init): poly * t
    std::array<double, room> zs;           // NOLINT(*-member-init)
    std::array<double, 2 * room> squares;  // NOLINT(*-member-init)
    const float* v = stored.data();
    const std::size_t n = stored.size();
    const __m256d vx = _mm256_set1_pd(xd);
    const __m256d vbw = _mm256_set1_pd(bandwidth);
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d sign = _mm256_set1_pd(-0.0);
    const __m128i lane = _mm_setr_epi32(0, 1, 2, 3);
    const __m128i count = _mm_set1_epi32(static_cast<int>(n));
    // The last block first: its lanes beyond n write squares at n.., which the first block's
    // second copy then overwrites. Masked loads read nothing beyond the history.
    for (std::size_t i = ((n - 1) & ~std::size_t{3}) + 4; i != 0;) {
        i -= 4;
        const __m128i in =
            _mm_cmpgt_epi32(count, _mm_add_epi32(_mm_set1_epi32(static_cast<int>(i)), lane));
        const __m256d d = _mm256_sub_pd(vx, _mm256_cvtps_pd(_mm_maskload_ps(v + i, in)));
        const __m256d z = _mm256_div_pd(d, vbw);
        const __m256d t = _mm256_div_pd(
            one, _mm256_add_pd(
                     one, _mm256_mul_pd(_mm256_set1_pd(0.3275911), _mm256_andnot_pd(sign, z))));
        __m256d poly = _mm256_sub_pd(_mm256_mul_pd(_mm256_set1_pd(1.061405429), t),
                                     _mm256_set1_pd(1.453152027));
        poly = _mm256_add_pd(_mm256_mul_pd(poly, t), _mm256_set1_pd(1.421413741));
        poly = _mm256_sub_pd(_mm256_mul_pd(poly, t), _mm256_set1_pd(0.284496736));
        poly = _mm256_add_pd(_mm256_mul_pd(poly, t), _mm256_set1_pd(0.254829592));
        _mm256_storeu_pd(ys.data() + i, _mm256_xor_pd(_mm256_mul_pd(z, z), sign));
        _mm256_storeu_pd(pts.data() + i, _mm256_mul_pd(poly, t));
        _mm256_storeu_pd(zs.data() + i, z);
        const __m256d square = _mm256_mul_pd(d, d);
        _mm256_storeu_pd(squares.data() + i, square);
        _mm256_storeu_pd(squares.data() + n + i, square);
    }
    // FIFO order from the oldest: acc and sum take each term as soon as it is ready.
    const double* q = squares.data() + oldest;
    std::size_t j = oldest;
    for (std::size_t k = 0; k < n; ++k) {
        const double ev = 1.0 - pts[j] * std::exp(ys[j]);
        acc -= zs[j] >= 0 ? ev : -ev;  // -0.0 keeps ev, as in ML.NET
        sum += q[k];
        j = j + 1 == n ? 0 : j + 1;
    }
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
    bool in_place = false;
#if STREAMCP_HAVE_AVX2_KERNEL
    in_place = n <= detail::stack_history && detail::cpu_has_avx2_fma();
    if (in_place) {
        detail::add_erf_terms_stored_avx2(history.storage(), history.oldest_index(), xd, bandwidth,
                                          acc, sum);
    }
#endif
    if (!in_place) {
        for (const auto run : {older, newer}) {
            detail::add_erf_terms(run, xd, bandwidth, acc, sum);
        }
    }
    const double p = 0.5 + acc / static_cast<double>(2 * n);

    if (history.full()) {
        // The oldest's distances, the inner ones as float32 subtractions (as in C#), run by run.
        sum = detail::evict_distances(older, newer, xd, sum);
    }
    pairwise_sum = sum;
    return p;
}

STREAMCP_END_NAMESPACE
