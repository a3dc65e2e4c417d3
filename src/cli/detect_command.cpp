// SPDX-License-Identifier: MIT
// `streamcp detect`: the seed's query over JSON Lines.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <streamcp/model/robust_change_point_detector.hpp>

#include "commands.hpp"
#include "detect_runner.hpp"
#include "duration_parse.hpp"
#include "file_line_sink.hpp"
#include "file_line_source.hpp"
#include "integer_option.hpp"
#include "metrics_option.hpp"
#include "pipeline_config.hpp"
#include "run_files.hpp"
#include "run_reporting.hpp"
#include "stop_signal.hpp"

namespace streamcp::cli {
namespace {

/// `--follow` and `--idle-exit`.
adapters::follow_options follow_flags(const detect_options& options) {
    adapters::follow_options follow{.enabled = options.follow, .idle_exit = {}};
    if (!options.idle_exit.empty()) {
        if (!options.follow) {
            throw std::invalid_argument("--idle-exit needs --follow");
        }
        follow.idle_exit = pipeline::parse_duration(options.idle_exit);
        if (follow.idle_exit.count() <= 0) {
            throw std::invalid_argument("--idle-exit must be a positive duration, not " +
                                        options.idle_exit);
        }
    }
    return follow;
}

int run_detect_command(const detect_options& options) {
    const pipeline::pipeline_config config = detect_config(options);
    pipeline::run_settings settings;
    if (config.checkpoint) {
        if (config.source.type == "stdin") {
            throw std::invalid_argument(
                "--checkpoint needs a seekable --input file; stdin cannot be resumed");
        }
        settings.checkpoint = config.checkpoint;
    }
    // Every start-up check runs before any output is opened for writing.
    pipeline::detect_engine::validate(config.query);
    refuse_shared_files(config, setting_names::flags);
    const auto metrics =
        start_metrics(config.metrics_listen, "--metrics-listen", config.query, 1, settings);
    std::unique_ptr<pipeline::archive_sink> archive;
    if (config.archive) {
        archive = make_archive(*config.archive, config.query.out_of_order_tolerance,
                               config.checkpoint.has_value());
        archive->prepare();
        settings.archive = archive.get();
    }
    install_stop_handlers();
    settings.stop = signal_stop_token();
    adapters::file_line_source source{options.input, settings.stop, follow_flags(options)};
    settings.outputs = outputs_identity(config);
    pipeline::prepared_checkpoint checkpoint =
        pipeline::prepare_checkpoint(config.query, source, settings);
    adapters::file_line_sink output{options.output};
    std::optional<adapters::file_line_sink> rejects;
    if (config.rejects_path) {
        rejects.emplace(*config.rejects_path, "rejects file");
    }
    settings.progress = make_progress(options.quiet, options.progress);
    const pipeline::detect_counts counts = pipeline::run_detect(
        config.query, source, output, metered_rejects(metrics.get(), rejects ? &*rejects : nullptr),
        settings, std::move(checkpoint));
    output.flush();
    print_summary("detect", config.query, counts);
    return 0;
}

/// A file endpoint, or the standard stream `-` names.
pipeline::endpoint_config file_or_standard(const std::string& path, const char* standard,
                                           const char* section) {
    if (path == "-") {
        return {.type = standard, .path = "", .section = section, .options = {}};
    }
    return {.type = "file", .path = path, .section = section, .options = {}};
}

}  // namespace

pipeline::pipeline_config detect_config(const detect_options& options) {
    pipeline::pipeline_config config;
    config.source = file_or_standard(options.input, "stdin", "source");
    config.query = pipeline::build_query(options.query);
    if (options.follow) {
        config.source.options.emplace("follow", "true");
    }
    if (!options.idle_exit.empty()) {
        config.source.options.emplace("idle_exit", options.idle_exit);
    }
    config.sinks.push_back(file_or_standard(options.output, "stdout", "sinks[0]"));
    if (!options.rejects.empty()) {
        config.rejects_path = options.rejects;
    }
    if (!options.checkpoint.path.empty()) {
        config.checkpoint = pipeline::build_checkpoint(options.checkpoint);
    }
    if (!options.archive.path.empty()) {
        config.archive = options.archive;
    }
    config.metrics_listen = options.metrics_listen;
    return config;
}

void add_detect_command(CLI::App& root, command_action& action) {
    auto options = std::make_shared<detect_options>();
    CLI::App* cmd = root.add_subcommand(
        "detect",
        "Score JSON Lines with AnomalyDetection_ChangePoint(VALUE, CONFIDENCE, HISTORY) OVER "
        "(PARTITION BY KEY LIMIT DURATION(DURATION) WHEN COND), TIMESTAMP BY TIMESTAMP. Writes "
        "one line per input event, in input order: the input object unchanged plus \"Score\" "
        "(number or null) and \"IsAnomaly\" (0, 1 or null). Prints read, written, filtered, "
        "rejected and anomaly counts to stderr at the end. --detector robust scores each "
        "partition with the recommended detector instead: its Score and IsAnomaly are not "
        "ASA's numbers.");
    add_detect_options(*cmd, *options);
    cmd->callback(
        [options, &action] { action = [options] { return run_detect_command(*options); }; });
}

void add_detect_options(CLI::App& detect, detect_options& options) {
    detect
        .add_option("--value", options.query.value,
                    "Field holding the number to score; a.b reads a nested field. Missing or "
                    "null = NULL (no state change); any other non-number is rejected")
        ->required();
    detect
        .add_option("--timestamp", options.query.timestamp,
                    "Field holding the event time (TIMESTAMP BY); missing or unparsable = rejected")
        ->required();
    detect
        .add_option("--timestamp-format", options.query.timestamp_format,
                    "iso (ISO-8601 with Z, +hh:mm or +hhmm, fractional seconds; no offset = UTC), "
                    "epoch-s or epoch-ms")
        ->capture_default_str();
    detect.add_option("--partition-by", options.query.partition_by,
                      "Partition key field: strings or integers (1 and \"1\" differ); missing or "
                      "null = the NULL key. Without it all events form one series");
    detect.add_option("--when", options.query.when,
                      "WHEN field: the event reaches the model only when it is JSON true");
    detect
        .add_option(
            "--detector", options.query.detector,
            "asa (AnomalyDetection_ChangePoint, ASA's numbers exactly) or robust (the "
            "recommended detector per partition, same LIMIT DURATION, WHEN and NULL "
            "rules; its Score, a CUSUM martingale, and IsAnomaly, 1 where a change is "
            "reported, are NOT ASA's numbers; docs/quality.md). With robust give --duration as its "
            "history x the readings' interval (75m for 10 s readings at history 450)")
        ->capture_default_str();
    detect
        .add_option("--kernel", options.query.kernel,
                    "exact (ML.NET's p-values bit for bit) or fast (AVX2 erf and exp: p-values "
                    "within 1e-14 of exact's, the same alerts on every test; docs/cli.md#kernels). "
                    "Detector asa only; a checkpoint resumes with either")
        ->capture_default_str();
    // Optional for robust, so bound through a callback: unset means the detector's default.
    detect.add_option_function<double>(
        "--confidence", [&options](const double& c) { options.query.confidence = c; },
        "Confidence percent: in [1, 100] and truncated to an integer as ASA does; with "
        "--detector robust in (0, 100), default " +
            number_text(robust_change_point_options{}.confidence) +
            ". Required with --detector asa");
    detect.add_option_function<std::int64_t>(
        "--history", [&options](const std::int64_t& h) { options.query.history = h; },
        "History size in events: >= 1; with --detector robust its KDE sample, default " +
            std::to_string(robust_change_point_options{}.history) +
            ". Required with --detector asa");
    detect
        .add_option("--duration", options.query.duration,
                    "LIMIT DURATION: 30m, 2h, 120s, 500ms, 1h30m or ISO-8601 PT30M; at most 7 days")
        ->required();
    detect.add_flag("--fractional-confidence", options.query.fractional_confidence,
                    "Keep a fractional confidence instead of truncating it");
    detect
        .add_option("--out-of-order-tolerance", options.query.out_of_order_tolerance,
                    "Per key, events late by at most this are reordered (held back and released "
                    "in time order)")
        ->capture_default_str();
    detect
        .add_option("--out-of-order-action", options.query.out_of_order_action,
                    "Events later than the tolerance: adjust (scored at the key's latest time "
                    "minus the tolerance) or drop (to rejects)")
        ->capture_default_str();
    detect
        .add_option("--idle-ttl", options.query.idle_ttl,
                    "Forget a partition whose last event lies more than this behind the newest "
                    "event time; its key then starts afresh. 0s (the default, as ASA): never")
        ->capture_default_str();
    detect
        .add_option("--max-partitions", options.query.max_partitions,
                    "At most this many partition keys at once; the events of a new key beyond "
                    "it go to the rejects as partition_limit (with --idle-ttl an idle key frees "
                    "its place). 0: no limit")
        ->check(integer_in(0, UINT64_MAX))  // -1 must not wrap to "no practical limit"
        ->capture_default_str();
    detect.add_option("--input,-i", options.input, "Input JSON Lines file; - is stdin")
        ->capture_default_str();
    detect.add_option("--output,-o", options.output, "Output file; - is stdout")
        ->capture_default_str();
    detect.add_flag("--follow", options.follow,
                    "Tail a growing --input file: wait at its end for more lines, never read a "
                    "line before its newline, end on SIGINT/SIGTERM or --idle-exit; a file "
                    "replaced or truncated meanwhile ends the run with exit status 3");
    detect.add_option("--idle-exit", options.idle_exit,
                      "With --follow: end after this long without new data (e.g. 5m)");
    detect.add_option("--rejects", options.rejects,
                      "Write rejected events here as {reason, detail, line, raw}");
    detect.add_flag("--only-anomalies", options.query.only_anomalies,
                    "Write only events with IsAnomaly = 1 (the seed's WHERE IsAnomaly = 1)");
    detect.add_flag("--project", options.query.project,
                    "Write the seed's shape instead of the whole object: the timestamp, partition "
                    "and value fields plus AnomalyScore (and IsAnomaly unless --only-anomalies)");
    detect.add_option("--checkpoint", options.checkpoint.path,
                      "SQLite file for checkpoints; a rerun with the same arguments resumes. Needs "
                      "a seekable --input");
    detect
        .add_option("--checkpoint-every", options.checkpoint.every,
                    "Checkpoint after this many events")
        ->check(integer_in(0, INT64_MAX))  // 0 reaches build_checkpoint, which names it
        ->capture_default_str();
    detect
        .add_option("--checkpoint-interval", options.checkpoint.interval,
                    "Checkpoint at least this often")
        ->capture_default_str();
    detect.add_option(
        "--archive", options.archive.path,
        "Archive every input line with a usable timestamp, as received, under this "
        "directory: {YYYY}/{MM}/{DD}/{HH}/{mm}-{partition}-{seq}.jsonl by event time, "
        "each file renamed into place when complete");
    detect
        .add_option("--archive-layout", options.archive.layout,
                    "date ({YYYY}/{MM}/{DD}/{HH}/{mm}-...) or iothub "
                    "({hub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}-...)")
        ->capture_default_str();
    detect.add_option("--archive-hub", options.archive.hub, "The {hub} of --archive-layout iothub");
    detect
        .add_option("--archive-format", options.archive.format,
                    "json (.jsonl: each message and a newline) or avro (.avro: IoT Hub "
                    "routing's Avro records)")
        ->capture_default_str();
    detect
        .add_option("--archive-max-bytes", options.archive.max_bytes,
                    "Start a new file of the minute before one would grow past this (0: no limit)")
        ->check(integer_in(0, INT64_MAX))
        ->capture_default_str();
    detect
        .add_option("--threads", options.query.threads,
                    "Worker threads scoring disjoint sets of partition keys, in [1, " +
                        std::to_string(pipeline::max_detect_threads) +
                        "]. Output, rejects, counts and checkpoints are the same for every "
                        "value (a checkpoint resumes with any); only keys spread out, so "
                        "without --partition-by one thread does the work")
        ->check(integer_in(1, pipeline::max_detect_threads))
        ->capture_default_str();
    add_metrics_listen_option(detect, options.metrics_listen);
    CLI::Option* quiet =
        detect.add_flag("--quiet,-q", options.quiet, "No progress line on a terminal");
    detect
        .add_flag("--progress", options.progress,
                  "Progress on stderr also when it is not a terminal: a line every 5 s")
        ->excludes(quiet);
}

}  // namespace streamcp::cli
