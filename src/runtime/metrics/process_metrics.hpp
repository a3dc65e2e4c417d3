// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace streamcp::pipeline {

/// Appends Prometheus' standard process metrics (CPU seconds, resident and virtual memory,
/// open and maximum file descriptors, start time), read from /proc/self.
void append_process_metrics(std::string& out);

}  // namespace streamcp::pipeline
