// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string_view>

#include "pipeline/detect_job.hpp"

namespace streamcp::cli {

/// Progress on stderr when it is a terminal (events/s, anomalies, rejects), else nothing.
[[nodiscard]] std::function<void(const pipeline::detect_counts&, bool)> make_progress(bool quiet);

/// The end-of-run line on stderr: read, written, filtered, rejected, anomalies.
void print_summary(std::string_view command, const pipeline::detect_counts& counts);

}  // namespace streamcp::cli
