// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "archive_sink.hpp"
#include "detect_function.hpp"
#include "detect_job.hpp"
#include "event_decoder.hpp"
#include "event_order.hpp"
#include "line_sink.hpp"
#include "output_encoder.hpp"
#include "partition_admission.hpp"
#include "reject_reason.hpp"
#include "score_observer.hpp"

// The two stages every detect engine is built from: the intake on the reading thread, and
// one scorer per thread that owns partition keys.

namespace streamcp::pipeline {

/// Counts a rejected line and writes `{"reason", "detail", "line", "raw"}` to `rejects` (if any).
void write_reject(line_sink* rejects, detect_counts& counts, const reject_details& why,
                  std::string_view raw, std::uint64_t line);

/// Counts and archives each input line and rejects the ones that do not decode.
class event_intake {
  public:
    /// Counts into `counts`, which must outlive the intake.
    event_intake(const detect_query& query, line_sink* rejects, detect_counts& counts);

    void set_archive(archive_sink* archive, std::uint32_t partition) noexcept {
        archive_ = archive;
        archive_partition_ = partition;
    }

    /// The line's event, valid until the next call; null when the line was rejected.
    const decoded_event* decode(std::string_view line, std::uint64_t line_number) {
        return decode_into(line, line_number, event_) ? &event_ : nullptr;
    }
    /// Decodes the line into `event`; false when the line was rejected.
    bool decode_into(std::string_view line, std::uint64_t line_number, decoded_event& event);

    /// Whether lines must be decoded one after another in input order: an archive, a partition
    /// limit or changed-key tracking sees them so. Otherwise any thread may decode any line.
    [[nodiscard]] bool needs_input_order() const noexcept {
        return archive_ != nullptr || admission_.enabled() || tracking_;
    }

    /// Decodes the held events of a restored state.
    [[nodiscard]] event_decoder& decoder() noexcept { return decoder_; }

    /// `--max-partitions`'s state (saved and restored with the engine's).
    [[nodiscard]] partition_admission& admission() noexcept { return admission_; }
    [[nodiscard]] const partition_admission& admission() const noexcept { return admission_; }

    /// Records, from now on, the keys whose state changes other than by an event (an event's key
    /// is recorded by the ordering stage it goes to): an incremental checkpoint writes those.
    void track_changes() noexcept { tracking_ = true; }
    [[nodiscard]] bool tracking() const noexcept { return tracking_; }
    /// Records the keys `order` holds state for (`holding_only`: those with held events).
    void mark_keys_of(const event_order& order, bool holding_only);
    /// Records `keys` as changed (keys another stage dropped: their rows change).
    void mark_changed(std::vector<partition_key> keys);
    /// The keys recorded since the last call.
    [[nodiscard]] std::unordered_set<partition_key> take_changed() noexcept {
        return std::exchange(changed_, {});
    }

  private:
    event_decoder decoder_;
    line_sink* rejects_;
    detect_counts& counts_;
    archive_sink* archive_ = nullptr;
    std::uint32_t archive_partition_ = 0;
    decoded_event event_;
    partition_admission admission_;
    bool tracking_ = false;
    std::unordered_set<partition_key> changed_;
};

/// order → evaluate → project → write, for the partition keys of one thread.
class partition_scorer {
  public:
    /// Counts into `counts`, which must outlive the scorer.
    partition_scorer(const detect_query& query, line_sink& output, line_sink* rejects,
                     detect_counts& counts);

    /// Shows every scored event to `observer`; null: no one.
    void set_score_observer(score_observer* observer) noexcept { observer_ = observer; }

    /// Orders, scores and writes a decoded event; `line` need not be padded.
    void accept(const decoded_event& event, std::string_view line, std::uint64_t line_number);

    /// One decoded event of a batch for `accept_many`; `event` must outlive the call.
    struct batch_entry {
        const decoded_event* event;
        std::string_view line;
        std::uint64_t line_number;
    };
    /// `accept` for a batch, in two passes: the ordering stage over every entry (it finds each
    /// key once, and writes the drops), then the function over every released event, with the
    /// partitions of events further on prefetched meanwhile. `ordered(k)` runs once entry k's
    /// rejects are written, `scored(k)` once the outputs of the events its arrival released are.
    void accept_many(std::span<const batch_entry> entries,
                     const std::function<void(std::size_t)>& ordered,
                     const std::function<void(std::size_t)>& scored);

    /// Releases every held event: the end of the input. `after_each(time, line)`, if given,
    /// runs once each released event is written.
    void finish(const std::function<void(event_time, std::uint64_t)>& after_each = {});

    [[nodiscard]] std::size_t held() const noexcept { return order_.held(); }
    /// The ordering stage's `track_changes` and `take_changed`, and the function's
    /// `track_evictions` and `take_evicted` (keys the idle TTL removed).
    void track_changes() noexcept {
        order_.track_changes();
        function_.track_evictions();
    }
    [[nodiscard]] std::vector<partition_key> take_changed() { return order_.take_changed(); }
    [[nodiscard]] std::vector<partition_key> take_evicted() noexcept {
        return function_.take_evicted();
    }
    [[nodiscard]] const event_order& order() const noexcept { return order_; }
    [[nodiscard]] const detect_function& function() const noexcept { return function_; }

    /// Replaces the ordering stage and every model (`function` is a function snapshot). Throws
    /// `snapshot_error`, changing nothing, when the snapshot does not fit the query.
    void restore(event_order order, std::span<const std::byte> function);

  private:
    /// A released event waiting for the second pass of `accept_many`; one released from the
    /// held events is copied to `kept_`, the others point into the batch.
    struct staged_event {
        const decoded_event* event;
        event_time time;
        std::string_view raw;
        std::uint64_t line;
        partition_cursor* cursor;
    };
    struct kept_event {
        decoded_event event;
        std::string raw;
    };

    void evaluate(const released_event& released);
    void stage(const released_event& released, const decoded_event& arriving);

    bool only_anomalies_;
    line_sink& output_;
    line_sink* rejects_;
    detect_counts& counts_;
    score_observer* observer_ = nullptr;
    event_order order_;
    detect_function function_;
    output_encoder encoder_;
    std::string line_buffer_;
    std::vector<staged_event> staged_;
    std::deque<kept_event> kept_;           // a deque: staged views into it stay valid as it grows
    std::vector<std::size_t> released_by_;  // per batch entry: the end of its share of staged_
};

}  // namespace streamcp::pipeline
