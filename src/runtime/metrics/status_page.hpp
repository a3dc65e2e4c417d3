// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include "metrics_registry.hpp"

namespace streamcp::pipeline {

/// What the page adds to the registry's view: rates measured between two page loads.
struct status_rates {
    double events_per_second = 0;
    std::vector<double> idle_seconds_by_partition;  ///< since the partition's count last moved
};

/// The status page: one self-contained HTML document (inline CSS and SVG, no script, no
/// external asset) that reloads itself every `refresh_seconds`. Numbers the tests compare
/// with `/metrics` carry a `data-metric` attribute naming the metric.
[[nodiscard]] std::string render_status_page(const status_view& view, const status_rates& rates,
                                             int refresh_seconds);

}  // namespace streamcp::pipeline
