// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "detect_job.hpp"
#include "detect_stages.hpp"
#include "detect_state.hpp"

namespace streamcp::pipeline {

/// Which of `shards` threads owns partition `key`: its ordering state, model and events.
[[nodiscard]] std::size_t shard_of(const partition_key& key, std::size_t shards) noexcept;

/// The detect engine on several threads: the caller's thread decodes each line and sends it, in
/// batches, to the worker that owns its partition key (`shard_of`); each worker orders, scores
/// and encodes its keys' events into memory; the caller's thread writes every batch's bytes
/// in input order. When decoding needs no input order (`event_intake::needs_input_order`),
/// the workers decode each batch too, a share each, before scoring it: the caller's thread
/// then only copies lines in and bytes out. Outputs, rejects, counts and saved states are those of
/// `single_thread_detect`: keys never share state, and the end-of-input flush is merged by
/// (time, line) as the single ordering stage sorts it.
class sharded_detect final : public detect_engine {
  public:
    /// `query.threads` workers (at least 2).
    sharded_detect(const detect_query& query, line_sink& output, line_sink* rejects);
    ~sharded_detect() override;

    void set_archive(archive_sink* archive, std::uint32_t partition = 0) noexcept override {
        intake_.set_archive(archive, partition);
    }
    void set_score_observer(score_observer* observer) noexcept override;
    void process(std::string_view line, std::uint64_t line_number) override;
    /// Dispatches the batch being filled and writes every batch in flight.
    void settle() override;
    void finish() override;

    /// As of the last batch written.
    [[nodiscard]] detect_counts counts() const noexcept override { return counts_; }
    [[nodiscard]] std::size_t held() const noexcept override { return held_; }

    /// Waits for the batches in flight; their bytes, not yet written, go into the state.
    [[nodiscard]] std::vector<std::byte> save_state() override;
    void load_state(std::span<const std::byte> bytes) override;
    void track_changes() override;
    /// Waits for the batches in flight, as `save_state` does.
    [[nodiscard]] incremental_state save_changes() override;
    [[nodiscard]] incremental_state save_every_key() override;
    void load_state(std::span<const std::byte> head, std::span<const partition_row> rows) override;

  private:
    struct batch;
    struct worker;
    class buffer_sink;

    std::unique_ptr<batch> take_batch();
    void dispatch();
    void wait_done(batch& b);
    /// Appends `b`'s output and rejects in input order.
    void collect(batch& b, std::string& output, std::string& rejects);
    void write_oldest();
    void update_counts();
    /// Sends the batch being filled and collects every batch into `pending_`: the workers are
    /// idle afterwards.
    void drain_to_pending();
    void restore(std::span<const std::byte> bytes);
    void run_worker(worker& w, std::size_t index);
    /// Worker `index`'s part of a batch: with parallel decoding, its share of the lines first.
    void work_on(batch& b, worker& w, std::size_t index);

    detect_query query_;
    line_sink& output_;
    line_sink* rejects_;
    std::unique_ptr<buffer_sink> decode_rejects_;
    detect_counts intake_counts_;  ///< the intake's, as it goes
    event_intake intake_;
    std::vector<std::unique_ptr<worker>> workers_;
    std::vector<std::unique_ptr<batch>> free_;
    std::deque<std::unique_ptr<batch>> in_flight_;
    std::unique_ptr<batch> filling_;
    std::mutex done_mutex_;
    std::condition_variable done_;
    detect_counts base_counts_;     ///< restored from a checkpoint
    detect_counts decoded_counts_;  ///< the intake's, as of the last batch written
    detect_counts counts_;
    std::size_t held_ = 0;
    pending_lines pending_;
    std::string output_scratch_;
    std::string rejects_scratch_;
};

}  // namespace streamcp::pipeline
