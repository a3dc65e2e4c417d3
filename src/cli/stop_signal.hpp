// SPDX-License-Identifier: MIT
#pragma once

#include "stop_token.hpp"

namespace streamcp::cli {

/// The stop request SIGINT and SIGTERM make once `install_stop_handlers` ran: broker sources
/// holding this token then end their stream, and the run finishes with a last checkpoint.
[[nodiscard]] pipeline::stop_token signal_stop_token() noexcept;

/// Installs the SIGINT and SIGTERM handlers. A second signal of the same kind ends the process
/// at once.
void install_stop_handlers();

}  // namespace streamcp::cli
