// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/core/batch_error.hpp"
#include "streamcp/detail/validate.hpp"

STREAMCP_BEGIN_NAMESPACE
namespace detail {

/// Throws unless the batch array `name` has as many elements as the array `reference`.
inline void check_same_length(std::string_view name, std::size_t size, std::string_view reference,
                              std::size_t expected) {
    if (size != expected) {
        throw std::invalid_argument(
            fmt::format("{} has {} elements; {} has {}", name, size, reference, expected));
    }
}

/// Throws unless a batch's output span has one element per input value.
inline void check_batch_size(std::size_t values_size, std::size_t out_size) {
    check_same_length("out", out_size, "values", values_size);
}

/// Throws unless every value can be scored by an ML.NET-exact model (`to_model_value`) and
/// `out_size` matches: a batch is checked whole before any value changes the state. A bad
/// value is a `batch_error` naming its index.
inline void check_batch(std::span<const double> values, std::size_t out_size) {
    check_batch_size(values.size(), out_size);
    for (std::size_t i = 0; i < values.size(); ++i) {
        try {
            (void)to_model_value(values[i]);
        } catch (const std::invalid_argument& e) {
            throw batch_error(i, batch_field::value, e.what());
        }
    }
}

}  // namespace detail
STREAMCP_END_NAMESPACE
