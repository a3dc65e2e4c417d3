// SPDX-License-Identifier: MIT
// Shared helpers of the bench_*.cpp programs: short mode, input data, resident memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <malloc.h>
#include <unistd.h>

#include "streamcp/streamcp.hpp"

namespace streamcp_bench {

/// STREAMCP_BENCH_SHORT=1 (scripts/bench --short): few sizes, few events, so CI can run every
/// benchmark in seconds. The numbers are then meaningless; only that the code runs matters.
inline bool short_mode() {
    static const bool value = [] {
        const char* v = std::getenv("STREAMCP_BENCH_SHORT");
        return v != nullptr && *v != '\0' && *v != '0';
    }();
    return value;
}

/// A stationary series with occasional level shifts, so the model sees alerts and quiet runs.
inline std::vector<double> series(std::size_t n, std::uint64_t seed = 42) {
    std::mt19937_64 rng{seed};
    std::normal_distribution<double> noise{0.0, 1.0};
    std::vector<double> xs(n);
    double level = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (rng() % 997 == 0) {
            level += 4.0;
        }
        xs[i] = level + noise(rng);
    }
    return xs;
}

/// Stationary noise, N(0, 1): the partition benchmarks score values from the same distribution
/// as the histories they hold, whether a partition saw its last value one event ago (1 key) or
/// a million (10^6 keys). With `series`' drifting level, the 10^6 partitions would hold values
/// hundreds of standard deviations from the events, and the exact path's glibc exp would take
/// its slow underflow path there but not with 1 key: a numeric, not a memory, difference.
inline std::vector<double> noise(std::size_t n, std::uint64_t seed = 42) {
    std::mt19937_64 rng{seed};
    std::normal_distribution<double> normal{0.0, 1.0};
    std::vector<double> xs(n);
    for (double& x : xs) {
        x = normal(rng);
    }
    return xs;
}

/// A snapshot of `keys` partitions of `anomaly_detection_change_point<std::int64_t>` with
/// confidence 80, `history` and 7 days, each holding the state of one partition fed the first
/// `fill` of `xs` from `now` on, 1 µs apart (`now` ends after them). docs/snapshot.md: the
/// parameters, two clocks, the count, then key, clock and state per partition. Restoring it
/// fills 10^6 partitions in a second instead of minutes of events.
inline std::vector<std::byte> repeated_partition_snapshot(std::size_t keys, std::int64_t history,
                                                          std::int64_t fill,
                                                          const std::vector<double>& xs,
                                                          streamcp::event_time& now) {
    using function = streamcp::anomaly_detection_change_point<std::int64_t>;
    function one{80, history, std::chrono::days{7}};
    const function none{80, history, std::chrono::days{7}};
    for (std::int64_t i = 0; i < fill; ++i) {
        (void)one.evaluate(0, now, xs[static_cast<std::size_t>(i)]);
        now += std::chrono::microseconds{1};
    }
    const auto one_snap = one.snapshot();
    const auto none_snap = none.snapshot();
    const auto kind = streamcp::snapshot_kind::change_point_function;
    const auto payload = streamcp::snapshot_format::open(one_snap, kind);
    const std::size_t head = streamcp::snapshot_format::open(none_snap, kind).size() - 8;
    const auto clock = payload.subspan(head + 8 + 8, 8);  // after the count and key 0
    const auto model = payload.subspan(head + 8 + 16);
    streamcp::byte_writer w;
    w.raw(payload.first(head));
    w.u64(keys);
    for (std::size_t k = 0; k < keys; ++k) {
        w.i64(static_cast<std::int64_t>(k));
        w.raw(clock);
        w.raw(model);
    }
    return streamcp::snapshot_format::seal(kind, w.bytes());
}

/// Resident set size in bytes, from /proc/self/statm (0 where unavailable).
inline std::size_t resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) {
        return 0;
    }
    unsigned long size = 0;
    unsigned long resident = 0;
    const int got = std::fscanf(f, "%lu %lu", &size, &resident);
    std::fclose(f);
    if (got != 2) {
        return 0;
    }
    return static_cast<std::size_t>(resident) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

/// Anonymous memory backed by transparent huge pages, from /proc/self/smaps_rollup (0 where
/// unavailable): shows whether the partition store's MADV_HUGEPAGE advice was taken.
inline std::size_t huge_page_resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/smaps_rollup", "r");
    if (f == nullptr) {
        return 0;
    }
    char line[256];
    unsigned long kib = 0;
    while (std::fgets(line, sizeof line, f) != nullptr) {
        if (std::sscanf(line, "AnonHugePages: %lu kB", &kib) == 1) {
            break;
        }
    }
    std::fclose(f);
    return static_cast<std::size_t>(kib) * 1024;
}

/// Bytes handed out by malloc and not yet freed, chunk overhead included (glibc mallinfo2;
/// else the resident set). Unlike RSS it does not depend on what earlier benchmarks freed.
inline std::size_t heap_bytes() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
#else
    return resident_bytes();
#endif
}

}  // namespace streamcp_bench
