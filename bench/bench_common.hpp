// SPDX-License-Identifier: MIT
// Shared helpers of the bench_*.cpp programs: short mode, input data, resident memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <malloc.h>
#include <unistd.h>

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
