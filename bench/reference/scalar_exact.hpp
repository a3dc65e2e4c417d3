// SPDX-License-Identifier: MIT
// The yardstick of the fast kernel's target: ML.NET's change-point detector written the
// straightforward way, one erf (with one exp) per stored value, no SIMD. Compiled on its own
// with -O2 and the vectorisers off (bench/CMakeLists.txt), so the library's tuning cannot
// leak into it.
#pragma once

#include <cstddef>
#include <vector>

namespace streamcp_bench {

struct scalar_result {
    double score;
    double p_value;
    bool is_anomaly;
};

/// Power martingale, epsilon 0.1, as ASA runs it.
class scalar_exact_detector {
  public:
    scalar_exact_detector(double confidence, std::size_t history);

    scalar_result update(double value);
    void update_many(const double* values, std::size_t n, scalar_result* out);

  private:
    std::size_t history_;
    std::vector<float> values_;  // a ring: filled in order, then `head_` marks the oldest
    std::size_t head_ = 0;
    std::vector<double> bets_;  // the last `history` log bets, a ring with the same head
    std::size_t bet_head_ = 0;
    double pairwise_sum_ = 0.0;
    double log_value_ = 0.0;
    double threshold_;
    int cooldown_ = 0;
};

}  // namespace streamcp_bench
