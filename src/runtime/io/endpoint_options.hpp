// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "endpoint_config.hpp"

namespace streamcp::pipeline {

// Typed reads of an endpoint's options. Each throws `std::invalid_argument` naming the setting
// (`config: sinks[1].topic ...`) and what it accepts.

/// A required string option.
[[nodiscard]] std::string option_string(const endpoint_config& endpoint, std::string_view key);

/// A string option with a default.
[[nodiscard]] std::string option_string(const endpoint_config& endpoint, std::string_view key,
                                        std::string fallback);

/// An integer option in [min, max] with a default.
[[nodiscard]] std::int64_t option_int(const endpoint_config& endpoint, std::string_view key,
                                      std::int64_t fallback, std::int64_t min, std::int64_t max);

/// A boolean option (`true` / `false`) with a default.
[[nodiscard]] bool option_bool(const endpoint_config& endpoint, std::string_view key,
                               bool fallback);

/// A duration option (`30s`, `PT1M`, ...) with a default.
[[nodiscard]] std::chrono::nanoseconds option_duration(const endpoint_config& endpoint,
                                                       std::string_view key,
                                                       std::chrono::nanoseconds fallback);

/// A secret: secrets never sit in config files, so option `<key>_env` names the environment
/// variable that holds it. Throws naming the option and the variable when it is unset or empty.
[[nodiscard]] std::string secret_from_env(const endpoint_config& endpoint, std::string_view key);

/// Throws for an option no adapter of this type reads (a typo must not pass silently).
void reject_unknown_options(const endpoint_config& endpoint,
                            std::initializer_list<std::string_view> known);

}  // namespace streamcp::pipeline
