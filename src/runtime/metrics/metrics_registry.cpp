// SPDX-License-Identifier: MIT
#include "metrics_registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <new>

#include <streamcp/model/change_point_detector.hpp>

#include "metrics_text.hpp"
#include "process_metrics.hpp"
#include "runtime_errors.hpp"

namespace streamcp::pipeline {
namespace {

/// The alert threshold every partition's model uses, computed as the function does
/// (confidence truncated unless fractional).
double query_threshold(const detect_query& query) {
    const double confidence =
        query.fractional_confidence ? query.confidence : std::trunc(query.confidence);
    return change_point_detector{change_point_options{.confidence = confidence,
                                                      .history = query.history,
                                                      .martingale = martingale_type::power,
                                                      .epsilon = 0.1}}
        .threshold();
}

std::atomic<std::uint64_t> next_registry_id{1};

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

double watermark_delay_seconds(const status_view& view) {
    return view.has_watermark ? unix_now() - static_cast<double>(view.watermark_ticks) * 1e-7 : 0.0;
}

struct metrics_registry::score_shard {
    explicit score_shard(double threshold) : watch(threshold) {}
    single_writer_counter adjusted;
    single_writer_counter partitions;
    std::atomic<std::int64_t> watermark_ticks{std::numeric_limits<std::int64_t>::min()};
    score_watch watch;
};

metrics_registry::metrics_registry(const detect_query& query, std::size_t sinks)
    : id_(next_registry_id.fetch_add(1, std::memory_order_relaxed)),
      sinks_(sinks),
      threshold_(query_threshold(query)) {}

metrics_registry::~metrics_registry() {
    for (auto& shard : shards_) {
        delete shard.load(std::memory_order_acquire);
    }
}

metrics_registry::score_shard* metrics_registry::my_shard() noexcept {
    // Each scoring thread caches its shard. The cache is keyed by the registry's id, not its
    // address, so a later registry at the same address (tests) never sees a freed shard.
    thread_local std::uint64_t owner = 0;
    thread_local score_shard* mine = nullptr;
    if (owner != id_) {
        const std::size_t index =
            std::min(shard_count_.fetch_add(1, std::memory_order_relaxed), max_shards - 1);
        score_shard* shard = shards_[index].load(std::memory_order_acquire);
        if (shard == nullptr) {
            shard = new (std::nothrow) score_shard(threshold_);
            if (shard == nullptr) {
                return nullptr;  // out of memory: this thread's events go unwatched
            }
            shards_[index].store(shard, std::memory_order_release);
        }
        owner = id_;
        mine = shard;
    }
    return mine;
}

void metrics_registry::scored(const released_event& event, const std::optional<record>& result,
                              std::size_t partitions) noexcept {
    score_shard* const mine = my_shard();
    if (mine == nullptr) {
        return;
    }
    score_shard& shard = *mine;
    if (event.time != event.event.time) {
        shard.adjusted.add(1);  // only the adjust action moves an event's time
    }
    const std::int64_t time_ticks = event.time.time_since_epoch().count();
    if (time_ticks > shard.watermark_ticks.load(std::memory_order_relaxed)) {
        shard.watermark_ticks.store(time_ticks, std::memory_order_relaxed);
    }
    shard.partitions.set(partitions);
    if (result && result->score) {
        try {
            shard.watch.observe(event.event.key, time_ticks,
                                event.event.value.value_or(std::nan("")), *result->score,
                                result->is_anomaly);
        } catch (...) {  // NOLINT(bugprone-empty-catch): the page misses one point, the run goes on
        }
    }
}

void metrics_registry::checkpoint_committed(std::chrono::nanoseconds took) {
    const double seconds = std::chrono::duration<double>(took).count();
    const std::lock_guard lock(checkpoint_mutex_);
    for (std::size_t i = 0; i < checkpoint_buckets.size(); ++i) {
        checkpoint_bucket_counts_[i] += seconds <= checkpoint_buckets[i] ? 1U : 0U;
    }
    ++checkpoint_count_;
    checkpoint_seconds_ += seconds;
    last_checkpoint_unix_ = unix_now();
}

status_view metrics_registry::status() const {
    status_view view;
    view.counts = {.read = read_.get(),
                   .written = written_.get(),
                   .filtered = filtered_.get(),
                   .rejected = rejected_.get(),
                   .anomalies = anomalies_.get()};
    view.input_bytes = input_bytes_.get();
    for (std::size_t i = 0; i < reject_reason_count; ++i) {
        view.rejects[i] = rejects_[i].get();
    }
    view.threshold = threshold_;
    const std::size_t partitions = seen_partitions_.load(std::memory_order_relaxed);
    for (std::size_t p = 0; p < partitions; ++p) {
        view.events_by_partition.push_back(partition_events_[p].get());
    }
    const std::size_t shards = std::min(shard_count_.load(std::memory_order_relaxed), max_shards);
    for (std::size_t i = 0; i < shards; ++i) {
        const score_shard* shard = shards_[i].load(std::memory_order_acquire);
        if (shard == nullptr) {
            continue;
        }
        view.late_adjusted += shard->adjusted.get();
        view.partitions += shard->partitions.get();
        const std::int64_t watermark = shard->watermark_ticks.load(std::memory_order_relaxed);
        if (watermark != std::numeric_limits<std::int64_t>::min()) {
            view.watermark_ticks =
                view.has_watermark ? std::max(view.watermark_ticks, watermark) : watermark;
            view.has_watermark = true;
        }
        shard->watch.copy_to(view.keys, view.anomalies);
    }
    std::stable_sort(view.keys.begin(), view.keys.end(),
                     [](const watched_key& a, const watched_key& b) { return a.ratio > b.ratio; });
    view.keys.resize(std::min(view.keys.size(), score_watch::watched_keys));
    std::stable_sort(view.anomalies.begin(), view.anomalies.end(),
                     [](const anomaly_entry& a, const anomaly_entry& b) {
                         return a.point.time_ticks > b.point.time_ticks;
                     });
    view.anomalies.resize(std::min(view.anomalies.size(), score_watch::anomalies_kept));
    return view;
}

void metrics_registry::append_checkpoint_metrics(std::string& out) const {
    const std::lock_guard lock(checkpoint_mutex_);
    append_metric_header(out, "streamcp_checkpoint_duration_seconds", "histogram",
                         "Time to commit a checkpoint (sync the outputs, write SQLite).");
    for (std::size_t i = 0; i < checkpoint_buckets.size(); ++i) {
        std::array<char, 32> bound{};
        const char* end =
            std::to_chars(bound.data(), bound.data() + bound.size(), checkpoint_buckets[i]).ptr;
        append_sample(out, "streamcp_checkpoint_duration_seconds_bucket",
                      label("le", std::string_view(bound.data(), end)),
                      checkpoint_bucket_counts_[i]);
    }
    append_sample(out, "streamcp_checkpoint_duration_seconds_bucket", label("le", "+Inf"),
                  checkpoint_count_);
    append_sample(out, "streamcp_checkpoint_duration_seconds_sum", "", checkpoint_seconds_);
    append_sample(out, "streamcp_checkpoint_duration_seconds_count", "", checkpoint_count_);
    append_metric_header(out, "streamcp_last_checkpoint_timestamp_seconds", "gauge",
                         "When the last checkpoint was committed, since the Unix epoch; 0: none.");
    append_sample(out, "streamcp_last_checkpoint_timestamp_seconds", "", last_checkpoint_unix_);
    // Connectors count what they retry or reconnect after (runtime_errors.hpp); an error that
    // ends the run is its exit status instead.
    append_metric_header(out, "streamcp_runtime_errors_total", "counter",
                         "Errors the run survived, by component (Runtime Errors).");
    for (std::size_t i = 0; i < runtime_component_names.size(); ++i) {
        append_sample(out, "streamcp_runtime_errors_total",
                      label("component", runtime_component_names[i]),
                      runtime_error_counts()[i].load(std::memory_order_relaxed));
    }
}

void metrics_registry::watch_backlog(const line_source* source) {
    const std::lock_guard lock(backlog_mutex_);
    backlog_source_ = source;
}

std::string metrics_registry::exposition() const {
    const status_view view = status();
    std::string out;
    out.reserve(4096);
    append_metric_header(out, "streamcp_input_events_total", "counter",
                         "Input events read (Stream Analytics: Input Events).");
    append_sample(out, "streamcp_input_events_total", "", view.counts.read);
    append_metric_header(out, "streamcp_input_bytes_total", "counter",
                         "Bytes of the input events read, newlines excluded (Input Event Bytes).");
    append_sample(out, "streamcp_input_bytes_total", "", view.input_bytes);
    append_metric_header(out, "streamcp_input_deserialization_errors_total", "counter",
                         "Input events rejected, by reason (Input Deserialization Errors).");
    for (std::size_t i = 0; i < reject_reason_count; ++i) {
        append_sample(out, "streamcp_input_deserialization_errors_total",
                      label("reason", reject_reason_name(static_cast<reject_reason>(i))),
                      view.rejects[i]);
    }
    append_metric_header(out, "streamcp_output_events_total", "counter",
                         "Output events written, by sink index in the job (Output Events).");
    for (std::size_t s = 0; s < sinks_; ++s) {
        append_sample(out, "streamcp_output_events_total", label("sink", std::to_string(s)),
                      view.counts.written);
    }
    append_metric_header(out, "streamcp_filtered_events_total", "counter",
                         "Scored events left out by WHERE IsAnomaly = 1.");
    append_sample(out, "streamcp_filtered_events_total", "", view.counts.filtered);
    append_metric_header(out, "streamcp_late_input_events_total", "counter",
                         "Events later than the out-of-order tolerance, by action "
                         "(Late Input Events / Out-of-Order Events).");
    append_sample(out, "streamcp_late_input_events_total", label("action", "adjusted"),
                  view.late_adjusted);
    append_sample(out, "streamcp_late_input_events_total", label("action", "dropped"),
                  view.rejects[static_cast<std::size_t>(reject_reason::out_of_order)]);
    append_metric_header(out, "streamcp_anomalies_total", "counter",
                         "Scored events with IsAnomaly = 1.");
    append_sample(out, "streamcp_anomalies_total", "", view.counts.anomalies);
    append_metric_header(out, "streamcp_watermark_delay_seconds", "gauge",
                         "Wall clock minus the latest event time scored (Watermark Delay); "
                         "0 before the first event.");
    append_sample(out, "streamcp_watermark_delay_seconds", "", watermark_delay_seconds(view));
    append_metric_header(out, "streamcp_backlogged_input_events", "gauge",
                         "Events a source partition holds that the job has not read "
                         "(Backlogged Input Events); only sources that know it report it.");
    {
        const std::lock_guard lock(backlog_mutex_);
        if (backlog_source_ != nullptr) {
            for (const auto& [partition, events] : backlog_source_->backlog()) {
                append_sample(out, "streamcp_backlogged_input_events",
                              label("partition", std::to_string(partition)), events);
            }
        }
    }
    append_metric_header(out, "streamcp_partitions", "gauge",
                         "Partition keys with a model (active keys).");
    append_sample(out, "streamcp_partitions", "", view.partitions);
    append_checkpoint_metrics(out);
    append_process_metrics(out);
    return out;
}

}  // namespace streamcp::pipeline
