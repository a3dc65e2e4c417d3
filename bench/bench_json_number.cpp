// SPDX-License-Identifier: MIT
// The JSON number output (src/runtime/parse/json_text.cpp, append_json_number) formats each score
// with std::to_chars: shortest round-trip, scientific from 1e15. This weighs fmt's shortest
// formatting ({} and {:e}) against it on the numbers `detect` writes (martingale scores and
// p-values), and counts the values whose text would differ: fmt prefers fixed notation where
// to_chars picks the shorter form (0.0001 against 1e-04), so it is not a drop-in replacement.
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench_common.hpp"

namespace {

/// Scores from 1e-3 to 1e18 and p-values from 1e-8 to 1, as a detector's output spreads them.
std::vector<double> output_numbers() {
    const std::vector<double> noise = streamcp_bench::series(4096, 11);
    std::vector<double> out;
    out.reserve(noise.size());
    for (std::size_t i = 0; i < noise.size(); ++i) {
        const double exponent = (i % 2 == 0) ? -3.0 + 21.0 * std::abs(std::sin(noise[i]))
                                             : -8.0 * std::abs(std::cos(noise[i]));
        out.push_back(std::pow(10.0, exponent) * (1.0 + 0.1 * noise[i]));
    }
    return out;
}

void append_to_chars(std::string& out, double value) {
    std::array<char, 32> buffer{};
    const auto result = std::abs(value) >= 1e15
                            ? std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::scientific)
                            : std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out.append(buffer.data(), result.ptr);
}

void append_fmt(std::string& out, double value) {
    if (std::abs(value) >= 1e15) {
        fmt::format_to(std::back_inserter(out), "{:e}", value);
    } else {
        fmt::format_to(std::back_inserter(out), "{}", value);
    }
}

template <void (*Append)(std::string&, double)>
void BM_json_number(benchmark::State& state) {
    const std::vector<double> numbers = output_numbers();
    std::string line;
    for (auto _ : state) {
        line.clear();
        for (const double v : numbers) {
            Append(line, v);
            line += ',';
        }
        benchmark::DoNotOptimize(line.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(numbers.size()));
    std::size_t differ = 0;
    for (const double v : numbers) {
        std::string a;
        std::string b;
        append_to_chars(a, v);
        append_fmt(b, v);
        if (a != b) {
            ++differ;
        }
    }
    state.counters["texts_differing_from_to_chars"] = static_cast<double>(differ);
}

BENCHMARK(BM_json_number<append_to_chars>)->Name("BM_json_number_to_chars");
BENCHMARK(BM_json_number<append_fmt>)->Name("BM_json_number_fmt");

}  // namespace
