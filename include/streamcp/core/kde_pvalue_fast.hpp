// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "streamcp/config.hpp"
#include "streamcp/core/erf.hpp"
#include "streamcp/core/kde_bandwidth.hpp"
#include "streamcp/core/ring_buffer.hpp"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define STREAMCP_HAVE_AVX2_KERNEL 1
#else
#define STREAMCP_HAVE_AVX2_KERNEL 0
#endif

/// Forces the AVX2 kernel inline where the build targets AVX2 and FMA (-march=native): a call
/// per event spills every vector register and reloads the kernel's constants. Elsewhere the
/// kernel cannot be inlined into code built without those targets, and stays a call.
#if STREAMCP_HAVE_AVX2_KERNEL && defined(__AVX2__) && defined(__FMA__)
#define STREAMCP_AVX2_KERNEL_INLINE __attribute__((always_inline))
#else
#define STREAMCP_AVX2_KERNEL_INLINE
#endif

STREAMCP_BEGIN_NAMESPACE

/// Which KDE p-value kernel a model uses. `exact` reproduces ML.NET bit for bit
/// (semantics.md#kde-p-value, #numeric-types). `fast` vectorises erf and exp over the stored values
/// and reassociates their sum: p-values stay within 1e-14 absolute of the exact path. The kernel is
/// not state: it is never written into snapshots nor compared on restore.
enum class kernel_path : std::uint8_t { exact = 0, fast = 1 };

[[nodiscard]] constexpr std::string_view to_string(kernel_path k) noexcept {
    return k == kernel_path::exact ? "exact" : "fast";
}

namespace detail {

/// Adds (xd - r)^2 for each r to `sum`, in order, one rounding each: S's first half of
/// `kde_pvalue`. S is carried across events, so it is never reassociated (that would drift
/// without bound from the exact path): it is a serial chain of dependent adds.
[[nodiscard]] inline double add_distances(std::span<const float> r, double xd,
                                          double sum) noexcept {
    for (const float v : r) {
        const double d = xd - static_cast<double>(v);
        sum += d * d;
    }
    return sum;
}

/// S's second half of `kde_pvalue` for a full history: subtracts the distances of the oldest
/// element, which `x` evicts, the inner ones as a float32 subtraction.
[[nodiscard]] inline double evict_distances(std::span<const float> older,
                                            std::span<const float> newer, double xd,
                                            double sum) noexcept {
    const float oldest = older.front();  // full: the oldest element opens `older`
    for (const float v : older.subspan(1)) {
        const double d = oldest - v;  // float32 subtraction, as in C#
        sum -= d * d;
    }
    for (const float v : newer) {
        const double d = oldest - v;
        sum -= d * d;
    }
    const double d = static_cast<double>(oldest) - xd;
    return sum - d * d;
}

/// sum over r of erf_mlnet((xd - r) * inv_bw), in any order; the portable fallback.
[[nodiscard]] inline double erf_sum_scalar(std::span<const float> r, double xd,
                                           double inv_bw) noexcept {
    std::array<double, 4> s{};  // independent chains: latency, not order, matters here
    std::size_t i = 0;
    for (; i + 4 <= r.size(); i += 4) {
        for (std::size_t k = 0; k < 4; ++k) {
            s[k] += erf_mlnet((xd - static_cast<double>(r[i + k])) * inv_bw);
        }
    }
    for (; i < r.size(); ++i) {
        s[0] += erf_mlnet((xd - static_cast<double>(r[i])) * inv_bw);
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

#if STREAMCP_HAVE_AVX2_KERNEL

/// How `exp_nonpositive_avx2` evaluates its polynomial: Horner's scheme, the fewest
/// instructions (long histories, where the erf loop is bound by throughput), or Estrin's, four
/// dependent FMAs instead of thirteen for three more instructions (short histories, where the
/// event's chain of latencies is what takes the time).
enum class poly_scheme : std::uint8_t { horner, estrin };

/// exp(y) for y <= 0, four lanes: Cody-Waite reduction to |r| <= ln2/2, then the Taylor
/// polynomial of degree 13 (truncation below 1e-17 relative); 0 below -700, where erf_mlnet's
/// term 1 - poly*t*exp(-z^2) is 1 in double anyway.
template <poly_scheme Scheme = poly_scheme::horner>
STREAMCP_AVX2_KERNEL_INLINE __attribute__((target("avx2,fma"))) inline __m256d exp_nonpositive_avx2(
    __m256d y) noexcept {
    const __m256d k = _mm256_round_pd(_mm256_mul_pd(y, _mm256_set1_pd(1.4426950408889634)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fmadd_pd(k, _mm256_set1_pd(-6.93147180369123816490e-01), y);
    r = _mm256_fmadd_pd(k, _mm256_set1_pd(-1.90821492927058770002e-10), r);
    __m256d p;
    if constexpr (Scheme == poly_scheme::horner) {
        p = _mm256_set1_pd(1.0 / 6227020800.0);  // 1/13!
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 479001600.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 39916800.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 3628800.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 362880.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 40320.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 5040.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 720.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 120.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 24.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 6.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(0.5));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
    } else {
        // Pairs c_i + c_{i+1} r (c_i = 1/i!), then pairs of pairs by r^2, r^4 and r^8.
        const __m256d r2 = _mm256_mul_pd(r, r);
        const __m256d r4 = _mm256_mul_pd(r2, r2);
        const __m256d r8 = _mm256_mul_pd(r4, r4);
        const __m256d q01 = _mm256_add_pd(_mm256_set1_pd(1.0), r);
        const __m256d q23 = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 6.0), r, _mm256_set1_pd(0.5));
        const __m256d q45 =
            _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 120.0), r, _mm256_set1_pd(1.0 / 24.0));
        const __m256d q67 =
            _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 5040.0), r, _mm256_set1_pd(1.0 / 720.0));
        const __m256d q89 =
            _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 362880.0), r, _mm256_set1_pd(1.0 / 40320.0));
        const __m256d q1011 =
            _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 39916800.0), r, _mm256_set1_pd(1.0 / 3628800.0));
        const __m256d q1213 = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 6227020800.0), r,
                                              _mm256_set1_pd(1.0 / 479001600.0));
        const __m256d q0_3 = _mm256_fmadd_pd(q23, r2, q01);
        const __m256d q4_7 = _mm256_fmadd_pd(q67, r2, q45);
        const __m256d q8_11 = _mm256_fmadd_pd(q1011, r2, q89);
        const __m256d q0_7 = _mm256_fmadd_pd(q4_7, r4, q0_3);
        const __m256d q8_13 = _mm256_fmadd_pd(q1213, r4, q8_11);
        p = _mm256_fmadd_pd(q8_13, r8, q0_7);
    }
    // 2^k by adding k to the exponent field; k >= -1010 keeps the result normal.
    const __m256i kbits =
        _mm256_castpd_si256(_mm256_add_pd(k, _mm256_set1_pd(6755399441055744.0)));  // 1.5 * 2^52
    const __m256d scaled =
        _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(p), _mm256_slli_epi64(kbits, 52)));
    const __m256d in_range = _mm256_cmp_pd(y, _mm256_set1_pd(-700.0), _CMP_GE_OQ);
    return _mm256_and_pd(scaled, in_range);
}

/// erf_mlnet of four lanes (A&S 7.1.26 with the vectorised exp).
template <poly_scheme Scheme = poly_scheme::horner>
STREAMCP_AVX2_KERNEL_INLINE __attribute__((target("avx2,fma"))) inline __m256d erf_mlnet_avx2(
    __m256d z) noexcept {
    const __m256d sign_mask = _mm256_set1_pd(-0.0);
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d az = _mm256_andnot_pd(sign_mask, z);
    const __m256d t = _mm256_div_pd(one, _mm256_fmadd_pd(_mm256_set1_pd(0.3275911), az, one));
    __m256d poly = _mm256_set1_pd(1.061405429);
    poly = _mm256_fmadd_pd(poly, t, _mm256_set1_pd(-1.453152027));
    poly = _mm256_fmadd_pd(poly, t, _mm256_set1_pd(1.421413741));
    poly = _mm256_fmadd_pd(poly, t, _mm256_set1_pd(-0.284496736));
    poly = _mm256_fmadd_pd(poly, t, _mm256_set1_pd(0.254829592));
    const __m256d e = exp_nonpositive_avx2<Scheme>(_mm256_mul_pd(_mm256_xor_pd(z, sign_mask), z));
    const __m256d ev = _mm256_fnmadd_pd(_mm256_mul_pd(poly, t), e, one);
    // Negate where z < 0: -0.0 keeps +ev, as `x >= 0 ? ev : -ev` does (x = -0.0 gives d = -0.0).
    const __m256d negative = _mm256_cmp_pd(z, _mm256_setzero_pd(), _CMP_LT_OQ);
    return _mm256_xor_pd(ev, _mm256_and_pd(negative, sign_mask));
}

[[nodiscard]] STREAMCP_AVX2_KERNEL_INLINE __attribute__((target("avx2,fma"))) inline double
hsum_avx2(__m256d v) noexcept {
    const __m128d lo = _mm256_castpd256_pd128(v);
    const __m128d hi = _mm256_extractf128_pd(v, 1);
    const __m128d s = _mm_add_pd(lo, hi);
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/// Writes S's update for one event as a list of terms, in `kde_pvalue`'s order: (x - r)^2 for
/// each stored r, then, when the history is full, -(oldest - r)^2 (float32 subtraction) for each
/// r after the oldest and -(oldest - x)^2. Adding them to S one by one in this order rounds
/// exactly as `add_distances` then `evict_distances` (s - a is s + (-a) in IEEE arithmetic).
/// The terms are independent, so this pass is vectorised; returns how many were written.
__attribute__((target("avx2,fma"))) inline std::size_t pairwise_sum_terms(
    std::span<const float> older, std::span<const float> newer, bool full, double xd,
    double* out) noexcept {
    double* o = out;
    const __m256d vx = _mm256_set1_pd(xd);
    for (const auto run : {older, newer}) {
        std::size_t i = 0;
        for (; i + 4 <= run.size(); i += 4, o += 4) {
            const __m256d d = _mm256_sub_pd(vx, _mm256_cvtps_pd(_mm_loadu_ps(run.data() + i)));
            _mm256_storeu_pd(o, _mm256_mul_pd(d, d));
        }
        for (; i < run.size(); ++i) {
            const double d = xd - static_cast<double>(run[i]);
            *o++ = d * d;
        }
    }
    if (full) {
        const float oldest = older.front();  // full: the oldest element opens `older`
        const __m128 vo = _mm_set1_ps(oldest);
        const __m256d negate = _mm256_set1_pd(-0.0);
        for (const auto run : {older.subspan(1), newer}) {
            std::size_t i = 0;
            for (; i + 4 <= run.size(); i += 4, o += 4) {
                // float32 subtraction, as in C#, then the square in double
                const __m256d d = _mm256_cvtps_pd(_mm_sub_ps(vo, _mm_loadu_ps(run.data() + i)));
                _mm256_storeu_pd(o, _mm256_xor_pd(_mm256_mul_pd(d, d), negate));
            }
            for (; i < run.size(); ++i) {
                const double d = oldest - run[i];
                *o++ = -(d * d);
            }
        }
        const double d = static_cast<double>(oldest) - xd;  // the evicting value itself
        *o++ = -(d * d);
    }
    return static_cast<std::size_t>(o - out);
}

/// The serial chain of S over `pairwise_sum_terms`, sixteen additions per `advance`: the erf
/// loop interleaves them with its own work, so the out-of-order core runs the chain beside the
/// erf polynomials (the adds and the FMAs use different pipes) instead of after them.
class pairwise_sum_chain {
  public:
    pairwise_sum_chain(const double* terms, std::size_t count, double sum) noexcept
        : at_(terms), end_(terms + count), sum_(sum) {}

    void advance() noexcept {
        if (end_ - at_ >= 16) {
            double s = sum_;
            for (int k = 0; k < 16; ++k) {
                s += at_[k];
            }
            sum_ = s;
            at_ += 16;
        }
    }

    /// The remaining terms; returns S.
    [[nodiscard]] double finish() noexcept {
        double s = sum_;
        for (; end_ - at_ >= 4; at_ += 4) {  // unrolled: the same adds in the same order
            s += at_[0];
            s += at_[1];
            s += at_[2];
            s += at_[3];
        }
        for (; at_ != end_; ++at_) {
            s += *at_;
        }
        sum_ = s;
        return s;
    }

  private:
    const double* at_;
    const double* end_;
    double sum_;
};

/// No S to update: the floor of `erf_sum`.
struct no_chain {
    void advance() noexcept {}
};

/// `pairwise_sum_chain` over two runs of terms, one after the other, eight additions per
/// `advance`: one per block of four values covers both runs of a full history in one pass.
class two_run_chain {
  public:
    two_run_chain(std::span<const double> first, std::span<const double> second,
                  double sum) noexcept
        : at_(first.data()),
          end_(first.data() + first.size()),
          next_(second.data()),
          next_end_(second.data() + second.size()),
          sum_(sum) {}

    void advance() noexcept {
        if (end_ - at_ >= 8) {
            double s = sum_;
            for (int k = 0; k < 8; ++k) {
                s += at_[k];
            }
            sum_ = s;
            at_ += 8;
        } else if (next_ != nullptr) {
            flush();
            at_ = next_;
            end_ = next_end_;
            next_ = nullptr;
        }
    }

    /// The remaining terms; returns S.
    [[nodiscard]] double finish() noexcept {
        flush();
        if (next_ != nullptr) {
            at_ = next_;
            end_ = next_end_;
            next_ = nullptr;
            flush();
        }
        return sum_;
    }

  private:
    void flush() noexcept {
        double s = sum_;
        for (; at_ != end_; ++at_) {
            s += *at_;
        }
        sum_ = s;
    }

    const double* at_;
    const double* end_;
    const double* next_;
    const double* next_end_;
    double sum_;
};

/// The AVX2 version of `erf_sum_scalar`: eight values per iteration in two accumulators;
/// `chain.advance()` once per iteration and per tail block.
template <class Chain>
[[nodiscard]] STREAMCP_AVX2_KERNEL_INLINE __attribute__((target("avx2,fma"))) inline double
erf_sum_avx2(std::span<const float> r, double xd, double inv_bw, Chain& chain) noexcept {
    const __m256d vx = _mm256_set1_pd(xd);
    const __m256d vinv = _mm256_set1_pd(inv_bw);
    __m256d acc0 = _mm256_setzero_pd();
    __m256d acc1 = _mm256_setzero_pd();
    const float* p = r.data();
    const std::size_t n = r.size();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256d d0 = _mm256_sub_pd(vx, _mm256_cvtps_pd(_mm_loadu_ps(p + i)));
        const __m256d d1 = _mm256_sub_pd(vx, _mm256_cvtps_pd(_mm_loadu_ps(p + i + 4)));
        acc0 = _mm256_add_pd(acc0, erf_mlnet_avx2(_mm256_mul_pd(d0, vinv)));
        acc1 = _mm256_add_pd(acc1, erf_mlnet_avx2(_mm256_mul_pd(d1, vinv)));
        chain.advance();
    }
    if (i + 4 <= n) {
        const __m256d d0 = _mm256_sub_pd(vx, _mm256_cvtps_pd(_mm_loadu_ps(p + i)));
        acc0 = _mm256_add_pd(acc0, erf_mlnet_avx2(_mm256_mul_pd(d0, vinv)));
        chain.advance();
        i += 4;
    }
    double total = hsum_avx2(_mm256_add_pd(acc0, acc1));
    if (i < n) {
        // The last 1-3 values: pad with x (d = 0) and drop the padded lanes' erf_mlnet(0).
        std::array<float, 4> tail{};
        tail.fill(static_cast<float>(xd));
        std::copy(p + i, p + n, tail.begin());
        const __m256d d0 = _mm256_sub_pd(vx, _mm256_cvtps_pd(_mm_loadu_ps(tail.data())));
        const __m256d lanes = _mm256_cmp_pd(_mm256_set_pd(3.0, 2.0, 1.0, 0.0),
                                            _mm256_set1_pd(static_cast<double>(n - i)), _CMP_LT_OQ);
        total += hsum_avx2(_mm256_and_pd(lanes, erf_mlnet_avx2(_mm256_mul_pd(d0, vinv))));
        chain.advance();
    }
    return total;
}

[[nodiscard]] inline bool cpu_has_avx2_fma() noexcept {
#if defined(__AVX2__) && defined(__FMA__)
    return true;  // the build targets them: no guard variable to test on every event
#else
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
#endif
}

#endif  // STREAMCP_HAVE_AVX2_KERNEL

/// Whether `erf_sum` runs the AVX2 code on this CPU (else the portable scalar loop).
[[nodiscard]] inline bool fast_kernel_is_vectorised() noexcept {
#if STREAMCP_HAVE_AVX2_KERNEL
    return cpu_has_avx2_fma();
#else
    return false;
#endif
}

/// sum over r of erf_mlnet((xd - r) * inv_bw): the floor of the KDE loop (one erf and one
/// exp per stored value), dispatched at run time.
[[nodiscard]] inline double erf_sum(std::span<const float> r, double xd, double inv_bw) noexcept {
#if STREAMCP_HAVE_AVX2_KERNEL
    if (cpu_has_avx2_fma()) {
        no_chain none;
        return erf_sum_avx2(r, xd, inv_bw, none);
    }
#endif
    return erf_sum_scalar(r, xd, inv_bw);
}

#if STREAMCP_HAVE_AVX2_KERNEL

/// `pairwise_sum_terms` over R gathered oldest first into `v[0, n)`, readable up to `v[n + 3]`:
/// the padding spares every scalar tail (its terms land beyond the ones counted, and the last
/// term is written after them). `out` has room for 2n + 2 terms.
STREAMCP_AVX2_KERNEL_INLINE __attribute__((target("avx2,fma"))) inline std::size_t
padded_pairwise_sum_terms(const float* v, std::size_t n, bool full, double xd,
                          double* out) noexcept {
    const __m256d vx = _mm256_set1_pd(xd);
    for (std::size_t i = 0; i < n; i += 4) {
        const __m256d d = _mm256_sub_pd(vx, _mm256_cvtps_pd(_mm_loadu_ps(v + i)));
        _mm256_storeu_pd(out + i, _mm256_mul_pd(d, d));
    }
    if (!full) {
        return n;
    }
    const __m128 vo = _mm_set1_ps(v[0]);  // the oldest, which x evicts
    const __m256d negate = _mm256_set1_pd(-0.0);
    for (std::size_t i = 1; i < n; i += 4) {
        // float32 subtraction, as in C#, then the square in double
        const __m256d d = _mm256_cvtps_pd(_mm_sub_ps(vo, _mm_loadu_ps(v + i)));
        _mm256_storeu_pd(out + n + i - 1, _mm256_xor_pd(_mm256_mul_pd(d, d), negate));
    }
    const double d = static_cast<double>(v[0]) - xd;
    out[2 * n - 1] = -(d * d);
    return 2 * n;
}

/// Copies `from` to `to`, which has room for 7 floats more, and returns the end of the copy.
/// Masked loads read nothing beyond `from`; full stores spare a call to memmove.
STREAMCP_AVX2_KERNEL_INLINE __attribute__((target("avx2,fma"))) inline float* copy_padded(
    std::span<const float> from, float* to) noexcept {
    const std::size_t n = from.size();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(from.data() + i);
        asm("" : "+x"(v));  // an opaque value: GCC would turn the loop back into memcpy
        _mm256_storeu_ps(to + i, v);
    }
    if (i < n) {
        const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                                 _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_storeu_ps(to + i, _mm256_maskload_ps(from.data() + i, lanes));
    }
    return to + n;
}

/// `erf_sum_updating` with R gathered oldest first into `values` (room for n + 8) and S's terms
/// into `terms` (room for 2n + 2): one contiguous run for both passes.
[[nodiscard]] STREAMCP_AVX2_KERNEL_INLINE __attribute__((target("avx2,fma"))) inline double
erf_sum_updating_avx2(std::span<const float> older, std::span<const float> newer, bool full,
                      double xd, double inv_bw, double& sum, float* values,
                      double* terms) noexcept {
    const std::size_t n = older.size() + newer.size();
    copy_padded(newer, copy_padded(older, values));
    std::fill_n(values + n, 4, static_cast<float>(xd));
    pairwise_sum_chain chain{terms, padded_pairwise_sum_terms(values, n, full, xd, terms), sum};
    const double erfs = erf_sum_avx2({values, n}, xd, inv_bw, chain);
    sum = chain.finish();
    return erfs;
}

/// Histories up to this size are read in place (or gathered on the stack), their terms kept on
/// the stack; longer ones are gathered in thread-local buffers.
inline constexpr std::size_t stack_history = 64;

/// `erf_sum_updating` for a history of at most `stack_history` values read in place, in storage
/// order (`stored`, the oldest at `oldest`, as `ring_buffer::storage()`): the erf sum does not
/// depend on the order, and S's terms are written twice over (at i and at i + n) so that FIFO
/// order is one contiguous run from `oldest`. No gathered copy: a load that spans two of the
/// copy's stores cannot be forwarded from them and waits until they retire, which held every
/// event's kernel behind the previous event's log and exp (about 10 ns an event at history 12).
/// A first pass writes S's terms, the second interleaves their chain with the erf work.
[[nodiscard]] STREAMCP_AVX2_KERNEL_INLINE __attribute__((target("avx2,fma"))) inline double
erf_sum_updating_stored_avx2(std::span<const float> stored, std::size_t oldest, bool full,
                             double xd, double inv_bw, double& sum) noexcept {
    std::array<double, 2 * stack_history + 4> adds;    // NOLINT(*-member-init)
    std::array<double, 2 * stack_history + 4> evicts;  // NOLINT(*-member-init)
    const float* v = stored.data();
    const std::size_t n = stored.size();
    const __m256d vx = _mm256_set1_pd(xd);
    // Masked loads read nothing beyond the history (lanes i + k < n); the masked lanes' terms
    // are never read.
    const __m128i lane = _mm_setr_epi32(0, 1, 2, 3);
    const __m128i count = _mm_set1_epi32(static_cast<int>(n));
    const std::size_t last = (n - 1) & ~std::size_t{3};
    {
        const __m128 vo = _mm_set1_ps(v[oldest]);
        const __m256d negate = _mm256_set1_pd(-0.0);
        // The last block first: its lanes beyond n write terms at n.., which the first block's
        // second copy then overwrites.
        for (std::size_t i = last + 4; i != 0;) {
            i -= 4;
            const __m128i in =
                _mm_cmpgt_epi32(count, _mm_add_epi32(_mm_set1_epi32(static_cast<int>(i)), lane));
            const __m128 r = _mm_maskload_ps(v + i, in);
            const __m256d d = _mm256_sub_pd(vx, _mm256_cvtps_pd(r));
            const __m256d add = _mm256_mul_pd(d, d);
            _mm256_storeu_pd(adds.data() + i, add);
            _mm256_storeu_pd(adds.data() + n + i, add);
            if (full) {
                // float32 subtraction, as in C#, then the square in double
                const __m256d e = _mm256_cvtps_pd(_mm_sub_ps(vo, r));
                const __m256d evict = _mm256_xor_pd(_mm256_mul_pd(e, e), negate);
                _mm256_storeu_pd(evicts.data() + i, evict);
                _mm256_storeu_pd(evicts.data() + n + i, evict);
            }
        }
    }
    // S's terms in FIFO order, as `add_distances` then `evict_distances` add them.
    two_run_chain chain{
        {adds.data() + oldest, n}, {evicts.data() + oldest + 1, full ? n - 1 : 0}, sum};
    const __m256d vinv = _mm256_set1_pd(inv_bw);
    __m256d acc = _mm256_setzero_pd();
    for (std::size_t i = 0; i <= last; i += 4) {
        const __m128i in =
            _mm_cmpgt_epi32(count, _mm_add_epi32(_mm_set1_epi32(static_cast<int>(i)), lane));
        const __m256d d = _mm256_sub_pd(vx, _mm256_cvtps_pd(_mm_maskload_ps(v + i, in)));
        const __m256d erfs = erf_mlnet_avx2<poly_scheme::estrin>(_mm256_mul_pd(d, vinv));
        acc =
            _mm256_add_pd(acc, _mm256_and_pd(_mm256_castsi256_pd(_mm256_cvtepi32_epi64(in)), erfs));
        chain.advance();
    }
    double s = chain.finish();
    if (full) {
        const double d = static_cast<double>(v[oldest]) - xd;  // the evicting value itself
        s -= d * d;
    }
    sum = s;
    return hsum_avx2(acc);
}

/// `erf_sum_updating_stored_avx2` over two runs, gathered oldest first on the stack.
[[nodiscard]] __attribute__((target("avx2,fma"))) inline double erf_sum_updating_small_avx2(
    std::span<const float> older, std::span<const float> newer, bool full, double xd, double inv_bw,
    double& sum) noexcept {
    std::array<float, stack_history + 8> values;  // NOLINT(*-member-init)
    copy_padded(newer, copy_padded(older, values.data()));
    return erf_sum_updating_stored_avx2({values.data(), older.size() + newer.size()}, 0, full, xd,
                                        inv_bw, sum);
}

/// `erf_sum_updating_avx2` for a longer history, gathered in thread-local buffers: a call of
/// its own, since the gather and the erf work outweigh the call.
[[nodiscard]] __attribute__((noinline, target("avx2,fma"))) inline double
erf_sum_updating_large_avx2(std::span<const float> older, std::span<const float> newer, bool full,
                            double xd, double inv_bw, double& sum) noexcept {
    const std::size_t n = older.size() + newer.size();
    thread_local std::vector<float> values;
    thread_local std::vector<double> terms;
    values.resize(n + 8);
    terms.resize(2 * n + 2);
    return erf_sum_updating_avx2(older, newer, full, xd, inv_bw, sum, values.data(), terms.data());
}

#endif  // STREAMCP_HAVE_AVX2_KERNEL

/// `erf_sum` over both runs, and S's whole update (`add_distances`, then `evict_distances`
/// when `full`) into `sum`: interleaved with the erf work when vectorised, so the serial chain
/// of S runs beside it instead of after it.
[[nodiscard]] STREAMCP_AVX2_KERNEL_INLINE inline double erf_sum_updating(
    std::span<const float> older, std::span<const float> newer, bool full, double xd, double inv_bw,
    double& sum) noexcept {
#if STREAMCP_HAVE_AVX2_KERNEL
    if (cpu_has_avx2_fma()) {
        return older.size() + newer.size() <= stack_history
                   ? erf_sum_updating_small_avx2(older, newer, full, xd, inv_bw, sum)
                   : erf_sum_updating_large_avx2(older, newer, full, xd, inv_bw, sum);
    }
#endif
    sum = add_distances(newer, xd, add_distances(older, xd, sum));
    if (full) {
        sum = evict_distances(older, newer, xd, sum);
    }
    return erf_sum_scalar(older, xd, inv_bw) + erf_sum_scalar(newer, xd, inv_bw);
}

/// The p-value from the erf sum over n values: 1/(2n) is ready long before the sum, so a
/// multiply, not a division, ends the chain.
[[nodiscard]] inline double p_value_from_erf_sum(double erfs, std::size_t n) noexcept {
    return 0.5 - erfs * (0.5 / static_cast<double>(n));
}

}  // namespace detail

/// The KDE p-value of `kde_pvalue` over a history given as its two runs (oldest first), with
/// erf and exp vectorised and their sum reassociated. S is updated bit for bit as the exact
/// path does. `full` says whether the history is at capacity (x will evict the oldest).
[[nodiscard]] STREAMCP_AVX2_KERNEL_INLINE inline double kde_pvalue_fast(
    std::span<const float> older, std::span<const float> newer, bool full, double& pairwise_sum,
    float x) noexcept {
    const std::size_t n = older.size() + newer.size();
    if (n == 0) {
        return 0.5;
    }
    const double xd = x;
    const double inv_bw = 1.0 / kde_bandwidth(n, pairwise_sum);
    const double erfs = detail::erf_sum_updating(older, newer, full, xd, inv_bw, pairwise_sum);
    return detail::p_value_from_erf_sum(erfs, n);
}

/// The same over a `ring_buffer<float>` or a `ring_span<float>`. A short history is read in
/// place, in storage order.
template <class History>
[[nodiscard]] STREAMCP_AVX2_KERNEL_INLINE inline double kde_pvalue_fast(const History& history,
                                                                        double& pairwise_sum,
                                                                        float x) noexcept {
#if STREAMCP_HAVE_AVX2_KERNEL
    const std::size_t n = history.size();
    if (n != 0 && n <= detail::stack_history && detail::cpu_has_avx2_fma()) {
        const double inv_bw = 1.0 / kde_bandwidth(n, pairwise_sum);
        const double erfs = detail::erf_sum_updating_stored_avx2(
            history.storage(), history.oldest_index(), history.full(), x, inv_bw, pairwise_sum);
        return detail::p_value_from_erf_sum(erfs, n);
    }
#endif
    const auto [older, newer] = history.segments();
    return kde_pvalue_fast(older, newer, history.full(), pairwise_sum, x);
}

STREAMCP_END_NAMESPACE
