// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include <CLI/CLI.hpp>

namespace streamcp::cli {

/// A check for an integer flag: the text must be an integer in [min, max]. CLI11 alone reads
/// "-1" into an unsigned field as 2^64 - 1; this refuses it, naming the range.
[[nodiscard]] CLI::Validator integer_in(std::int64_t min, std::uint64_t max);

}  // namespace streamcp::cli
