// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string_view>

namespace streamcp::pipeline {

/// Parses a duration as the CLI and config files write it: one or more `<integer><unit>` parts
/// with units d, h, m, s, ms, us, ns (`30m`, `1h30m`, `500ms`), or ISO-8601 (`PT30M`, `P1D`,
/// `PT0.5S`). Throws `std::invalid_argument` naming the text when it is not a duration.
[[nodiscard]] std::chrono::nanoseconds parse_duration(std::string_view text);

}  // namespace streamcp::pipeline
