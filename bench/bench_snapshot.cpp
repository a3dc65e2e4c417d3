// SPDX-License-Identifier: MIT
// Snapshot encode and decode (docs/snapshot.md): a detector at history 600, and a function of
// 10^4 partitions at history 12 (a checkpoint's bulk). Bytes/s counts the snapshot's size.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "streamcp/streamcp.hpp"

#include "bench_common.hpp"

namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace): durations read better
using function = streamcp::anomaly_detection_change_point<std::int64_t>;

streamcp::change_point_detector filled_detector() {
    streamcp::change_point_detector det{{.confidence = 95, .history = 600}};
    for (const double x : streamcp_bench::series(1000)) {
        (void)det.update(x);
    }
    return det;
}

function filled_function(std::size_t keys) {
    function f{80, 12, days{7}};
    const std::vector<double> xs = streamcp_bench::series(1 << 12);
    streamcp::event_time now = sys_days{year{2024} / 1 / 1};
    std::size_t i = 0;
    for (int round = 0; round < 12; ++round) {
        for (std::size_t k = 0; k < keys; ++k) {
            (void)f.evaluate(static_cast<std::int64_t>(k), now, xs[i++ % xs.size()]);
            now += microseconds{1};
        }
    }
    return f;
}

std::size_t function_keys() { return streamcp_bench::short_mode() ? 100 : 10'000; }

void BM_snapshot_encode_detector(benchmark::State& state) {
    const auto det = filled_detector();
    std::size_t bytes = 0;
    for (auto _ : state) {
        const auto snap = det.snapshot();
        bytes = snap.size();
        benchmark::DoNotOptimize(snap.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

void BM_snapshot_decode_detector(benchmark::State& state) {
    const auto snap = filled_detector().snapshot();
    for (auto _ : state) {
        benchmark::DoNotOptimize(streamcp::change_point_detector::from_snapshot(snap));
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(snap.size()));
}

void BM_snapshot_encode_function(benchmark::State& state) {
    const auto f = filled_function(function_keys());
    std::size_t bytes = 0;
    for (auto _ : state) {
        const auto snap = f.snapshot();
        bytes = snap.size();
        benchmark::DoNotOptimize(snap.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
    state.counters["keys"] = static_cast<double>(function_keys());
}

void BM_snapshot_decode_function(benchmark::State& state) {
    const auto snap = filled_function(function_keys()).snapshot();
    function f{80, 12, days{7}};
    for (auto _ : state) {
        f.restore(snap);
        benchmark::DoNotOptimize(f.partition_count());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(snap.size()));
    state.counters["keys"] = static_cast<double>(function_keys());
}

BENCHMARK(BM_snapshot_encode_detector);
BENCHMARK(BM_snapshot_decode_detector);
BENCHMARK(BM_snapshot_encode_function)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_snapshot_decode_function)->Unit(benchmark::kMicrosecond);

}  // namespace
