// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// Which input of a batch call an event failed on.
enum class batch_field { time, value };

/// A batch call's refusal of one event: where it is (`index`, `field`) for callers that point
/// at the user's own rows, and the message "event <index>: <reason>" for everyone else.
class batch_error : public std::invalid_argument {
  public:
    batch_error(std::size_t index, batch_field field, const std::string& reason)
        : std::invalid_argument(fmt::format("event {}: {}", index, reason)),
          index_(index),
          field_(field),
          reason_length_(reason.size()) {}

    [[nodiscard]] std::size_t index() const noexcept { return index_; }
    [[nodiscard]] batch_field field() const noexcept { return field_; }
    /// The reason alone, without the "event <index>: " prefix.
    [[nodiscard]] std::string reason() const {
        const std::string text = what();
        return text.substr(text.size() - reason_length_);
    }

  private:
    std::size_t index_;
    batch_field field_;
    std::size_t reason_length_;
};

STREAMCP_END_NAMESPACE
