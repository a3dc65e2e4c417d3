// SPDX-License-Identifier: MIT
#include "single_thread_detect.hpp"

#include <utility>

namespace streamcp::pipeline {

single_thread_detect::single_thread_detect(const detect_query& query, line_sink& output,
                                           line_sink* rejects)
    : query_(query),
      output_(output),
      rejects_(rejects),
      intake_(query, rejects, counts_),
      scorer_(query, output, rejects, counts_) {}

void single_thread_detect::process(std::string_view line, std::uint64_t line_number) {
    if (!pending_.empty()) {  // only after a restore: keep the per-line cost to a test
        pending_.write_to(output_, rejects_);
    }
    if (const decoded_event* event = intake_.decode(line, line_number)) {
        scorer_.accept(*event, line, line_number);
    }
}

void single_thread_detect::finish() {
    intake_.mark_keys_of(scorer_.order(), true);  // the flush changes them
    pending_.write_to(output_, rejects_);
    scorer_.finish();
}

std::vector<std::byte> single_thread_detect::save_state() {
    return save_detect_state(counts_, scorer_.order(), scorer_.function().snapshot(), pending_,
                             intake_.admission());
}

incremental_state single_thread_detect::save_changes() {
    incremental_state out{.head = save_state_head(counts_, scorer_.order().next_sequence(),
                                                  scorer_.function().snapshot_clocks(), pending_,
                                                  intake_.admission()),
                          .rows = {}};
    intake_.mark_changed(scorer_.take_changed());
    intake_.mark_changed(scorer_.take_evicted());  // their rows lose the model
    for (const partition_key& key : intake_.take_changed()) {
        out.rows.push_back(
            save_partition_row(key, intake_.admission(), scorer_.order(), scorer_.function()));
    }
    return out;
}

incremental_state single_thread_detect::save_every_key() {
    intake_.mark_keys_of(scorer_.order(), false);  // the ordering stage holds every key seen
    return save_changes();
}

void single_thread_detect::load_state(std::span<const std::byte> bytes) {
    restore(bytes);
    intake_.mark_keys_of(scorer_.order(), false);
}

void single_thread_detect::load_state(std::span<const std::byte> head,
                                      std::span<const partition_row> rows) {
    restore(assemble_detect_state(head, rows, scorer_.function()));
}

void single_thread_detect::restore(std::span<const std::byte> bytes) {
    detect_state state = load_detect_state(bytes, query_, intake_.decoder());
    scorer_.restore(std::move(state.order), state.function);
    counts_ = state.counts;
    pending_ = std::move(state.pending);
    intake_.admission() = std::move(state.admission);
}

}  // namespace streamcp::pipeline
