// SPDX-License-Identifier: MIT
// change_point_detector::update at several histories, exact and fast KDE kernels. Counters:
// events/s (items_per_second) and ns per stored value (the O(history) part of an event).
#include <cstddef>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "streamcp/streamcp.hpp"

#include "bench_common.hpp"

namespace {

using streamcp::kernel_path;

void update(benchmark::State& state, kernel_path kernel) {
    const auto history = state.range(0);
    streamcp::change_point_detector det{{.confidence = 95, .history = history}, kernel};
    const std::vector<double> xs = streamcp_bench::series(1 << 16);
    const std::size_t mask = xs.size() - 1;
    std::size_t i = 0;
    for (; i < static_cast<std::size_t>(history); ++i) {  // measure the steady state: R full
        (void)det.update(xs[i & mask]);
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(det.update(xs[i & mask]));
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["history"] = static_cast<double>(history);
    state.counters["ns_per_value"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * static_cast<double>(history) * 1e-9,
        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.SetLabel(kernel == kernel_path::fast && !streamcp::detail::fast_kernel_is_vectorised()
                       ? "fast path without AVX2: scalar fallback"
                       : "");
}

void BM_update_exact(benchmark::State& state) { update(state, kernel_path::exact); }
void BM_update_fast(benchmark::State& state) { update(state, kernel_path::fast); }

void sizes(benchmark::internal::Benchmark* b) {
    if (streamcp_bench::short_mode()) {
        b->Arg(12)->Arg(600);
    } else {
        b->Arg(12)->Arg(60)->Arg(600)->Arg(6000);
    }
}

BENCHMARK(BM_update_exact)->Apply(sizes);
BENCHMARK(BM_update_fast)->Apply(sizes);

}  // namespace
