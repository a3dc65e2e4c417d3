// SPDX-License-Identifier: MIT
#include "detect_runner.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "checkpoint_store.hpp"

namespace streamcp::pipeline {
namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::uint64_t clock_check_every = 1024;  // lines between reads of the clock
constexpr auto progress_period = std::chrono::milliseconds{500};

using fingerprint_map = std::map<std::string, std::string, std::less<>>;

/// `key=value;...` as a map; a part without `=` is its own key with an empty value.
fingerprint_map fingerprint_settings(std::string_view text) {
    fingerprint_map out;
    while (!text.empty()) {
        const std::string_view part = text.substr(0, text.find(';'));
        text.remove_prefix(std::min(text.size(), part.size() + 1));
        const std::size_t equals = part.find('=');
        out[std::string(part.substr(0, equals))] =
            equals == std::string_view::npos ? "" : std::string(part.substr(equals + 1));
    }
    out.try_emplace("detector", "asa");  // checkpoints from before the choice are asa's
    return out;
}

/// The settings in which a checkpoint's fingerprint and this run's differ, as "name: X in
/// the checkpoint, Y in this run"; the checkpoint's whole fingerprint when none differs.
std::string fingerprint_difference(std::string_view recorded, std::string_view current) {
    const fingerprint_map then = fingerprint_settings(recorded);
    const fingerprint_map now = fingerprint_settings(current);
    std::set<std::string, std::less<>> keys;
    for (const fingerprint_map* settings : {&then, &now}) {
        for (const auto& setting : *settings) {
            keys.insert(setting.first);
        }
    }
    auto value = [](const fingerprint_map& settings, const std::string& key) {
        const auto found = settings.find(key);
        return found == settings.end() ? std::string("(none)") : found->second;
    };
    std::string out;
    for (const std::string& key : keys) {
        const std::string was = value(then, key);
        const std::string is = value(now, key);
        if (was != is) {
            out.append(out.empty() ? "" : "; ")
                .append(key)
                .append(": ")
                .append(was)
                .append(" in the checkpoint, ")
                .append(is)
                .append(" in this run");
        }
    }
    return out.empty() ? std::string(recorded) : out;
}

void cut_back(line_sink* sink, std::uint64_t size) {
    if (sink != nullptr && sink->truncatable()) {
        sink->truncate(size);
    }
}

}  // namespace

detect_counts run_detect(const detect_query& query, line_source& source, line_sink& output,
                         line_sink* rejects, const run_settings& settings) {
    const auto job = make_detect_engine(query, output, rejects);
    archive_sink* archive = settings.archive;
    job->set_archive(archive);
    run_observer* const metrics = settings.metrics;
    job->set_score_observer(metrics);
    std::unique_ptr<checkpoint_store> store;
    std::string fingerprint = query.fingerprint() + ";input=" + source.name();
    if (archive != nullptr) {
        fingerprint.append(";").append(archive->name());
    }
    std::uint64_t line_number = 0;
    std::uint64_t resumed_offset = 0;
    if (settings.checkpoint) {
        if (!source.seekable()) {
            throw std::invalid_argument("--checkpoint needs a seekable input file; " +
                                        source.name() + " is not one");
        }
        store = std::make_unique<checkpoint_store>(settings.checkpoint->path);
        job->track_changes();  // before a load: a whole state loaded counts as changed
        if (auto point = store->load()) {
            if (point->fingerprint != fingerprint) {
                throw std::runtime_error("checkpoint " + settings.checkpoint->path +
                                         " belongs to another query or input (" +
                                         fingerprint_difference(point->fingerprint, fingerprint) +
                                         "); remove it to start afresh");
            }
            if (point->incremental) {
                job->load_state(point->state, point->partitions);
            } else {
                job->load_state(point->state);
            }
            if (point->input_state.empty()) {
                source.seek(point->input_offset);
            } else {
                source.restore_position(point->input_state);
            }
            line_number = point->line;
            resumed_offset = point->input_offset;
            cut_back(&output, point->output_offset);
            cut_back(rejects, point->rejects_offset);
            if (archive != nullptr) {
                archive->restore(point->archive_state);
            }
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
        incremental_state state = job->save_changes();
        store->save(checkpoint{
            .fingerprint = fingerprint,
            .input_offset = source.position(),
            .line = line_number,
            .output_offset = output.position(),
            .rejects_offset = rejects != nullptr ? rejects->position() : 0,
            .archive_offset = archive != nullptr ? archive->position() : 0,
            .state = std::move(state.head),
            .archive_state = archive != nullptr ? archive->save_state() : std::vector<std::byte>{},
            .input_state = source.save_position(),
            .incremental = true,
            .partitions = std::move(state.rows)});
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
    while (source.next(line)) {
        ++line_number;
        if (unbounded && archive != nullptr) {
            job->set_archive(archive, source.partition());
        }
        job->process(line, line_number);
        if (metrics != nullptr) {
            metrics->line_read(source.partition(), line.size(), job->counts());
        }
        ++since_checkpoint;
        if (store && since_checkpoint >= settings.checkpoint->every_events) {
            commit();
            since_checkpoint = 0;
            next_checkpoint = clock_type::now() + settings.checkpoint->interval;
        }
        if (line_number % check_every == 0 && (store || settings.progress)) {
            const auto now = clock_type::now();
            if (store && now >= next_checkpoint) {
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
    job->finish();
    // Broker sinks acknowledge asynchronously: a run ends only once everything was accepted,
    // so exit status 0 means every output arrived.
    output.sync();
    if (rejects != nullptr) {
        rejects->sync();
    }
    if (archive != nullptr) {
        archive->close();
    }
    if (store) {
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
