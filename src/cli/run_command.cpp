// SPDX-License-Identifier: MIT
// `streamcp run CONFIG.toml`: a pipeline described in a file.
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "adapters/file_line_sink.hpp"
#include "adapters/file_line_source.hpp"
#include "cli/commands.hpp"
#include "cli/run_reporting.hpp"
#include "pipeline/detect_runner.hpp"
#include "pipeline/fanout_line_sink.hpp"
#include "pipeline/pipeline_config.hpp"

namespace streamcp::cli {
namespace {

struct run_flags {
    std::string config;
    bool quiet = false;
};

int run_pipeline(const run_flags& flags) {
    const pipeline::pipeline_config config = pipeline::load_pipeline_config(flags.config);
    pipeline::detect_job::validate(config.query);
    if (config.checkpoint && config.source.type != "file") {
        throw std::invalid_argument("config: [checkpoint] needs a file source");
    }
    pipeline::run_settings settings;
    std::unique_ptr<adapters::file_archive> archive;
    if (config.archive) {
        archive = make_archive(*config.archive, config.query.out_of_order_tolerance);
        settings.archive = archive.get();
    }
    adapters::file_line_source source{config.source.type == "file" ? config.source.path : "-"};
    std::list<adapters::file_line_sink> sinks;  // stable addresses for the fan-out
    std::vector<pipeline::line_sink*> targets;
    for (const pipeline::endpoint_config& sink : config.sinks) {
        targets.push_back(&sinks.emplace_back(sink.type == "file" ? sink.path : "-"));
    }
    pipeline::fanout_line_sink output{targets};
    std::optional<adapters::file_line_sink> rejects;
    if (config.rejects_path) {
        rejects.emplace(*config.rejects_path);
    }
    settings.checkpoint = config.checkpoint;
    settings.progress = make_progress(flags.quiet);
    const pipeline::detect_counts counts =
        pipeline::run_detect(config.query, source, output, rejects ? &*rejects : nullptr, settings);
    output.flush();
    print_summary("run", counts);
    return 0;
}

}  // namespace

void add_run_command(CLI::App& root, command_action& action) {
    auto flags = std::make_shared<run_flags>();
    CLI::App* cmd = root.add_subcommand(
        "run",
        "Run a pipeline described in a TOML file: [source], [query], [[sinks]], [rejects], "
        "[checkpoint], [archive] (see docs/cli.md)");
    cmd->add_option("config", flags->config, "The pipeline's TOML file")->required();
    cmd->add_flag("--quiet,-q", flags->quiet, "No progress line on a terminal");
    cmd->callback([flags, &action] { action = [flags] { return run_pipeline(*flags); }; });
}

}  // namespace streamcp::cli
