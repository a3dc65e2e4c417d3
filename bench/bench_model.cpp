// SPDX-License-Identifier: MIT
// change_point_detector::update at several histories, exact and fast KDE kernels. Counters:
// events/s (items_per_second) and ns per stored value (the O(history) part of an event).
// BM_update_many_fast against BM_scalar_exact_reference is the fast kernel's target: at least
// 4 times a straightforward scalar build of the exact algorithm (bench/reference/).
#include <cstddef>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "streamcp/streamcp.hpp"

#include "bench_common.hpp"
#include "reference/scalar_exact.hpp"

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

/// Batches of `batch` events through `update_many`, as Python's `update_many` runs them.
constexpr std::size_t batch = 4096;

void BM_update_many_fast(benchmark::State& state) {
    const auto history = state.range(0);
    streamcp::change_point_detector det{{.confidence = 95, .history = history}, kernel_path::fast};
    const std::vector<double> xs = streamcp_bench::series(batch);
    std::vector<streamcp::change_point_result> out(batch);
    det.update_many(xs, out);  // R full: the steady state
    for (auto _ : state) {
        det.update_many(xs, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

/// The same batches through bench/reference/'s scalar exact detector, after checking on the
/// first batch that it is the exact algorithm (the library's exact path, bit for bit).
void BM_scalar_exact_reference(benchmark::State& state) {
    const auto history = state.range(0);
    streamcp_bench::scalar_exact_detector det{95, static_cast<std::size_t>(history)};
    streamcp::change_point_detector exact{{.confidence = 95, .history = history}};
    const std::vector<double> xs = streamcp_bench::series(batch);
    std::vector<streamcp_bench::scalar_result> out(batch);
    det.update_many(xs.data(), xs.size(), out.data());
    for (std::size_t i = 0; i < batch; ++i) {
        const auto r = exact.update(xs[i]);
        if (r.score != out[i].score || r.p_value != out[i].p_value ||
            r.is_anomaly != out[i].is_anomaly) {
            state.SkipWithError("the reference differs from the exact path");
            return;
        }
    }
    for (auto _ : state) {
        det.update_many(xs.data(), xs.size(), out.data());
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

void target_sizes(benchmark::internal::Benchmark* b) {
    b->Arg(600);
    if (!streamcp_bench::short_mode()) {
        b->Arg(6000);
    }
}

void sizes(benchmark::internal::Benchmark* b) {
    if (streamcp_bench::short_mode()) {
        b->Arg(12)->Arg(600);
    } else {
        b->Arg(12)->Arg(60)->Arg(600)->Arg(6000);
    }
}

BENCHMARK(BM_update_exact)->Apply(sizes);
BENCHMARK(BM_update_fast)->Apply(sizes);
BENCHMARK(BM_update_many_fast)->Apply(target_sizes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_scalar_exact_reference)->Apply(target_sizes)->Unit(benchmark::kMicrosecond);

}  // namespace
