// SPDX-License-Identifier: MIT
#include "detect_state.hpp"

#include <algorithm>

#include <streamcp/state/byte_codec.hpp>
#include <streamcp/state/key_codec.hpp>
#include <streamcp/state/snapshot_error.hpp>

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

namespace {

// What a partition row holds, in its first byte; the parts follow in this order.
constexpr unsigned row_admitted = 4;  // its place in the partition limit: its latest time
constexpr unsigned row_ordered = 1;   // the ordering stage's latest time and held events
constexpr unsigned row_modelled = 2;  // the function's record of the key (to the end)
constexpr unsigned row_ticks = 8;     // its times are ticks; rows written before held nanoseconds

/// Leads every state whose event times are 100 ns ticks. Earlier states began with the read
/// count, which never comes near it, and held their times in nanoseconds.
constexpr std::uint64_t ticks_marker = ~std::uint64_t{0};

/// Reads the marker, if any, and the counts' first; returns the unit of the state's times.
stored_time_unit read_time_unit(byte_reader& in, std::uint64_t& first_count) {
    first_count = in.u64();
    if (first_count != ticks_marker) {
        return stored_time_unit::nanoseconds;
    }
    first_count = in.u64();
    return stored_time_unit::ticks;
}

void write_counts(byte_writer& out, const detect_counts& counts) {
    out.u64(ticks_marker);
    out.u64(counts.read);
    out.u64(counts.written);
    out.u64(counts.filtered);
    out.u64(counts.rejected);
    out.u64(counts.anomalies);
}

/// The function snapshot, the pending lines and the partition limit: the end of every layout.
/// States without a partition limit end as they did before it existed.
std::vector<std::byte> finish_state(byte_writer& out, std::span<const std::byte> function,
                                    const pending_lines& pending,
                                    const partition_admission& admission, bool with_keys) {
    out.u64(function.size());
    out.raw(function);
    if (!pending.empty() || admission.enabled()) {
        out.str(pending.output);
        out.str(pending.rejects);
    }
    if (admission.enabled()) {
        admission.save(out, with_keys);
    }
    return out.take();
}

}  // namespace

std::vector<std::byte> save_detect_state(const detect_counts& counts, const event_order& order,
                                         std::span<const std::byte> function,
                                         const pending_lines& pending,
                                         const partition_admission& admission) {
    byte_writer out;
    write_counts(out, counts);
    order.save(out);
    return finish_state(out, function, pending, admission, true);
}

std::vector<std::byte> save_state_head(const detect_counts& counts, std::uint64_t next_sequence,
                                       std::span<const std::byte> function_clocks,
                                       const pending_lines& pending,
                                       const partition_admission& admission) {
    byte_writer out;
    write_counts(out, counts);
    out.u64(next_sequence);
    out.u64(0);  // keys: in the rows
    return finish_state(out, function_clocks, pending, admission, false);
}

partition_row save_partition_row(const partition_key& key, const partition_admission& admission,
                                 const event_order& order, const detect_function& function) {
    partition_row row;
    byte_writer encoded_key;
    key_codec<partition_key>::encode(encoded_key, key);
    row.key = encoded_key.take();
    byte_writer state;
    state.u8(0);
    const bool admitted = admission.save_key(key, state);
    const bool ordered = order.save_key(key, state);
    const bool modelled = function.save_partition(key, state);
    if (admitted || ordered || modelled) {
        row.state = state.take();
        row.state.front() =
            static_cast<std::byte>(row_ticks | (admitted ? row_admitted : 0U) |
                                   (ordered ? row_ordered : 0U) | (modelled ? row_modelled : 0U));
    }
    return row;
}

std::vector<std::byte> assemble_detect_state(std::span<const std::byte> head,
                                             std::span<const partition_row> rows,
                                             const detect_function& function) {
    byte_reader in{head};
    byte_writer out;
    std::uint64_t read = 0;
    const stored_time_unit head_unit = read_time_unit(in, read);
    out.u64(ticks_marker);  // every time below is converted to ticks
    out.u64(read);
    out.raw(in.take(4 * sizeof(std::uint64_t)));  // the other counts
    std::uint64_t next_sequence = in.u64();
    if (in.u64() != 0) {
        throw snapshot_error("the checkpoint's head holds partition keys");
    }
    byte_writer admitted_keys;
    std::uint64_t admitted = 0;
    byte_writer order_keys;
    std::uint64_t ordered = 0;
    byte_writer records;
    std::size_t modelled = 0;
    for (const partition_row& row : rows) {
        byte_reader state{row.state};
        const unsigned parts = state.u8();
        if ((parts & ~(row_admitted | row_ordered | row_modelled | row_ticks)) != 0) {
            throw snapshot_error("a partition row holds parts this build does not know");
        }
        const stored_time_unit unit =
            (parts & row_ticks) != 0 ? stored_time_unit::ticks : stored_time_unit::nanoseconds;
        if ((parts & row_admitted) != 0) {
            admitted_keys.raw(row.key);
            write_stored_time(admitted_keys, read_stored_time(state, unit));
            ++admitted;
        }
        if ((parts & row_ordered) != 0) {
            order_keys.raw(row.key);
            next_sequence =
                std::max(next_sequence, event_order::copy_key_record(state, order_keys, unit) + 1);
            ++ordered;
        }
        if ((parts & row_modelled) != 0) {
            records.raw(state.take(state.remaining()));
            ++modelled;
        }
        state.expect_end();
    }
    out.u64(next_sequence);
    out.u64(ordered);
    out.raw(order_keys.bytes());
    const auto clocks = in.take(in.length(1));
    const std::vector<std::byte> snapshot =
        function.add_partitions(clocks, records.bytes(), modelled);
    out.u64(snapshot.size());
    out.raw(snapshot);
    if (in.remaining() != 0) {  // the pending lines
        out.str(in.str());
        out.str(in.str());
    }
    if (in.remaining() != 0) {  // the partition limit's clocks, then its keys from the rows
        write_stored_time(out, read_stored_time(in, head_unit));  // newest
        write_stored_time(out, read_stored_time(in, head_unit));  // next sweep
        if (in.u64() != 0) {
            throw snapshot_error("the checkpoint's head holds partition keys");
        }
        out.u64(admitted);
        out.raw(admitted_keys.bytes());
    }
    in.expect_end();
    return out.take();
}

detect_state load_detect_state(std::span<const std::byte> bytes, const detect_query& query,
                               event_decoder& decoder) {
    byte_reader in{bytes};
    detect_state state{.counts = {},
                       .order = event_order{query.out_of_order_tolerance, query.out_of_order},
                       .function = {},
                       .pending = {},
                       .admission = {query.max_partitions, query.idle_ttl}};
    const stored_time_unit unit = read_time_unit(in, state.counts.read);
    state.counts.written = in.u64();
    state.counts.filtered = in.u64();
    state.counts.rejected = in.u64();
    state.counts.anomalies = in.u64();
    state.order.load(in, decoder, unit);
    const auto function = in.take(in.length(1));
    state.function.assign(function.begin(), function.end());
    if (in.remaining() != 0) {
        state.pending.output = in.str();
        state.pending.rejects = in.str();
    }
    if (in.remaining() != 0) {
        state.admission.load(in, unit);
    }
    in.expect_end();
    return state;
}

}  // namespace streamcp::pipeline
