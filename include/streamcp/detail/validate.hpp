// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE
namespace detail {

/// Formats a double in its shortest round-trip form ("80", "0.1", "1e+300", "nan").
[[nodiscard]] inline std::string format_number(double v) {
    std::array<char, 32> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return ec == std::errc{} ? std::string(buf.data(), end) : std::string("?");
}

[[noreturn]] inline void throw_out_of_range(std::string_view name, const std::string& value,
                                            std::string_view allowed) {
    throw std::invalid_argument(fmt::format("{} = {} is out of range: {}", name, value, allowed));
}

/// Checks `low <= value <= high` (NaN fails), naming the argument in the error.
inline void check_closed(std::string_view name, double value, double low, double high) {
    if (!(value >= low && value <= high)) {
        throw_out_of_range(
            name, format_number(value),
            fmt::format("allowed [{}, {}]", format_number(low), format_number(high)));
    }
}

inline void check_open(std::string_view name, double value, double low, double high) {
    if (!(value > low && value < high)) {
        throw_out_of_range(
            name, format_number(value),
            fmt::format("allowed ({}, {})", format_number(low), format_number(high)));
    }
}

/// Checks `low <= value <= high` for a whole-number argument. `allowed` replaces the default
/// "allowed [low, high]" where the range has a name (`[2, history]`) or a gap (`0 or [2, 10]`).
inline void check_integer(std::string_view name, std::int64_t value, std::int64_t low,
                          std::int64_t high, std::string_view allowed = {}) {
    if (value < low || value > high) {
        throw_out_of_range(name, std::to_string(value),
                           allowed.empty() ? fmt::format("allowed [{}, {}]", low, high)
                                           : fmt::format("allowed {}", allowed));
    }
}

/// Checks `value >= low` for a whole-number argument with no upper bound.
inline void check_at_least(std::string_view name, std::int64_t value, std::int64_t low) {
    if (value < low) {
        throw_out_of_range(name, std::to_string(value), fmt::format("allowed at least {}", low));
    }
}

/// The largest history a model accepts: ML.NET's window is an `int`.
inline constexpr std::int64_t max_history = 2147483647;

inline void check_history(std::int64_t history) {
    check_integer("history", history, 1, max_history);
}

/// Doubles at or beyond this magnitude round to infinity when converted to float32
/// (2^128 - 2^103: halfway between FLT_MAX and 2^128, which rounds up to even).
inline constexpr double float32_overflow_bound = 0x1.ffffffp+127;

/// Converts an input value to float32 as the model stores it (semantics.md#numeric-types).
/// ±infinity and finite values beyond float32's range are rejected (semantics.md#decision-4); NaN
/// passes through.
[[nodiscard]] inline float to_model_value(double value) {
    if (std::isinf(value) || std::abs(value) >= float32_overflow_bound) {
        throw std::invalid_argument("value = " + format_number(value) +
                                    " is out of range: allowed a finite number within float32 "
                                    "range (|value| <= 3.4028235e38) or NaN");
    }
    return static_cast<float>(value);
}

}  // namespace detail
STREAMCP_END_NAMESPACE
