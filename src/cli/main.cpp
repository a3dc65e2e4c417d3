// SPDX-License-Identifier: MIT
// The streamcp command: ASA's anomaly-detection job as one local command.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "closest_name.hpp"
#include "commands.hpp"
#include "line_source.hpp"
#include "stop_signal.hpp"

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
    // CLI11 says only "not expected" for a misspelt command: name the commands and the closest.
    if (argc > 1 && argv[1][0] != '-') {
        const std::string given = argv[1];
        std::vector<std::string_view> names;
        bool known = false;
        for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
            known = known || command->check_name(given);
            if (!command->get_group().empty()) {  // hidden tools are not suggested
                names.push_back(command->get_name());
            }
        }
        if (!known) {
            std::fprintf(stderr, "streamcp: '%s' is not a command (%s)\n", given.c_str(),
                         streamcp::pipeline::allowed_names(given, names).c_str());
            return streamcp::cli::exit_usage_error;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);
        return code == 0 ? 0 : streamcp::cli::exit_usage_error;
    }
    try {
        const int code = action();
        // Stopped by SIGINT / SIGTERM after a clean finish: the shell's convention, 128 + signal.
        const int stopped_by = streamcp::cli::stop_signal_number();
        return code == 0 && stopped_by != 0 ? 128 + stopped_by : code;
    } catch (const streamcp::pipeline::input_changed& error) {
        std::fprintf(stderr, "streamcp: %s\n", error.what());
        return streamcp::cli::exit_input_changed;
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
