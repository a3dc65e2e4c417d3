// SPDX-License-Identifier: MIT
// ML.NET's own vectors (semantics.md#tolerances): alerts exact everywhere, float32-printed sets
// exact after rounding to float32, `directapi_changedetection` bit for bit, the rest by their own
// rule.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "streamcp/streamcp.hpp"

#include "test_data.hpp"

namespace {

using streamcp_test::vector_set;

const std::vector<vector_set>& all_sets() {
    static const std::vector<vector_set> sets = streamcp_test::load_mlnet_vectors();
    return sets;
}

/// Compares one cell by the set's rule; returns an empty string when it matches.
std::string mismatch(const vector_set& set, double got, double want) {
    bool ok = false;
    if (set.id == "directapi_changedetection") {
        ok = got == want;  // ML.NET's DirectApi test asserts exact double equality
    } else if (set.compare_mode == "float32") {
        ok = static_cast<float>(got) == static_cast<float>(want);
    } else if (set.compare_mode == "abs") {
        ok = std::abs(got - want) <= set.tol;
    } else if (set.compare_mode == "decimals") {
        ok = std::abs(got - want) <= 0.5 * std::pow(10.0, -set.decimals) + 1e-9;
    }
    if (ok) {
        return {};
    }
    char buf[128];
    std::snprintf(buf, sizeof buf, "got %.17g want %.17g", got, want);
    return buf;
}

class MlnetVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(MlnetVectors, EveryRowMatches) {
    const vector_set* found = nullptr;
    for (const auto& s : all_sets()) {
        if (s.id == GetParam()) {
            found = &s;
        }
    }
    ASSERT_NE(found, nullptr);
    const vector_set& set = *found;
    ASSERT_GE(set.inputs.size(), set.expected.size());

    std::vector<std::vector<double>> rows;  // alert, raw, p[, martingale]
    if (set.kind == "iid_spike") {
        streamcp::spike_and_dip_detector det{{.confidence = set.confidence,
                                              .history = set.history,
                                              .mode = set.side == "positive"
                                                          ? streamcp::spike_mode::spikes
                                                          : streamcp::spike_mode::dips}};
        for (const double x : set.inputs) {
            const auto r = det.update(x);
            rows.push_back({r.is_anomaly ? 1.0 : 0.0, static_cast<float>(x), r.p_value});
        }
    } else {
        streamcp::change_point_detector det{{.confidence = set.confidence,
                                             .history = set.history,
                                             .martingale = set.martingale == "power"
                                                               ? streamcp::martingale_type::power
                                                               : streamcp::martingale_type::mixture,
                                             .epsilon = set.eps}};
        for (const double x : set.inputs) {
            const auto r = det.update(x);
            rows.push_back({r.is_anomaly ? 1.0 : 0.0, static_cast<float>(x), r.p_value, r.score});
        }
    }

    int bad = 0;
    for (std::size_t i = 0; i < set.expected.size(); ++i) {
        const auto& want = set.expected[i];
        ASSERT_EQ(rows[i][0], want[0]) << set.id << " row " << i << ": alert differs";
        for (std::size_t c = 1; c < want.size(); ++c) {
            const std::string m = mismatch(set, rows[i][c], want[c]);
            if (!m.empty() && ++bad <= 10) {
                ADD_FAILURE() << set.id << " row " << i << " column " << c << ": " << m;
            }
        }
    }
    EXPECT_EQ(bad, 0) << set.id << ": cells out of tolerance";
}

INSTANTIATE_TEST_SUITE_P(
    AllSets, MlnetVectors,
    ::testing::Values("directapi_changedetection", "savepipe_real11_power",
                      "savepipe_real11_mixture", "sample_batch_5to7", "ssa_layer_directapi_netcore",
                      "ssa_layer_directapi_netfx", "ssa_layer_prediction_engine",
                      "savepipe_spike_real1_positive", "savepipe_spike_real1_negative"),
    [](const auto& param_info) { return param_info.param; });

TEST(MlnetVectorsFile, HoldsTheNineSets) { EXPECT_EQ(all_sets().size(), 9U); }

}  // namespace
