// SPDX-License-Identifier: MIT
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace streamcp::pipeline {

/// The message tail for an unknown name: "allowed: a, b, c" and, when one of `allowed` is
/// within two edits (a swap of neighbours counts as one), "; did you mean 'b'?".
[[nodiscard]] std::string allowed_names(std::string_view unknown,
                                        std::span<const std::string_view> allowed);
[[nodiscard]] std::string allowed_names(std::string_view unknown,
                                        std::initializer_list<std::string_view> allowed);

/// The one of `allowed` nearest to `unknown` within two edits; empty when none is.
[[nodiscard]] std::string closest_name(std::string_view unknown,
                                       std::span<const std::string_view> allowed);

}  // namespace streamcp::pipeline
