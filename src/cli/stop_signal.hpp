// SPDX-License-Identifier: MIT
#pragma once

namespace streamcp::pipeline {

/// Installs SIGINT and SIGTERM handlers that ask a running pipeline to stop: broker sources
/// then end their stream, and the run finishes with a last checkpoint. A second signal of the
/// same kind ends the process at once.
void install_stop_handlers();

/// Whether a stop was requested (by a signal or `request_stop`).
[[nodiscard]] bool stop_requested() noexcept;

/// Asks the pipeline to stop, as a signal would (tests and embedding programs).
void request_stop() noexcept;

/// Forgets an earlier request (tests that run several pipelines in one process).
void clear_stop_request() noexcept;

}  // namespace streamcp::pipeline
