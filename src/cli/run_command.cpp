// SPDX-License-Identifier: MIT
// `streamcp run CONFIG.toml`: a pipeline described in a file.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "detect_runner.hpp"
#include "endpoint_factory.hpp"
#include "fanout_line_sink.hpp"
#include "file_line_sink.hpp"
#include "metrics_option.hpp"
#include "pipeline_config.hpp"
#include "run_files.hpp"
#include "run_reporting.hpp"
#include "stop_signal.hpp"

namespace streamcp::cli {
namespace {

struct run_flags {
    std::string config;
    bool quiet = false;
    bool progress = false;
    std::string metrics_listen;
};

int run_pipeline(const run_flags& flags) {
    const pipeline::pipeline_config config = pipeline::load_pipeline_config(flags.config);
    // Every start-up check runs before any output is opened for writing.
    pipeline::detect_engine::validate(config.query);
    refuse_shared_files(config, setting_names::config_keys);
    pipeline::run_settings settings;
    const auto metrics =
        start_metrics(flags.metrics_listen.empty() ? config.metrics_listen : flags.metrics_listen,
                      flags.metrics_listen.empty() ? "metrics.listen" : "--metrics-listen",
                      config.query, config.sinks.size(), settings);
    std::unique_ptr<pipeline::archive_sink> archive;
    if (config.archive) {
        archive = make_archive(*config.archive, config.query.out_of_order_tolerance,
                               config.checkpoint.has_value());
        archive->prepare();
        settings.archive = archive.get();
    }
    // Broker sources never end by themselves: SIGINT / SIGTERM end the run with a checkpoint.
    install_stop_handlers();
    settings.stop = signal_stop_token();
    const std::unique_ptr<pipeline::line_source> source =
        adapters::make_source(config.source, settings.stop);
    const backlog_watch watch(metrics.get(), *source);
    if (config.checkpoint && !source->seekable()) {
        throw std::invalid_argument(
            "config: [checkpoint] needs a source that can resume (a file "
            "or a broker); " +
            source->name() + " cannot");
    }
    settings.checkpoint = config.checkpoint;
    settings.outputs = outputs_identity(config);
    pipeline::prepared_checkpoint checkpoint =
        pipeline::prepare_checkpoint(config.query, *source, settings);
    std::vector<std::unique_ptr<pipeline::line_sink>> sinks;
    std::vector<pipeline::line_sink*> targets;
    for (const pipeline::endpoint_config& sink : config.sinks) {
        targets.push_back(sinks.emplace_back(adapters::make_sink(sink)).get());
    }
    pipeline::fanout_line_sink output{targets};
    std::optional<adapters::file_line_sink> rejects;
    if (config.rejects_path) {
        rejects.emplace(*config.rejects_path, "rejects file");
    }
    settings.progress = make_progress(flags.quiet, flags.progress);
    const pipeline::detect_counts counts =
        pipeline::run_detect(config.query, *source, output,
                             metered_rejects(metrics.get(), rejects ? &*rejects : nullptr),
                             settings, std::move(checkpoint));
    output.flush();
    print_summary("run", config.query, counts);
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
    CLI::Option* quiet =
        cmd->add_flag("--quiet,-q", flags->quiet, "No progress line on a terminal");
    cmd->add_flag("--progress", flags->progress,
                  "Progress on stderr also when it is not a terminal: a line every 5 s")
        ->excludes(quiet);
    add_metrics_listen_option(*cmd, flags->metrics_listen);
    cmd->callback([flags, &action] { action = [flags] { return run_pipeline(*flags); }; });
}

}  // namespace streamcp::cli
