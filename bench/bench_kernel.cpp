// SPDX-License-Identifier: MIT
// The floor of the KDE loop: one vectorised erf+exp (ML.NET's A&S 7.1.26 erf with its exp)
// per stored value, summed, with nothing else — no running sum S, no martingale. The model's
// per-stored-value time (bench_model) is compared with this (items = values). Both use the
// same kernel (AVX2 erf_mlnet_avx2, or the scalar fallback on both sides without AVX2).
// BM_erf_exp_floor_eigen weighs the portable Eigen packet-math version of the same floor against
// the hand-written AVX2 one; the library keeps whichever is faster (README, Performance).
#include <cstddef>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include "streamcp/core/erf.hpp"
#include "streamcp/core/kde_pvalue_fast.hpp"
#include "streamcp/streamcp.hpp"

#include "bench_common.hpp"
#include "eigen_erf_kernel.hpp"

namespace {

std::vector<float> stored_values(std::size_t n) {
    const std::vector<double> xs = streamcp_bench::series(n, 7);
    return {xs.begin(), xs.end()};
}

void BM_erf_exp_floor(benchmark::State& state) {
    const std::vector<float> r = stored_values(static_cast<std::size_t>(state.range(0)));
    const std::span<const float> values{r};
    double x = 0.25;
    for (auto _ : state) {
        benchmark::DoNotOptimize(streamcp::detail::erf_sum(values, x, 0.7));
        x += 1e-3;  // a new query point each time, as each event brings
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetLabel(streamcp::detail::fast_kernel_is_vectorised() ? "avx2" : "scalar fallback");
}

/// The same floor with Eigen's packet math (bench/eigen_erf_kernel.hpp): the portable candidate.
/// It vectorises as wide as the compiler flags allow (SSE2 in a plain x86-64 build, AVX2 with
/// -march=native); the hand-written kernel above picks AVX2 at run time.
void BM_erf_exp_floor_eigen(benchmark::State& state) {
    const std::vector<float> r = stored_values(static_cast<std::size_t>(state.range(0)));
    const std::span<const float> values{r};
    double x = 0.25;
    for (auto _ : state) {
        benchmark::DoNotOptimize(streamcp_bench::erf_sum_eigen(values, x, 0.7));
        x += 1e-3;
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetLabel(Eigen::SimdInstructionSetsInUse());
}

/// The same sum with the exact scalar erf_mlnet (glibc exp, one division per value).
void BM_erf_exp_scalar(benchmark::State& state) {
    const std::vector<float> r = stored_values(static_cast<std::size_t>(state.range(0)));
    double x = 0.25;
    for (auto _ : state) {
        double acc = 0.0;
        for (const float v : r) {
            acc -= streamcp::erf_mlnet((x - static_cast<double>(v)) / 0.7);
        }
        benchmark::DoNotOptimize(acc);
        x += 1e-3;
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// S's update alone, as the fast path runs it (`pairwise_sum_terms`, then one add per term, in
/// order): two dependent double additions per stored value when the history is full. S must
/// stay bit for bit the exact path's, so this serial chain is a second floor beside erf+exp;
/// the fast path overlaps the two.
#if STREAMCP_HAVE_AVX2_KERNEL
void BM_pairwise_sum_chain(benchmark::State& state) {
    if (!streamcp::detail::fast_kernel_is_vectorised()) {
        state.SkipWithError("no AVX2 on this CPU");
        return;
    }
    const std::vector<float> r = stored_values(static_cast<std::size_t>(state.range(0)));
    const std::span<const float> values{r};
    std::vector<double> terms(2 * r.size());
    double x = 0.25;
    double sum = 1e3;
    for (auto _ : state) {
        const std::size_t count =
            streamcp::detail::pairwise_sum_terms(values, {}, true, x, terms.data());
        streamcp::detail::pairwise_sum_chain chain{terms.data(), count, sum};
        sum = chain.finish();
        benchmark::DoNotOptimize(sum);
        x += 1e-3;
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
#endif

void sizes(benchmark::internal::Benchmark* b) {
    if (streamcp_bench::short_mode()) {
        b->Arg(600);
    } else {
        b->Arg(60)->Arg(600)->Arg(6000);
    }
}

BENCHMARK(BM_erf_exp_floor)->Apply(sizes);
BENCHMARK(BM_erf_exp_floor_eigen)->Apply(sizes);
BENCHMARK(BM_erf_exp_scalar)->Apply(sizes);
#if STREAMCP_HAVE_AVX2_KERNEL
BENCHMARK(BM_pairwise_sum_chain)->Apply(sizes);
#endif

}  // namespace
