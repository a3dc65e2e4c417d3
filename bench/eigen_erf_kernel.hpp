// SPDX-License-Identifier: MIT
#pragma once
// The fast kernel's erf floor written with Eigen's packet math (portable: SSE2, AVX2, AVX-512 or
// NEON, whichever the compiler flags enable), the candidate bench_kernel weighs against the
// hand-written AVX2 kernel of core/kde_pvalue_fast.hpp. Same formula: ML.NET's A&S 7.1.26 erf,
// here with Eigen's vectorised exp.
#include <array>
#include <cstddef>
#include <span>

#include <Eigen/Core>

// GCC 12 reports its own AVX-512 intrinsics' masked-off operands as maybe uninitialized when
// Eigen's packets inline them (-march=native on an AVX-512 CPU); the operands are don't-cares.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "streamcp/core/erf.hpp"

namespace streamcp_bench {

using packet_d = Eigen::internal::packet_traits<double>::type;
inline constexpr std::size_t packet_size = Eigen::internal::packet_traits<double>::size;

/// erf_mlnet of one packet of lanes.
inline packet_d erf_mlnet_packet(const packet_d& z) {
    namespace ei = Eigen::internal;
    const packet_d one = ei::pset1<packet_d>(1.0);
    const packet_d t = ei::pdiv(one, ei::pmadd(ei::pset1<packet_d>(0.3275911), ei::pabs(z), one));
    packet_d poly = ei::pset1<packet_d>(1.061405429);
    poly = ei::pmadd(poly, t, ei::pset1<packet_d>(-1.453152027));
    poly = ei::pmadd(poly, t, ei::pset1<packet_d>(1.421413741));
    poly = ei::pmadd(poly, t, ei::pset1<packet_d>(-0.284496736));
    poly = ei::pmadd(poly, t, ei::pset1<packet_d>(0.254829592));
    const packet_d e = ei::pexp(ei::pnegate(ei::pmul(z, z)));
    const packet_d ev = ei::psub(one, ei::pmul(ei::pmul(poly, t), e));
    return ei::pselect(ei::pcmp_lt(z, ei::pzero(z)), ei::pnegate(ev), ev);
}

/// sum over r of erf_mlnet((xd - r) * inv_bw), two packets per iteration in two accumulators.
inline double erf_sum_eigen(std::span<const float> r, double xd, double inv_bw) {
    namespace ei = Eigen::internal;
    const packet_d vx = ei::pset1<packet_d>(xd);
    const packet_d vinv = ei::pset1<packet_d>(inv_bw);
    packet_d acc0 = ei::pset1<packet_d>(0.0);
    packet_d acc1 = ei::pset1<packet_d>(0.0);
    alignas(64) std::array<double, 2 * packet_size> lanes{};
    std::size_t i = 0;
    for (; i + 2 * packet_size <= r.size(); i += 2 * packet_size) {
        for (std::size_t k = 0; k < 2 * packet_size; ++k) {
            lanes[k] =
                static_cast<double>(r[i + k]);  // float to double, vectorised by the compiler
        }
        const packet_d d0 = ei::psub(vx, ei::pload<packet_d>(lanes.data()));
        const packet_d d1 = ei::psub(vx, ei::pload<packet_d>(lanes.data() + packet_size));
        acc0 = ei::padd(acc0, erf_mlnet_packet(ei::pmul(d0, vinv)));
        acc1 = ei::padd(acc1, erf_mlnet_packet(ei::pmul(d1, vinv)));
    }
    double total = ei::predux(ei::padd(acc0, acc1));
    for (; i < r.size(); ++i) {
        total += streamcp::erf_mlnet((xd - static_cast<double>(r[i])) * inv_bw);
    }
    return total;
}

}  // namespace streamcp_bench

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
