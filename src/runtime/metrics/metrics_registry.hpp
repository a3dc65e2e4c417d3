// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "detect_job.hpp"
#include "detect_runner.hpp"
#include "line_source.hpp"
#include "reject_reason.hpp"
#include "score_observer.hpp"
#include "score_watch.hpp"

namespace streamcp::pipeline {

/// A counter with one writing thread and any number of readers: a relaxed load and store, no
/// locked instruction, so the hot loop pays next to nothing for it.
class single_writer_counter {
  public:
    void add(std::uint64_t n) noexcept {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void set(std::uint64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t get() const noexcept {
        return value_.load(std::memory_order_relaxed);
    }

  private:
    std::atomic<std::uint64_t> value_{0};
};

inline constexpr std::size_t reject_reason_count =
    static_cast<std::size_t>(reject_reason::partition_limit) + 1;  // the last reason

/// Source partitions counted one by one; higher ones are counted with the last.
inline constexpr std::size_t max_metric_partitions = 256;

/// Upper bounds (seconds) of the checkpoint duration histogram's buckets.
inline constexpr std::array<double, 10> checkpoint_buckets{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                           0.05,  0.1,    0.25,  1,    5};

/// Everything `/` shows, copied out at once.
struct status_view {
    detect_counts counts;
    std::uint64_t input_bytes = 0;
    std::array<std::uint64_t, reject_reason_count> rejects{};
    std::uint64_t late_adjusted = 0;
    std::uint64_t partitions = 0;  ///< active partition keys
    double threshold = 0;
    std::int64_t watermark_ticks = 0;  ///< the latest event time scored; 0: none yet
    bool has_watermark = false;
    std::vector<std::uint64_t> events_by_partition;  ///< index = source partition
    std::vector<watched_key> keys;                   ///< highest ratio first
    std::vector<anomaly_entry> anomalies;            ///< newest first
};

/// Wall clock minus the latest event time scored (ASA's watermark delay); 0 before any.
[[nodiscard]] double watermark_delay_seconds(const status_view& view);

/// The job's metrics: written by the run (the reading loop, the scoring threads, the rejects
/// sink), read by the metrics server's thread. Names and meanings: docs/operations.md.
class metrics_registry final : public run_observer {
  public:
    /// `sinks`: how many outputs the job writes to (each gets every output line).
    metrics_registry(const detect_query& query, std::size_t sinks);
    ~metrics_registry() override;
    metrics_registry(const metrics_registry&) = delete;
    metrics_registry& operator=(const metrics_registry&) = delete;

    /// The reading loop, once per input line: its source partition, its size, the counts.
    void line_read(std::uint32_t partition, std::size_t bytes,
                   const detect_counts& counts) noexcept override {
        input_bytes_.add(bytes);
        partition_events_[partition < max_metric_partitions ? partition : max_metric_partitions - 1]
            .add(1);
        if (partition >= seen_partitions_.load(std::memory_order_relaxed)) {
            seen_partitions_.store(std::min<std::size_t>(partition + 1, max_metric_partitions),
                                   std::memory_order_relaxed);
        }
        publish(counts);
    }
    /// The counts as of now (the end of the run: after the ordering stage was flushed).
    void publish(const detect_counts& counts) noexcept override {
        read_.set(counts.read);
        written_.set(counts.written);
        filtered_.set(counts.filtered);
        rejected_.set(counts.rejected);
        anomalies_.set(counts.anomalies);
    }
    /// The rejects sink, once per rejected event (one writing thread).
    void rejected(reject_reason reason) noexcept {
        rejects_[static_cast<std::size_t>(reason)].add(1);
    }
    /// A checkpoint was committed; it took `took`.
    void checkpoint_committed(std::chrono::nanoseconds took) override;

    void scored(const released_event& event, const std::optional<record>& result,
                std::size_t partitions) noexcept override;

    /// Reports `source`'s backlog from now on; null: no longer (before the source is gone).
    void watch_backlog(const line_source* source);

    /// The Prometheus text exposition of every metric, `process_*` included.
    [[nodiscard]] std::string exposition() const;
    [[nodiscard]] status_view status() const;

  private:
    struct score_shard;
    score_shard* my_shard() noexcept;
    void append_checkpoint_metrics(std::string& out) const;

    std::uint64_t id_;  ///< unique per registry in the process: tells scoring threads' caches apart
    std::size_t sinks_;
    double threshold_;
    single_writer_counter read_;
    single_writer_counter written_;
    single_writer_counter filtered_;
    single_writer_counter rejected_;
    single_writer_counter anomalies_;
    single_writer_counter input_bytes_;
    std::array<single_writer_counter, reject_reason_count> rejects_;
    std::array<single_writer_counter, max_metric_partitions> partition_events_;
    std::atomic<std::size_t> seen_partitions_{0};

    /// One per scoring thread, made on its first event.
    static constexpr std::size_t max_shards = max_detect_threads + 1;
    std::array<std::atomic<score_shard*>, max_shards> shards_{};
    std::atomic<std::size_t> shard_count_{0};

    mutable std::mutex backlog_mutex_;  // the source outlives no scrape that reads it
    const line_source* backlog_source_ = nullptr;

    mutable std::mutex checkpoint_mutex_;  // checkpoints: a few a minute at most
    std::array<std::uint64_t, checkpoint_buckets.size()> checkpoint_bucket_counts_{};
    std::uint64_t checkpoint_count_ = 0;
    double checkpoint_seconds_ = 0;
    double last_checkpoint_unix_ = 0;
};

}  // namespace streamcp::pipeline
