// SPDX-License-Identifier: MIT
#include "job_state_shards.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>

#include <streamcp/function/anomaly_detection_change_point.hpp>
#include <streamcp/model/change_point_detector.hpp>
#include <streamcp/state/byte_codec.hpp>
#include <streamcp/state/key_codec.hpp>
#include <streamcp/state/snapshot.hpp>

namespace streamcp::pipeline {
namespace {

// The layouts below are detect_job::save_state's, event_order::save's and
// partitioned_function::snapshot's; the round-trip tests catch any drift.

struct held_line {
    std::uint64_t line = 0;
    std::uint64_t sequence = 0;
    std::string raw;
};

struct order_key {
    partition_key key;
    std::int64_t latest = 0;
    std::vector<held_line> held;
};

struct order_state {
    std::uint64_t next_sequence = 0;
    std::vector<order_key> keys;
};

/// One partition of a function snapshot: its key, then its clock and model bytes as stored.
struct function_part {
    partition_key key;
    std::span<const std::byte> bytes;
};

struct function_state {
    std::span<const std::byte> parameters;
    std::int64_t newest = 0;
    std::int64_t next_sweep = 0;
    std::vector<function_part> parts;
};

struct job_state {
    detect_counts counts;
    order_state order;
    function_state function;
    std::string pending_output;
    std::string pending_rejects;
};

/// The function's parameters and model options, from a function with no partitions.
struct function_shape {
    std::size_t parameters_size = 0;
    change_point_options model;
};

function_shape shape_of(const detect_query& query) {
    const anomaly_detection_change_point<partition_key> empty{
        query.confidence, query.history, query.duration,
        function_options{.fractional_confidence = query.fractional_confidence}};
    const std::vector<std::byte> sealed = empty.snapshot();
    const auto payload = snapshot_format::open(sealed, snapshot_kind::change_point_function);
    // An empty snapshot is the parameters, two clocks and a zero partition count.
    return {payload.size() - 3 * sizeof(std::uint64_t), empty.partition_model_options()};
}

order_state read_order(byte_reader& in) {
    order_state order;
    order.next_sequence = in.u64();
    const std::size_t key_count = in.length(sizeof(std::int64_t));
    order.keys.reserve(key_count);
    for (std::size_t k = 0; k < key_count; ++k) {
        order_key key{.key = key_codec<partition_key>::decode(in), .latest = in.i64(), .held = {}};
        const std::size_t held_count = in.length(2 * sizeof(std::uint64_t));
        for (std::size_t h = 0; h < held_count; ++h) {
            held_line held;
            held.line = in.u64();
            held.sequence = in.u64();
            held.raw = in.str();
            key.held.push_back(std::move(held));
        }
        order.keys.push_back(std::move(key));
    }
    return order;
}

void write_order(byte_writer& out, const order_state& order) {
    out.u64(order.next_sequence);
    out.u64(order.keys.size());
    for (const order_key& key : order.keys) {
        key_codec<partition_key>::encode(out, key.key);
        out.i64(key.latest);
        out.u64(key.held.size());
        for (const held_line& held : key.held) {
            out.u64(held.line);
            out.u64(held.sequence);
            out.str(held.raw);
        }
    }
}

function_state read_function(std::span<const std::byte> sealed, const function_shape& shape) {
    const auto payload = snapshot_format::open(sealed, snapshot_kind::change_point_function);
    byte_reader in{payload};
    function_state function;
    function.parameters = in.take(shape.parameters_size);
    function.newest = in.i64();
    function.next_sweep = in.i64();
    const std::size_t count = in.length(2 * sizeof(std::int64_t));
    function.parts.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        partition_key key = key_codec<partition_key>::decode(in);
        const std::size_t begin = payload.size() - in.remaining();
        (void)in.i64();                                     // the partition's clock
        change_point_detector{shape.model}.load_state(in);  // only to find where the model ends
        const std::size_t end = payload.size() - in.remaining();
        function.parts.push_back({std::move(key), payload.subspan(begin, end - begin)});
    }
    in.expect_end();
    return function;
}

std::vector<std::byte> write_function(const function_state& function,
                                      std::span<const function_part* const> parts) {
    byte_writer out;
    out.raw(function.parameters);
    out.i64(function.newest);
    out.i64(function.next_sweep);
    out.u64(parts.size());
    for (const function_part* part : parts) {
        key_codec<partition_key>::encode(out, part->key);
        out.raw(part->bytes);
    }
    return snapshot_format::seal(snapshot_kind::change_point_function, out.bytes());
}

/// Parses a job state; its function parts point into `bytes`.
job_state read_job(std::span<const std::byte> bytes, const function_shape& shape) {
    byte_reader in{bytes};
    job_state state;
    state.counts.read = in.u64();
    state.counts.written = in.u64();
    state.counts.filtered = in.u64();
    state.counts.rejected = in.u64();
    state.counts.anomalies = in.u64();
    state.order = read_order(in);
    const std::size_t function_size = in.length(1);
    state.function = read_function(in.take(function_size), shape);
    if (in.remaining() != 0) {
        state.pending_output = in.str();
        state.pending_rejects = in.str();
    }
    in.expect_end();
    return state;
}

std::vector<std::byte> write_job(const detect_counts& counts, const order_state& order,
                                 std::span<const std::byte> function,
                                 std::string_view pending_output,
                                 std::string_view pending_rejects) {
    byte_writer out;
    out.u64(counts.read);
    out.u64(counts.written);
    out.u64(counts.filtered);
    out.u64(counts.rejected);
    out.u64(counts.anomalies);
    write_order(out, order);
    out.u64(function.size());
    out.raw(function);
    if (!pending_output.empty() || !pending_rejects.empty()) {
        out.str(pending_output);
        out.str(pending_rejects);
    }
    return out.take();
}

}  // namespace

std::size_t shard_of(const partition_key& key, std::size_t shards) noexcept {
    // Mix the hash: integer keys hash to themselves and often share a stride.
    const std::uint64_t mixed = std::hash<partition_key>{}(key)*0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>((mixed >> 32U) % shards);
}

sharded_job_state split_job_state(std::span<const std::byte> state, std::size_t shards,
                                  const detect_query& query) {
    const function_shape shape = shape_of(query);
    job_state whole = read_job(state, shape);
    std::vector<order_state> orders(shards);
    for (order_state& order : orders) {
        order.next_sequence = whole.order.next_sequence;
    }
    for (order_key& key : whole.order.keys) {
        orders[shard_of(key.key, shards)].keys.push_back(std::move(key));
    }
    std::vector<std::vector<const function_part*>> parts(shards);
    for (const function_part& part : whole.function.parts) {
        parts[shard_of(part.key, shards)].push_back(&part);
    }
    sharded_job_state out{.counts = whole.counts,
                          .pending_output = std::move(whole.pending_output),
                          .pending_rejects = std::move(whole.pending_rejects),
                          .shards = {}};
    for (std::size_t s = 0; s < shards; ++s) {
        out.shards.push_back(
            write_job({}, orders[s], write_function(whole.function, parts[s]), {}, {}));
    }
    return out;
}

std::vector<std::byte> merge_job_states(std::span<const std::vector<std::byte>> shard_states,
                                        const detect_counts& counts,
                                        std::string_view pending_output,
                                        std::string_view pending_rejects,
                                        const detect_query& query) {
    const function_shape shape = shape_of(query);
    std::vector<job_state> states;
    states.reserve(shard_states.size());
    for (const std::vector<std::byte>& bytes : shard_states) {
        states.push_back(read_job(bytes, shape));
    }
    order_state order;
    function_state function;
    std::vector<const function_part*> parts;
    for (job_state& state : states) {
        // Shards number held events on their own; lines give the arrival order they all share.
        for (order_key& key : state.order.keys) {
            for (held_line& held : key.held) {
                held.sequence = held.line;
                order.next_sequence = std::max(order.next_sequence, held.line + 1);
            }
            order.keys.push_back(std::move(key));
        }
        order.next_sequence = std::max(order.next_sequence, state.order.next_sequence);
        if (function.parameters.empty()) {
            function.parameters = state.function.parameters;
        }
        function.newest = std::max(function.newest, state.function.newest);
        function.next_sweep = std::max(function.next_sweep, state.function.next_sweep);
        for (const function_part& part : state.function.parts) {
            parts.push_back(&part);
        }
    }
    if (states.empty()) {
        throw snapshot_error("no shard states to merge");
    }
    return write_job(counts, order, write_function(function, parts), pending_output,
                     pending_rejects);
}

}  // namespace streamcp::pipeline
