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
    pending_.write_to(output_, rejects_);
    scorer_.finish();
}

std::vector<std::byte> single_thread_detect::save_state() {
    return save_detect_state(counts_, scorer_.order(), scorer_.function().snapshot(), pending_);
}

void single_thread_detect::load_state(std::span<const std::byte> bytes) {
    detect_state state = load_detect_state(bytes, query_, intake_.decoder());
    scorer_.restore(std::move(state.order), state.function);
    counts_ = state.counts;
    pending_ = std::move(state.pending);
}

}  // namespace streamcp::pipeline
