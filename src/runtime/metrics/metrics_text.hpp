// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace streamcp::pipeline {

/// `# HELP` and `# TYPE` lines of one metric family in Prometheus' text format.
void append_metric_header(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help);

/// One sample line; `labels` is empty or `name="value",...` without braces, already escaped.
void append_sample(std::string& out, std::string_view name, std::string_view labels, double value);
void append_sample(std::string& out, std::string_view name, std::string_view labels,
                   std::uint64_t value);

/// `name="value"` with the value escaped as the text format requires.
[[nodiscard]] std::string label(std::string_view name, std::string_view value);

}  // namespace streamcp::pipeline
