// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/detail/validate.hpp"

STREAMCP_BEGIN_NAMESPACE
namespace detail {

/// Throws unless a batch's output span has one element per input value.
inline void check_batch_size(std::size_t values_size, std::size_t out_size) {
    if (out_size != values_size) {
        throw std::invalid_argument(
            fmt::format("out has {} elements; values has {}", out_size, values_size));
    }
}

/// Throws unless every value can be scored by an ML.NET-exact model (`to_model_value`) and
/// `out_size` matches: a batch is checked whole before any value changes the state.
inline void check_batch(std::span<const double> values, std::size_t out_size) {
    check_batch_size(values.size(), out_size);
    for (const double v : values) {
        (void)to_model_value(v);
    }
}

}  // namespace detail
STREAMCP_END_NAMESPACE
