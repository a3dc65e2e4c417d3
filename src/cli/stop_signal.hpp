// SPDX-License-Identifier: MIT
#pragma once

#include "stop_token.hpp"

namespace streamcp::cli {

/// The stop request SIGINT and SIGTERM make once `install_stop_handlers` ran: sources and runs
/// holding this token stop reading, and the command finishes with flushed outputs, a last
/// checkpoint and its summary.
[[nodiscard]] pipeline::stop_token signal_stop_token() noexcept;

/// Installs the SIGINT and SIGTERM handlers, without SA_RESTART so that a read waiting on a
/// pipe returns. A second signal ends the process at once.
void install_stop_handlers();

/// The signal that requested the stop, or 0: the command then exits 128 + it (130, 143).
[[nodiscard]] int stop_signal_number() noexcept;

}  // namespace streamcp::cli
