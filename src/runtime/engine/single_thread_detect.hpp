// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "detect_job.hpp"
#include "detect_stages.hpp"
#include "detect_state.hpp"

namespace streamcp::pipeline {

/// The detect engine on the caller's thread: each line is decoded, ordered, scored and
/// written before `process` returns.
class single_thread_detect final : public detect_engine {
  public:
    single_thread_detect(const detect_query& query, line_sink& output, line_sink* rejects);

    void set_archive(archive_sink* archive, std::uint32_t partition = 0) noexcept override {
        intake_.set_archive(archive, partition);
    }
    void set_score_observer(score_observer* observer) noexcept override {
        scorer_.set_score_observer(observer);
    }
    void process(std::string_view line, std::uint64_t line_number) override;
    void settle() override {}
    void finish() override;
    [[nodiscard]] detect_counts counts() const noexcept override { return counts_; }
    [[nodiscard]] std::size_t held() const noexcept override { return scorer_.held(); }
    [[nodiscard]] std::vector<std::byte> save_state() override;
    void load_state(std::span<const std::byte> bytes) override;
    void track_changes() override {
        intake_.track_changes();
        scorer_.track_changes();
    }
    [[nodiscard]] incremental_state save_changes() override;
    [[nodiscard]] incremental_state save_every_key() override;
    void load_state(std::span<const std::byte> head, std::span<const partition_row> rows) override;

  private:
    void restore(std::span<const std::byte> bytes);

    detect_query query_;
    line_sink& output_;
    line_sink* rejects_;
    detect_counts counts_;
    event_intake intake_;
    partition_scorer scorer_;
    /// Lines a threaded run had computed but not written when it saved the restored state.
    pending_lines pending_;
};

}  // namespace streamcp::pipeline
