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
