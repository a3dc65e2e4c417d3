// SPDX-License-Identifier: MIT
// `streamcp detect`: the seed's query over JSON Lines.
#include <memory>
#include <optional>
#include <string>

#include "adapters/file_line_sink.hpp"
#include "adapters/file_line_source.hpp"
#include "cli/commands.hpp"
#include "cli/run_reporting.hpp"
#include "pipeline/detect_runner.hpp"
#include "pipeline/duration_parse.hpp"
#include "pipeline/pipeline_config.hpp"

namespace streamcp::cli {
namespace {

struct detect_flags {
    std::string value;
    std::string timestamp;
    std::string timestamp_format = "iso";
    std::string partition_by;
    std::string when;
    double confidence = 0;
    std::int64_t history = 0;
    std::string duration;
    bool fractional_confidence = false;
    std::string tolerance = "0s";
    std::string action = "adjust";
    std::string input = "-";
    std::string output = "-";
    std::string rejects;
    bool only_anomalies = false;
    bool project = false;
    std::string checkpoint;
    std::uint64_t checkpoint_every = 100'000;
    std::string checkpoint_interval = "10s";
    bool quiet = false;
    unsigned threads = 1;
    pipeline::archive_config archive;
};

pipeline::detect_query to_query(const detect_flags& flags) {
    pipeline::detect_query query;
    query.fields.value = pipeline::field_path{flags.value};
    query.fields.timestamp = pipeline::field_path{flags.timestamp};
    query.fields.time_format = pipeline::parse_timestamp_format(flags.timestamp_format);
    if (!flags.partition_by.empty()) {
        query.fields.partition = pipeline::field_path{flags.partition_by};
    }
    if (!flags.when.empty()) {
        query.fields.when = pipeline::field_path{flags.when};
    }
    query.confidence = flags.confidence;
    query.history = flags.history;
    query.duration = pipeline::parse_duration(flags.duration);
    query.fractional_confidence = flags.fractional_confidence;
    query.out_of_order_tolerance = pipeline::parse_duration(flags.tolerance);
    query.out_of_order = pipeline::parse_out_of_order_action(flags.action);
    query.shape.only_anomalies = flags.only_anomalies;
    query.shape.project = flags.project;
    query.threads = flags.threads;
    return query;
}

int run_detect_command(const detect_flags& flags) {
    const pipeline::detect_query query = to_query(flags);
    pipeline::run_settings settings;
    if (!flags.checkpoint.empty()) {
        if (flags.input == "-") {
            throw std::invalid_argument(
                "--checkpoint needs a seekable --input file; stdin cannot be resumed");
        }
        settings.checkpoint = pipeline::checkpoint_policy{
            .path = flags.checkpoint,
            .every_events = flags.checkpoint_every,
            .interval = pipeline::parse_duration(flags.checkpoint_interval)};
    }
    pipeline::detect_job::validate(query);  // before any file is created or truncated
    std::unique_ptr<adapters::file_archive> archive;
    if (!flags.archive.path.empty()) {
        archive = make_archive(flags.archive, query.out_of_order_tolerance);
        settings.archive = archive.get();
    }
    adapters::file_line_source source{flags.input};
    adapters::file_line_sink output{flags.output};
    std::optional<adapters::file_line_sink> rejects;
    if (!flags.rejects.empty()) {
        rejects.emplace(flags.rejects);
    }
    settings.progress = make_progress(flags.quiet);
    const pipeline::detect_counts counts =
        pipeline::run_detect(query, source, output, rejects ? &*rejects : nullptr, settings);
    output.flush();
    print_summary("detect", counts);
    return 0;
}

}  // namespace

void add_detect_command(CLI::App& root, command_action& action) {
    auto flags = std::make_shared<detect_flags>();
    CLI::App* cmd = root.add_subcommand(
        "detect",
        "Score JSON Lines with AnomalyDetection_ChangePoint(VALUE, CONFIDENCE, HISTORY) OVER "
        "(PARTITION BY KEY LIMIT DURATION(DURATION) WHEN COND), TIMESTAMP BY TIMESTAMP. Writes "
        "one line per input event, in input order: the input object unchanged plus \"Score\" "
        "(number or null) and \"IsAnomaly\" (0, 1 or null). Prints read, written, filtered, "
        "rejected and anomaly counts to stderr at the end.");
    cmd->add_option("--value", flags->value,
                    "Field holding the number to score; a.b reads a nested field. Missing or "
                    "null = NULL (no state change); any other non-number is rejected")
        ->required();
    cmd->add_option("--timestamp", flags->timestamp,
                    "Field holding the event time (TIMESTAMP BY); missing or unparsable = rejected")
        ->required();
    cmd->add_option("--timestamp-format", flags->timestamp_format,
                    "iso (ISO-8601 with Z, +hh:mm or +hhmm, fractional seconds; no offset = UTC), "
                    "epoch-s or epoch-ms")
        ->capture_default_str();
    cmd->add_option("--partition-by", flags->partition_by,
                    "Partition key field: strings or integers (1 and \"1\" differ); missing or "
                    "null = the NULL key. Without it all events form one series");
    cmd->add_option("--when", flags->when,
                    "WHEN field: the event reaches the model only when it is JSON true");
    cmd->add_option("--confidence", flags->confidence,
                    "Confidence percent in [1, 100]; truncated to an integer as ASA does")
        ->required();
    cmd->add_option("--history", flags->history, "History size in events (>= 1)")->required();
    cmd->add_option("--duration", flags->duration,
                    "LIMIT DURATION: 30m, 2h, 120s, 500ms, 1h30m or ISO-8601 PT30M; at most 7 days")
        ->required();
    cmd->add_flag("--fractional-confidence", flags->fractional_confidence,
                  "Keep a fractional confidence instead of truncating it");
    cmd->add_option("--out-of-order-tolerance", flags->tolerance,
                    "Per key, events late by at most this are reordered (held back and released "
                    "in time order)")
        ->capture_default_str();
    cmd->add_option("--out-of-order-action", flags->action,
                    "Events later than the tolerance: adjust (scored at the key's latest time "
                    "minus the tolerance) or drop (to rejects)")
        ->capture_default_str();
    cmd->add_option("--input,-i", flags->input, "Input JSON Lines file; - is stdin")
        ->capture_default_str();
    cmd->add_option("--output,-o", flags->output, "Output file; - is stdout")
        ->capture_default_str();
    cmd->add_option("--rejects", flags->rejects,
                    "Write rejected events here as {reason, detail, line, raw}");
    cmd->add_flag("--only-anomalies", flags->only_anomalies,
                  "Write only events with IsAnomaly = 1 (the seed's WHERE IsAnomaly = 1)");
    cmd->add_flag("--project", flags->project,
                  "Write the seed's shape instead of the whole object: the timestamp, partition "
                  "and value fields plus AnomalyScore (and IsAnomaly unless --only-anomalies)");
    cmd->add_option("--checkpoint", flags->checkpoint,
                    "SQLite file for checkpoints; a rerun with the same arguments resumes. Needs "
                    "a seekable --input");
    cmd->add_option("--checkpoint-every", flags->checkpoint_every,
                    "Checkpoint after this many events")
        ->capture_default_str();
    cmd->add_option("--checkpoint-interval", flags->checkpoint_interval,
                    "Checkpoint at least this often")
        ->capture_default_str();
    cmd->add_option("--archive", flags->archive.path,
                    "Archive every input line with a usable timestamp, as received, under this "
                    "directory: {YYYY}/{MM}/{DD}/{HH}/{mm}-{partition}-{seq}.jsonl by event time, "
                    "each file renamed into place when complete");
    cmd->add_option("--archive-layout", flags->archive.layout,
                    "date ({YYYY}/{MM}/{DD}/{HH}/{mm}-...) or iothub "
                    "({hub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}-...)")
        ->capture_default_str();
    cmd->add_option("--archive-hub", flags->archive.hub, "The {hub} of --archive-layout iothub");
    cmd->add_option("--archive-format", flags->archive.format,
                    "json (.jsonl: each message and a newline) or avro (.avro: IoT Hub "
                    "routing's Avro records)")
        ->capture_default_str();
    cmd->add_option("--archive-max-bytes", flags->archive.max_bytes,
                    "Start a new file of the minute before one would grow past this (0: no limit)")
        ->capture_default_str();
    cmd->add_option("--threads", flags->threads,
                    "Worker threads scoring disjoint sets of partition keys, in [1, " +
                        std::to_string(pipeline::max_detect_threads) +
                        "]. Output, rejects, counts and checkpoints are the same for every "
                        "value (a checkpoint resumes with any); only keys spread out, so "
                        "without --partition-by one thread does the work")
        ->capture_default_str();
    cmd->add_flag("--quiet,-q", flags->quiet, "No progress line on a terminal");
    cmd->callback([flags, &action] { action = [flags] { return run_detect_command(*flags); }; });
}

}  // namespace streamcp::cli
