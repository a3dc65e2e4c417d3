// SPDX-License-Identifier: MIT
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace streamcp::cli {

/// The chosen subcommand's work, set while parsing; returns the process exit code.
using command_action = std::function<int()>;

/// Exit codes: 0 done, 1 an I/O or data error stopped the run, 2 bad arguments.
inline constexpr int exit_io_error = 1;
inline constexpr int exit_usage_error = 2;

void add_detect_command(CLI::App& root, command_action& action);
void add_simulate_command(CLI::App& root, command_action& action);
void add_run_command(CLI::App& root, command_action& action);
void add_passthrough_command(CLI::App& root, command_action& action);

}  // namespace streamcp::cli
