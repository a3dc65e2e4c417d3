// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace streamcp::pipeline {

/// A deterministic id for an output record: 32 lower-case hex digits, the first 16 bytes of the
/// SHA-256 of the line without its newline. Outputs are byte-identical when a restart replays
/// them, so consumers of at-least-once broker sinks drop duplicates by this id.
[[nodiscard]] std::string record_id(std::string_view line);

}  // namespace streamcp::pipeline
