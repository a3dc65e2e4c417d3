// SPDX-License-Identifier: MIT
// anomaly_detection_change_point<std::int64_t> with 1 to 10^6 keys interleaved at random.
// Every partition is filled to its history before timing (the steady state), then events of
// random keys are timed, one `evaluate` at a time and in `evaluate_many` batches. Counters:
// events/s, heap bytes per key (malloc's in-use bytes grown over the fill, allocator overhead
// included) and the raw state it is compared with. BM_memory_floor is the latency of one
// partition lookup over the same memory without any model work.
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "streamcp/streamcp.hpp"

#include "bench_common.hpp"

namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace): durations read better
using function = streamcp::anomaly_detection_change_point<std::int64_t>;

const streamcp::event_time t0 = sys_days{year{2024} / 1 / 1};

/// R floats, U doubles, S, L, the cooldown counter and the partition's last event time.
double raw_state_bytes(std::int64_t history) {
    return static_cast<double>(history) * (sizeof(float) + sizeof(double)) + 2 * sizeof(double) +
           sizeof(std::int32_t) + sizeof(std::int64_t);
}

/// `keys` partitions each filled to its history.
std::vector<std::byte> filled_snapshot(std::size_t keys, std::int64_t history,
                                       streamcp::event_time& now) {
    return streamcp_bench::repeated_partition_snapshot(keys, history, history,
                                                       streamcp_bench::noise(1 << 12, 43), now);
}

void evaluate(benchmark::State& state, streamcp::kernel_path kernel) {
    const auto keys = static_cast<std::size_t>(state.range(0));
    const std::int64_t history = state.range(1);
    const std::vector<double> xs = streamcp_bench::noise(1 << 16);
    const std::size_t mask = xs.size() - 1;
    // One event per microsecond over all keys, LIMIT DURATION 7 days: the imputation interval
    // (14 h at history 12) is never crossed, so each event costs one model update.
    streamcp::event_time now = t0;
    const std::size_t heap_before = streamcp_bench::heap_bytes();
    auto f = std::make_unique<function>(80, history, days{7},
                                        streamcp::function_options{.kernel = kernel});
    f->restore(filled_snapshot(keys, history, now));  // the bytes are freed before measuring
    const std::size_t heap_after = streamcp_bench::heap_bytes();
    std::size_t i = 0;

    std::mt19937_64 rng{7};
    std::vector<std::int64_t> order(std::min<std::size_t>(1U << 20, 16 * keys + 1024));
    for (auto& k : order) {
        k = static_cast<std::int64_t>(rng() % keys);
    }
    std::size_t j = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(f->evaluate(order[j], now, xs[i++ & mask]));
        now += microseconds{1};
        j = j + 1 == order.size() ? 0 : j + 1;
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["keys"] = static_cast<double>(keys);
    state.counters["history"] = static_cast<double>(history);
    state.counters["bytes_per_key"] =
        static_cast<double>(heap_after > heap_before ? heap_after - heap_before : 0) /
        static_cast<double>(keys);
    state.counters["raw_bytes_per_key"] = raw_state_bytes(history);
    state.counters["huge_page_mib"] =
        static_cast<double>(streamcp_bench::huge_page_resident_bytes()) / (1 << 20);
}

/// The same events through `evaluate_many` in batches of `batch_events` (the Python API's
/// path): the batch lets the store prefetch the partitions of later events while earlier ones
/// are scored, so cache misses overlap with model work instead of adding to it.
constexpr std::size_t batch_events = 1024;

void evaluate_batches(benchmark::State& state, streamcp::kernel_path kernel) {
    const auto keys = static_cast<std::size_t>(state.range(0));
    const std::int64_t history = state.range(1);
    const std::vector<double> xs = streamcp_bench::noise(1 << 16);
    const std::size_t mask = xs.size() - 1;
    streamcp::event_time now = t0;
    auto f = std::make_unique<function>(80, history, days{7},
                                        streamcp::function_options{.kernel = kernel});
    f->restore(filled_snapshot(keys, history, now));

    std::mt19937_64 rng{7};
    std::vector<std::int64_t> batch_keys(batch_events);
    std::vector<streamcp::event_time> times(batch_events);
    std::vector<std::optional<double>> values(batch_events);
    std::vector<std::optional<streamcp::record>> out(batch_events);
    std::size_t i = 0;
    for (auto _ : state) {
        state.PauseTiming();  // new random keys; a pause costs far less than a batch
        for (std::size_t k = 0; k < batch_events; ++k) {
            batch_keys[k] = static_cast<std::int64_t>(rng() % keys);
            times[k] = now;
            values[k] = xs[i++ & mask];
            now += microseconds{1};
        }
        state.ResumeTiming();
        f->evaluate_many(batch_keys, times, values, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch_events));
    state.counters["keys"] = static_cast<double>(keys);
    state.counters["history"] = static_cast<double>(history);
}

/// What one `evaluate` over 10^6 random partitions must wait for at least: an index entry,
/// then the slot it names (two dependent cache misses), in blocks of the store's sizes and
/// allocation (huge pages), with no model work. Each lookup's slot picks the next lookup, so
/// misses cannot overlap, as in `evaluate`, whose model work fills the out-of-order window.
/// Add this to the 1-key time per event to bound what one-at-a-time 10^6 keys can reach.
void BM_memory_floor(benchmark::State& state) {
    const auto keys = static_cast<std::size_t>(state.range(0));
    const std::size_t stride = 208;  // the store's slot at history 12: header, R, U
    const std::size_t entries = std::bit_ceil(keys * 4 / 3 + 1);
    using block = std::unique_ptr<std::byte, streamcp::detail::free_block>;
    const block slots{static_cast<std::byte*>(streamcp::detail::allocate_block(keys * stride, 8))};
    const block index{static_cast<std::byte*>(streamcp::detail::allocate_block(entries * 8, 8))};
    std::mt19937_64 rng{11};
    auto* table = reinterpret_cast<std::uint64_t*>(index.get());  // NOLINT
    for (std::size_t b = 0; b < entries; ++b) {
        table[b] = rng() % keys;
    }
    for (std::size_t k = 0; k < keys; ++k) {
        std::memcpy(slots.get() + k * stride, &k, sizeof k);  // the next lookup's seed
    }
    std::uint64_t at = 0;
    std::uint64_t step = 0;  // keeps the chain of lookups from settling into a short cycle
    for (auto _ : state) {
        const std::byte* slot =
            slots.get() + table[((at * 0x9E3779B97F4A7C15ULL) >> 32) & (entries - 1)] * stride;
        std::uint64_t next = 0;
        std::memcpy(&next, slot, sizeof next);
        for (std::size_t line = 64; line < stride; line += 64) {
            next += static_cast<std::uint64_t>(slot[line]);  // the slot's other lines
        }
        at = next + ++step;
        benchmark::DoNotOptimize(at);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["slot_bytes"] = static_cast<double>(stride);
}

void BM_function_exact(benchmark::State& state) { evaluate(state, streamcp::kernel_path::exact); }
void BM_function_fast(benchmark::State& state) { evaluate(state, streamcp::kernel_path::fast); }
void BM_function_many_exact(benchmark::State& state) {
    evaluate_batches(state, streamcp::kernel_path::exact);
}
void BM_function_many_fast(benchmark::State& state) {
    evaluate_batches(state, streamcp::kernel_path::fast);
}

/// Fixed iteration counts: the fill of 10^6 partitions is far costlier than the timed part, so
/// it must run once per configuration, not once per Google Benchmark calibration round.
void sizes(benchmark::internal::Benchmark* b) {
    const bool quick = streamcp_bench::short_mode();
    for (const std::int64_t history : {12, 60}) {
        for (const std::int64_t keys : {1, 100, 10'000, 1'000'000}) {
            if (quick && keys > 10'000) {
                continue;
            }
            b->Args({keys, history});
        }
    }
    b->Iterations(quick ? 20'000 : 1'000'000)->Unit(benchmark::kNanosecond);
}

/// Keys 1 and 10^6 at history 12, about 10^6 events each.
void batch_sizes(benchmark::internal::Benchmark* b) {
    const bool quick = streamcp_bench::short_mode();
    b->Args({1, 12});
    if (!quick) {
        b->Args({1'000'000, 12});
    }
    b->Iterations(quick ? 20 : 1'000)->Unit(benchmark::kNanosecond);
}

BENCHMARK(BM_memory_floor)
    ->Arg(streamcp_bench::short_mode() ? 10'000 : 1'000'000)
    ->Iterations(streamcp_bench::short_mode() ? 20'000 : 2'000'000)
    ->Unit(benchmark::kNanosecond);
BENCHMARK(BM_function_exact)->Apply(sizes);
BENCHMARK(BM_function_fast)->Apply(sizes);
BENCHMARK(BM_function_many_exact)->Apply(batch_sizes);
BENCHMARK(BM_function_many_fast)->Apply(batch_sizes);

}  // namespace
