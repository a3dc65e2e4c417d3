// SPDX-License-Identifier: MIT
// How far the fast kernel (kernel_path::fast) strays from the exact one, measured: random
// series (level shifts, scale changes, ties, NaN) through both kernels side by side, over a grid
// of histories, confidences and both martingales, plus the spike-and-dip detector. Prints the
// events compared, the alerts of each kernel, the alerts that differ, the largest |p difference|
// and the largest relative score difference; exits 1 when any alert differs or a bound of
// docs/semantics.md#fast-kernel is exceeded.
//
//   fast_kernel_agreement [--events N] [--seed S]     (default 10^6 events, seed 1)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "streamcp/streamcp.hpp"

namespace {

using streamcp::kernel_path;

constexpr double p_bound = 1e-14;     // absolute
constexpr double score_bound = 1e-6;  // relative

struct tally {
    std::uint64_t events = 0;
    std::uint64_t alerts_exact = 0;
    std::uint64_t alerts_fast = 0;
    std::uint64_t alerts_differ = 0;
    double worst_p = 0.0;
    double worst_score = 0.0;
};

/// Stationary stretches with level shifts and scale changes, rounded ties and NaN.
std::vector<double> random_series(std::mt19937_64& rng, std::size_t n) {
    std::normal_distribution<double> noise{0.0, 1.0};
    std::vector<double> xs(n);
    double level = 10.0;
    double scale = 1.0;
    for (double& v : xs) {
        if (rng() % 211 == 0) {
            level += noise(rng) * 5.0;
        }
        if (rng() % 307 == 0) {
            scale = std::exp(noise(rng));
        }
        v = level + scale * noise(rng);
        if (rng() % 41 == 0) {
            v = std::round(v);
        }
        if (rng() % 53 == 0) {
            v = std::numeric_limits<double>::quiet_NaN();
        }
    }
    return xs;
}

template <class Result>
void compare(const Result& a, const Result& b, double score_a, double score_b, tally& t) {
    ++t.events;
    t.alerts_exact += a.is_anomaly ? 1 : 0;
    t.alerts_fast += b.is_anomaly ? 1 : 0;
    t.alerts_differ += a.is_anomaly != b.is_anomaly ? 1 : 0;
    if (!std::isnan(a.p_value)) {
        t.worst_p = std::max(t.worst_p, std::abs(a.p_value - b.p_value));
    }
    if (score_a != score_b && std::isfinite(score_a) && score_a != 0.0) {
        t.worst_score = std::max(t.worst_score, std::abs(score_a - score_b) / std::abs(score_a));
    } else if (score_a != score_b && !(std::isnan(score_a) && std::isnan(score_b))) {
        t.worst_score = std::numeric_limits<double>::infinity();  // inf or 0 against another
    }
}

template <class Detector, class Options>
void run(const Options& options, const std::vector<double>& xs, tally& t) {
    Detector exact{options};
    Detector fast{options, kernel_path::fast};
    for (const double x : xs) {
        const auto a = exact.update(x);
        const auto b = fast.update(x);
        if constexpr (requires { a.score; }) {
            compare(a, b, a.score, b.score, t);
        } else {
            compare(a, b, a.p_value, b.p_value, t);
        }
    }
}

int measure_agreement(int argc, char** argv) {
    std::uint64_t events = 1'000'000;
    std::uint64_t seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--events") == 0) {
            events = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (std::strcmp(argv[i], "--seed") == 0) {
            seed = std::strtoull(argv[i + 1], nullptr, 10);
        } else {
            std::fprintf(stderr, "fast_kernel_agreement: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    // Short histories get more events: they are cheap, and where the fixed cost lives.
    const std::vector<std::int64_t> histories{1, 2, 3, 5, 8, 12, 13, 30, 60, 61, 200, 600};
    const std::vector<double> weights{1, 1, 1, 2, 2, 8, 2, 2, 4, 1, 1, 1};
    double weight_sum = 0;
    for (const double w : weights) {
        weight_sum += w;
    }
    std::mt19937_64 rng{seed};
    tally t;
    for (std::size_t h = 0; h < histories.size(); ++h) {
        const auto history = histories[h];
        // Five configurations share this history's events.
        const auto per_run =
            static_cast<std::size_t>(static_cast<double>(events) * weights[h] / weight_sum / 5.0);
        if (per_run == 0) {
            continue;
        }
        for (const double confidence : {80.0, 95.0, 99.0}) {
            run<streamcp::change_point_detector>(
                streamcp::change_point_options{.confidence = confidence, .history = history},
                random_series(rng, per_run), t);
        }
        run<streamcp::change_point_detector>(
            streamcp::change_point_options{.confidence = 90,
                                           .history = history,
                                           .martingale = streamcp::martingale_type::mixture},
            random_series(rng, per_run), t);
        run<streamcp::spike_and_dip_detector>(
            streamcp::spike_and_dip_options{.confidence = 99, .history = history},
            random_series(rng, per_run), t);
    }
    std::printf(
        "fast kernel against exact (%s): %llu events, alerts %llu exact / %llu fast, %llu differ; "
        "worst |dp| %.3g (bound %.0e), worst relative score %.3g (bound %.0e)\n",
        streamcp::detail::fast_kernel_is_vectorised() ? "avx2" : "scalar fallback",
        static_cast<unsigned long long>(t.events), static_cast<unsigned long long>(t.alerts_exact),
        static_cast<unsigned long long>(t.alerts_fast),
        static_cast<unsigned long long>(t.alerts_differ), t.worst_p, p_bound, t.worst_score,
        score_bound);
    return t.alerts_differ == 0 && t.worst_p <= p_bound && t.worst_score <= score_bound ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    // A refused option or a failed allocation ends the run with a message, not an abort.
    try {
        return measure_agreement(argc, argv);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "fast_kernel_agreement: %s\n", error.what());
        return 2;
    }
}
