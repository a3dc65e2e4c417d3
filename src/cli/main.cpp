// SPDX-License-Identifier: MIT
// The streamcp command: ASA's anomaly-detection job as one local command.
#include <cstdio>
#include <exception>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace {

int run_streamcp(int argc, char** argv) {
    CLI::App app{
        "streamcp: Azure Stream Analytics' AnomalyDetection_ChangePoint on JSON Lines, locally"};
    app.require_subcommand(1);
    streamcp::cli::command_action action;
    streamcp::cli::add_detect_command(app, action);
    streamcp::cli::add_simulate_command(app, action);
    streamcp::cli::add_run_command(app, action);
    streamcp::cli::add_passthrough_command(app, action);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);
        return code == 0 ? 0 : streamcp::cli::exit_usage_error;
    }
    try {
        return action();
    } catch (const std::invalid_argument& error) {
        std::fprintf(stderr, "streamcp: %s\n", error.what());
        return streamcp::cli::exit_usage_error;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "streamcp: %s\n", error.what());
        return streamcp::cli::exit_io_error;
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Building the command line can throw too (allocation); nothing may escape main.
    try {
        return run_streamcp(argc, argv);
    } catch (...) {
        std::fputs("streamcp: unexpected error\n", stderr);
        return streamcp::cli::exit_io_error;
    }
}
