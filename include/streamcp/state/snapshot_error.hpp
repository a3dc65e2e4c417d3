// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// Thrown when a snapshot cannot be restored: truncated, corrupted, foreign, of another
/// format version, or recorded with other parameters. Nothing is modified when it is thrown.
class snapshot_error : public std::runtime_error {
  public:
    explicit snapshot_error(const std::string& what)
        : std::runtime_error("streamcp snapshot: " + what) {}
};

STREAMCP_END_NAMESPACE
