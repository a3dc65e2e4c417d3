// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "detect_job.hpp"
#include "file_archive.hpp"
#include "pipeline_config.hpp"

namespace streamcp::cli {

/// Progress on stderr (events, events/s, anomalies, rejects): a line rewritten in place on a
/// terminal; elsewhere, with `heartbeat`, a line every 5 s; nothing when `quiet`.
[[nodiscard]] std::function<void(const pipeline::detect_counts&, bool)> make_progress(
    bool quiet, bool heartbeat);

/// The archive `settings` describe: files, where a minute's file stays open `grace` (the
/// out-of-order tolerance) past the minute, or an object store (`checkpointed`: the job commits
/// checkpoints, which gate its commits). Throws `std::invalid_argument` for a bad setting.
[[nodiscard]] std::unique_ptr<pipeline::archive_sink> make_archive(
    const pipeline::archive_config& settings, std::chrono::nanoseconds grace, bool checkpointed);

/// `value` in its shortest round-trip form, for messages.
[[nodiscard]] std::string number_text(double value);

/// The end-of-run line on stderr: read, written, filtered, rejected, anomalies; before it, with
/// the robust detector, a line saying that its numbers are not ASA's.
void print_summary(std::string_view command, const pipeline::detect_query& query,
                   const pipeline::detect_counts& counts);

}  // namespace streamcp::cli
