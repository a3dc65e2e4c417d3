// SPDX-License-Identifier: MIT
#include "detect_state.hpp"

#include <streamcp/state/byte_codec.hpp>

namespace streamcp::pipeline {

void pending_lines::write_to(line_sink& output_sink, line_sink* rejects_sink) {
    if (empty()) {
        return;
    }
    output_sink.write(output);
    if (rejects_sink != nullptr) {
        rejects_sink->write(rejects);
    }
    *this = {};
}

std::vector<std::byte> save_detect_state(const detect_counts& counts, const event_order& order,
                                         std::span<const std::byte> function,
                                         const pending_lines& pending) {
    byte_writer out;
    out.u64(counts.read);
    out.u64(counts.written);
    out.u64(counts.filtered);
    out.u64(counts.rejected);
    out.u64(counts.anomalies);
    order.save(out);
    out.u64(function.size());
    out.raw(function);
    if (!pending.empty()) {
        out.str(pending.output);
        out.str(pending.rejects);
    }
    return out.take();
}

detect_state load_detect_state(std::span<const std::byte> bytes, const detect_query& query,
                               event_decoder& decoder) {
    byte_reader in{bytes};
    detect_state state{.counts = {},
                       .order = event_order{query.out_of_order_tolerance, query.out_of_order},
                       .function = {},
                       .pending = {}};
    state.counts.read = in.u64();
    state.counts.written = in.u64();
    state.counts.filtered = in.u64();
    state.counts.rejected = in.u64();
    state.counts.anomalies = in.u64();
    state.order.load(in, decoder);
    const auto function = in.take(in.length(1));
    state.function.assign(function.begin(), function.end());
    if (in.remaining() != 0) {
        state.pending.output = in.str();
        state.pending.rejects = in.str();
    }
    in.expect_end();
    return state;
}

}  // namespace streamcp::pipeline
