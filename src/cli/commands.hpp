// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "detect_settings.hpp"
#include "pipeline_config.hpp"

namespace streamcp::cli {

/// The chosen subcommand's work, set while parsing; returns the process exit code.
using command_action = std::function<int()>;

/// Exit codes: 0 done, 1 an I/O or data error stopped the run, 2 bad arguments.
inline constexpr int exit_io_error = 1;
inline constexpr int exit_usage_error = 2;
/// A followed input (`--follow`) was replaced or truncated.
inline constexpr int exit_input_changed = 3;

void add_detect_command(CLI::App& root, command_action& action);

/// `detect`'s flags: the settings a `streamcp run` config holds, plus the terminal's own.
struct detect_options {
    pipeline::query_settings query;
    pipeline::checkpoint_settings checkpoint;
    pipeline::archive_config archive;
    std::string input = "-";
    std::string output = "-";
    std::string rejects;
    bool follow = false;         ///< `[source] follow`: tail a growing input file
    std::string idle_exit;       ///< `[source] idle_exit`; empty: follow until a signal
    std::string metrics_listen;  ///< `[metrics] listen`; empty: no metrics server
    bool quiet = false;          ///< no progress line (a terminal setting, not the pipeline's)
    bool progress = false;       ///< progress lines also when stderr is not a terminal
};

/// Binds `detect`'s flags to `options`, which must outlive the parse.
void add_detect_options(CLI::App& detect, detect_options& options);

/// The pipeline `options` describe, as `streamcp run` reads it from a config file: `detect`
/// runs this, and the tests prove each flag's TOML key gives the same.
[[nodiscard]] pipeline::pipeline_config detect_config(const detect_options& options);
void add_simulate_command(CLI::App& root, command_action& action);
void add_run_command(CLI::App& root, command_action& action);
void add_passthrough_command(CLI::App& root, command_action& action);

}  // namespace streamcp::cli
