// SPDX-License-Identifier: MIT
#pragma once

/// `Eigen::Ref` overloads of the detectors' batch APIs: any Eigen vector of doubles (a VectorXd,
/// an ArrayXd, a matrix column, a segment) is scored in place; a strided one (a matrix row) is
/// copied once into a contiguous temporary by `Eigen::Ref`. Same checks and results as the
/// `std::span` members.

#include <span>

#include <Eigen/Core>

#include "streamcp/config.hpp"
#include "streamcp/model/change_point_detector.hpp"
#include "streamcp/model/robust_change_point_detector.hpp"
#include "streamcp/model/spike_and_dip_detector.hpp"

STREAMCP_BEGIN_NAMESPACE

/// The values of an Eigen vector as a span over its contiguous storage.
[[nodiscard]] inline std::span<const double> as_span(
    const Eigen::Ref<const Eigen::VectorXd>& values) noexcept {
    return {values.data(), static_cast<std::size_t>(values.size())};
}

inline void update_many(change_point_detector& detector,
                        const Eigen::Ref<const Eigen::VectorXd>& values,
                        std::span<change_point_result> out) {
    detector.update_many(as_span(values), out);
}

inline void update_many(spike_and_dip_detector& detector,
                        const Eigen::Ref<const Eigen::VectorXd>& values,
                        std::span<spike_and_dip_result> out) {
    detector.update_many(as_span(values), out);
}

inline void update_many(robust_change_point_detector& detector,
                        const Eigen::Ref<const Eigen::VectorXd>& values,
                        std::span<robust_change_point_result> out) {
    detector.update_many(as_span(values), out);
}

STREAMCP_END_NAMESPACE
