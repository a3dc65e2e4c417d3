// SPDX-License-Identifier: MIT
// The Eigen::Ref batch overloads score exactly as the std::span members, for contiguous and
// strided Eigen vectors alike, and reject what the span members reject.
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <gtest/gtest.h>

#include "streamcp/eigen.hpp"

namespace {

Eigen::VectorXd step_series() {
    Eigen::VectorXd v(40);
    for (Eigen::Index i = 0; i < v.size(); ++i) {
        v[i] = (i < 25 ? 5.0 : 9.0) + 0.01 * static_cast<double>(i % 3);
    }
    return v;
}

/// Equal, NaN equal to NaN (warm-up p-values of the robust detector are NaN).
bool same_number(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

bool same(const streamcp::change_point_result& a, const streamcp::change_point_result& b) {
    return same_number(a.score, b.score) && same_number(a.p_value, b.p_value) &&
           a.is_anomaly == b.is_anomaly;
}

bool same(const streamcp::spike_and_dip_result& a, const streamcp::spike_and_dip_result& b) {
    return same_number(a.p_value, b.p_value) && a.is_anomaly == b.is_anomaly;
}

bool same(const streamcp::robust_change_point_result& a,
          const streamcp::robust_change_point_result& b) {
    return same_number(a.score, b.score) && same_number(a.p_value, b.p_value) &&
           a.is_change == b.is_change && a.onset_lag == b.onset_lag;
}

template <class Detector, class Options>
void expect_same_as_span(const Options& options) {
    using result = decltype(std::declval<Detector&>().update(0.0));
    const Eigen::VectorXd values = step_series();
    Detector by_span{options};
    std::vector<result> expected(static_cast<std::size_t>(values.size()));
    by_span.update_many(std::span<const double>{values.data(), expected.size()}, expected);

    Detector by_ref{options};
    std::vector<result> got(expected.size());
    streamcp::update_many(by_ref, values, got);
    EXPECT_EQ(by_ref.snapshot(), by_span.snapshot());

    // A matrix row is strided: Eigen::Ref copies it, the scores stay the same.
    Eigen::MatrixXd rows(2, values.size());
    rows.row(1) = values.transpose();
    Detector by_row{options};
    std::vector<result> from_row(expected.size());
    streamcp::update_many(by_row, rows.row(1).transpose(), from_row);
    EXPECT_EQ(by_row.snapshot(), by_span.snapshot());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_TRUE(same(got[i], expected[i])) << "event " << i;
        EXPECT_TRUE(same(from_row[i], expected[i])) << "event " << i;
    }
}

TEST(EigenBatch, ChangePointMatchesSpan) {
    expect_same_as_span<streamcp::change_point_detector>(
        streamcp::change_point_options{.confidence = 95, .history = 8});
}

TEST(EigenBatch, SpikeAndDipMatchesSpan) {
    expect_same_as_span<streamcp::spike_and_dip_detector>(
        streamcp::spike_and_dip_options{.confidence = 95, .history = 8});
}

TEST(EigenBatch, RobustMatchesSpan) {
    expect_same_as_span<streamcp::robust_change_point_detector>(
        streamcp::robust_change_point_options{.history = 20, .min_history = 5});
}

TEST(EigenBatch, RejectsWhatTheSpanRejects) {
    streamcp::change_point_detector det{{.history = 4}};
    Eigen::VectorXd values(3);
    values << 1.0, std::numeric_limits<double>::infinity(), 2.0;
    std::vector<streamcp::change_point_result> out(3);
    EXPECT_THROW(streamcp::update_many(det, values, out), std::invalid_argument);
    EXPECT_EQ(det.fill(), 0U);  // checked whole first: nothing scored
    std::vector<streamcp::change_point_result> short_out(2);
    EXPECT_THROW(streamcp::update_many(det, values.head(2), std::span{short_out}.first(1)),
                 std::invalid_argument);
}

}  // namespace
