// SPDX-License-Identifier: MIT
// Memory per key of anomaly_detection_change_point<std::int64_t> against the raw state its
// partitions hold: 10^6 keys at history 12 and 10^5 keys at history 600, each key holding
// `fill` events (its whole history, half of it, or 3 events): a key costs what it holds, not a
// slot for its whole history. Counters: resident and malloc'd bytes per key grown by the fill,
// the raw state per key (R floats, U doubles, S, L, the first bet, the stand-in and cooldown
// counters, the clock and the int64 key) and their ratios. The target: at most 2.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <benchmark/benchmark.h>

#include "streamcp/streamcp.hpp"

#include "bench_common.hpp"

namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace): durations read better
using function = streamcp::anomaly_detection_change_point<std::int64_t>;

/// What a partition that saw `fill` events holds, in bytes.
double raw_state_bytes(std::int64_t history, std::int64_t fill) {
    const auto values = static_cast<double>(std::min(fill, history));
    const auto bets = static_cast<double>(std::min(fill - 1, history));
    return values * sizeof(float) + bets * sizeof(double) + 3 * sizeof(double) +
           2 * sizeof(std::int32_t) + sizeof(std::int64_t) + sizeof(std::int64_t);
}

/// `keys` partitions each fed `fill` events.
std::vector<std::byte> snapshot_of(std::size_t keys, std::int64_t history, std::int64_t fill) {
    streamcp::event_time now = sys_days{year{2024} / 1 / 1};
    return streamcp_bench::repeated_partition_snapshot(
        keys, history, fill, streamcp_bench::noise(static_cast<std::size_t>(fill), 43), now);
}

void BM_memory_per_key(benchmark::State& state) {
    const auto keys = static_cast<std::size_t>(state.range(0));
    const std::int64_t history = state.range(1);
    const std::int64_t fill = state.range(2) == 0 ? history : state.range(2);
    for (auto _ : state) {
        std::vector<std::byte> bytes = snapshot_of(keys, history, fill);
        const std::size_t resident_before = streamcp_bench::resident_bytes();
        const std::size_t heap_before = streamcp_bench::heap_bytes();
        auto f = std::make_unique<function>(80, history, days{7});
        f->restore(bytes);
        const std::size_t resident_after = streamcp_bench::resident_bytes();
        const std::size_t heap_after = streamcp_bench::heap_bytes();
        const double raw = raw_state_bytes(history, fill);
        const auto per_key = [keys](std::size_t before, std::size_t after) {
            return static_cast<double>(after > before ? after - before : 0) /
                   static_cast<double>(keys);
        };
        const double resident = per_key(resident_before, resident_after);
        const double heap = per_key(heap_before, heap_after);
        state.counters["keys"] = static_cast<double>(keys);
        state.counters["history"] = static_cast<double>(history);
        state.counters["fill"] = static_cast<double>(fill);
        state.counters["raw_bytes_per_key"] = raw;
        state.counters["resident_bytes_per_key"] = resident;
        state.counters["heap_bytes_per_key"] = heap;
        state.counters["resident_to_raw"] = resident / raw;
        state.counters["heap_to_raw"] = heap / raw;
        benchmark::DoNotOptimize(f.get());
    }
}

/// {keys, history, fill (0: the whole history)}; one iteration each, the fill is the work.
void sizes(benchmark::internal::Benchmark* b) {
    const bool quick = streamcp_bench::short_mode();
    const std::int64_t many = quick ? 10'000 : 1'000'000;
    const std::int64_t fewer = quick ? 1'000 : 100'000;
    for (const std::int64_t fill : {0, 6, 3}) {
        b->Args({many, 12, fill});
    }
    for (const std::int64_t fill : {0, 300, 3}) {
        b->Args({fewer, 600, fill});
    }
    b->Iterations(1)->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_memory_per_key)->Apply(sizes);

}  // namespace
