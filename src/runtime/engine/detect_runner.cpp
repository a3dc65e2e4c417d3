// SPDX-License-Identifier: MIT
#include "detect_runner.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <streamcp/state/snapshot_error.hpp>

#include "checkpoint_store.hpp"

namespace streamcp::pipeline {
namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::uint64_t clock_check_every = 1024;  // lines between reads of the clock
constexpr auto progress_period = std::chrono::milliseconds{500};

/// The fingerprint a checkpoint of this run records: the query, the input, the archive's
/// settings and the outputs.
std::string run_fingerprint(const detect_query& query, const line_source& source,
                            const run_settings& settings) {
    std::string fingerprint = query.fingerprint() + ";input=" + source.name();
    if (settings.archive != nullptr) {
        fingerprint.append(";").append(settings.archive->name());
    }
    if (!settings.outputs.empty()) {
        fingerprint.append(";outputs=").append(settings.outputs);
    }
    return fingerprint;
}

void cut_back(line_sink* sink, std::uint64_t size) {
    if (sink != nullptr && sink->truncatable()) {
        sink->truncate(size);
    }
}

}  // namespace

prepared_checkpoint prepare_checkpoint(const detect_query& query, line_source& source,
                                       const run_settings& settings) {
    if (!settings.checkpoint) {
        return {};
    }
    if (!source.seekable()) {
        throw std::invalid_argument("--checkpoint needs a seekable input file; " + source.name() +
                                    " is not one");
    }
    return open_checkpoint(settings.checkpoint->path, run_fingerprint(query, source, settings),
                           source);
}

detect_counts run_detect(const detect_query& query, line_source& source, line_sink& output,
                         line_sink* rejects, const run_settings& settings) {
    return run_detect(query, source, output, rejects, settings, prepared_checkpoint{});
}

detect_counts run_detect(const detect_query& query, line_source& source, line_sink& output,
                         line_sink* rejects, const run_settings& settings,
                         prepared_checkpoint prepared) {
    if (settings.checkpoint && !prepared.store) {
        prepared = prepare_checkpoint(query, source, settings);
    }
    // A confidence that truncates to the checkpoint's integer is the same query; the saved
    // models record the checkpoint's spelling, so the run continues with it.
    detect_query effective = query;
    if (prepared.last) {
        effective.confidence =
            recorded_confidence(prepared.last->fingerprint).value_or(effective.confidence);
        prepared.fingerprint = run_fingerprint(effective, source, settings);
    }
    output.set_checkpointed(settings.checkpoint.has_value());
    const auto job = make_detect_engine(effective, output, rejects);
    archive_sink* archive = settings.archive;
    job->set_archive(archive);
    run_observer* const metrics = settings.metrics;
    job->set_score_observer(metrics);
    checkpoint_store* const store = settings.checkpoint ? prepared.store.get() : nullptr;
    std::uint64_t line_number = 0;
    std::uint64_t resumed_offset = 0;
    if (store != nullptr) {
        job->track_changes();  // before a load: a whole state loaded counts as changed
    }
    if (store != nullptr && prepared.last) {
        const checkpoint& point = *prepared.last;
        try {
            if (point.incremental) {
                job->load_state(point.state, point.partitions);
            } else {
                job->load_state(point.state);
            }
        } catch (const snapshot_error& error) {
            throw std::runtime_error("checkpoint " + settings.checkpoint->path +
                                     ": its saved state is damaged (" + error.what() +
                                     "); to start over, remove it (and its -wal file)");
        }
        if (point.input_state.empty()) {
            source.seek(point.input_offset);
        } else {
            source.restore_position(point.input_state);
        }
        line_number = point.line;
        resumed_offset = point.input_offset;
        cut_back(&output, point.output_offset);
        cut_back(rejects, point.rejects_offset);
        if (archive != nullptr) {
            archive->restore(point.archive_state);
        }
    }
    if (resumed_offset == 0 && line_number == 0) {
        cut_back(&output, 0);
        cut_back(rejects, 0);
    }

    auto commit = [&] {
        const auto started = clock_type::now();
        output.sync();  // the data must be durable before a checkpoint points past it
        if (rejects != nullptr) {
            rejects->sync();
        }
        if (archive != nullptr) {
            archive->sync();
        }
        const bool every_key = store->rewrite_due();
        incremental_state state = every_key ? job->save_every_key() : job->save_changes();
        store->save(checkpoint{
            .fingerprint = prepared.fingerprint,
            .input_offset = source.position(),
            .line = line_number,
            .output_offset = output.position(),
            .rejects_offset = rejects != nullptr ? rejects->position() : 0,
            .archive_offset = archive != nullptr ? archive->position() : 0,
            .state = std::move(state.head),
            .archive_state = archive != nullptr ? archive->save_state() : std::vector<std::byte>{},
            .input_state = source.save_position(),
            .incremental = true,
            .partitions = std::move(state.rows),
            .every_key = every_key,
            .input_identity = input_identity(source, source.position())});
        source.committed();
        if (metrics != nullptr) {
            metrics->checkpoint_committed(clock_type::now() - started);
        }
    };

    // A progress line and a broker's checkpoints must move on a slow stream too: then read the
    // clock every line (a few ns; files in benchmarks and pipes keep the cheap cadence).
    const bool unbounded = source.unbounded();
    const std::uint64_t check_every = settings.progress || unbounded ? 1 : clock_check_every;
    auto next_progress = clock_type::now() + progress_period;
    auto next_checkpoint =
        clock_type::now() +
        (settings.checkpoint ? settings.checkpoint->interval : std::chrono::nanoseconds::zero());
    std::uint64_t since_checkpoint = 0;
    std::string_view line;
    while (!settings.stop.stop_requested() && source.next(line)) {
        ++line_number;
        if (unbounded && archive != nullptr) {
            job->set_archive(archive, source.partition());
        }
        job->process(line, line_number);
        if (metrics != nullptr) {
            metrics->line_read(source.partition(), line.size(), job->counts());
        }
        ++since_checkpoint;
        if (store != nullptr && since_checkpoint >= settings.checkpoint->every_events) {
            commit();
            since_checkpoint = 0;
            next_checkpoint = clock_type::now() + settings.checkpoint->interval;
        }
        if (line_number % check_every == 0 && (store != nullptr || settings.progress)) {
            const auto now = clock_type::now();
            if (store != nullptr && now >= next_checkpoint) {
                commit();
                since_checkpoint = 0;
                next_checkpoint = now + settings.checkpoint->interval;
            }
            if (settings.progress && now >= next_progress) {
                settings.progress(job->counts(), false);
                next_progress = now + progress_period;
            }
        }
    }
    // Stopped with a checkpoint: the held events stay held, in the state the last commit saves,
    // so that the resumed run releases them as an uninterrupted one would.
    const bool resumable_stop = settings.stop.stop_requested() && store != nullptr;
    if (!resumable_stop) {
        job->finish();
    }
    // Broker sinks acknowledge asynchronously: a run ends only once everything was accepted,
    // so exit status 0 means every output arrived.
    output.sync();
    if (rejects != nullptr) {
        rejects->sync();
    }
    if (archive != nullptr) {
        if (resumable_stop) {
            archive->sync();  // its open files stay open: the resumed run continues them
        } else {
            archive->close();
        }
    }
    if (store != nullptr) {
        commit();
    }
    if (settings.progress) {
        settings.progress(job->counts(), true);
    }
    if (metrics != nullptr) {
        metrics->publish(job->counts());
    }
    return job->counts();
}

}  // namespace streamcp::pipeline
