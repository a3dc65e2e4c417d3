// SPDX-License-Identifier: MIT
#include "event_order.hpp"

#include <stdexcept>
#include <utility>

#include <simdjson.h>

#include <streamcp/state/key_codec.hpp>
#include <streamcp/state/snapshot_error.hpp>

namespace streamcp::pipeline {

out_of_order_action parse_out_of_order_action(std::string_view name) {
    if (name == "adjust") {
        return out_of_order_action::adjust;
    }
    if (name == "drop") {
        return out_of_order_action::drop;
    }
    throw std::invalid_argument("out-of-order action '" + std::string(name) +
                                "' is invalid: allowed adjust, drop");
}

event_order::event_order(std::chrono::nanoseconds tolerance, out_of_order_action action)
    : tolerance_(tolerance), in_ticks_(order_tolerance::of(tolerance)), action_(action) {
    if (tolerance.count() < 0) {
        throw std::invalid_argument("out-of-order tolerance must not be negative");
    }
}

void event_order::save(byte_writer& out) const {
    out.u64(next_sequence_);
    out.u64(keys_.size());
    for (const auto& [key, state] : keys_) {
        key_codec<partition_key>::encode(out, key);
        write_stored_time(out, state.latest());
        out.u64(state.held().size());
        for (const held_event& held : state.held()) {
            out.u64(held.payload.line);
            out.u64(held.sequence);
            out.str(held.payload.raw);
        }
    }
}

void event_order::load(byte_reader& in, event_decoder& decoder, stored_time_unit unit) {
    keys_.clear();
    held_count_ = 0;
    next_sequence_ = in.u64();
    const std::size_t key_count = in.length(sizeof(std::int64_t));
    for (std::size_t k = 0; k < key_count; ++k) {
        partition_key key = key_codec<partition_key>::decode(in);
        const event_time latest = read_stored_time(in, unit);
        const std::size_t held_count = in.length(2 * sizeof(std::uint64_t));
        std::vector<held_event> held;
        held.reserve(held_count);
        for (std::size_t h = 0; h < held_count; ++h) {
            held_payload payload;
            payload.line = in.u64();
            const std::uint64_t sequence = in.u64();
            payload.raw = in.str();
            const simdjson::padded_string padded{payload.raw};
            if (decoder.decode(std::string_view{padded.data(), padded.size()}, payload.event)) {
                throw snapshot_error("a held event in the checkpoint no longer decodes");
            }
            const event_time time = payload.event.time;
            held.push_back(held_event{time, sequence, std::move(payload)});
        }
        held_count_ += held.size();
        keys_.emplace(std::move(key), key_state{latest, std::move(held)});
    }
}

std::vector<partition_key> event_order::take_changed() {
    for (const partition_key& key : changed_keys_) {
        const auto found = keys_.find(key);
        if (found != keys_.end()) {
            found->second.changed = false;
        }
    }
    return std::exchange(changed_keys_, {});
}

bool event_order::save_key(const partition_key& key, byte_writer& out) const {
    const auto found = keys_.find(key);
    if (found == keys_.end()) {
        return false;
    }
    write_stored_time(out, found->second.latest());
    out.u64(found->second.held().size());
    for (const held_event& held : found->second.held()) {
        out.u64(held.payload.line);
        out.str(held.payload.raw);
    }
    return true;
}

std::uint64_t event_order::copy_key_record(byte_reader& in, byte_writer& out,
                                           stored_time_unit unit) {
    write_stored_time(out, read_stored_time(in, unit));
    const std::size_t held_count = in.length(sizeof(std::uint64_t) * 2);
    out.u64(held_count);
    std::uint64_t last_line = 0;
    for (std::size_t h = 0; h < held_count; ++h) {
        const std::uint64_t line = in.u64();
        out.u64(line);
        out.u64(line);  // lines number arrivals, as `merge` renumbers them
        out.str(in.str());
        last_line = std::max(last_line, line);
    }
    return last_line;
}

void event_order::for_each_key(
    const std::function<void(const partition_key& key, std::size_t held)>& visit) const {
    for (const auto& [key, state] : keys_) {
        visit(key, state.held().size());
    }
}

std::vector<event_order> event_order::split(
    std::size_t parts, const std::function<std::size_t(const partition_key&)>& part_of) && {
    std::vector<event_order> out;
    out.reserve(parts);
    for (std::size_t part = 0; part < parts; ++part) {
        out.emplace_back(tolerance_, action_);
        out.back().next_sequence_ = next_sequence_;
    }
    for (auto& [key, state] : keys_) {
        const std::size_t part = part_of(key);
        if (part >= parts) {
            throw std::invalid_argument("part_of gave part " + std::to_string(part) +
                                        ": allowed below parts (" + std::to_string(parts) + ")");
        }
        out[part].held_count_ += state.held().size();
        out[part].keys_.emplace(key, std::move(state));
    }
    keys_.clear();
    held_count_ = 0;
    return out;
}

event_order event_order::merge(std::span<const event_order* const> parts) {
    if (parts.empty()) {
        throw std::invalid_argument("merging ordering stages needs at least one");
    }
    event_order out{parts.front()->tolerance_, parts.front()->action_};
    for (const event_order* part : parts) {
        if (part->tolerance_ != out.tolerance_ || part->action_ != out.action_) {
            throw std::invalid_argument("ordering stages with different policies cannot merge");
        }
        out.next_sequence_ = std::max(out.next_sequence_, part->next_sequence_);
        for (const auto& [key, state] : part->keys_) {
            key_state copy = state;
            // Parts number held events on their own; lines order them as they arrived.
            copy.renumber([&out](const held_event& held) {
                out.next_sequence_ = std::max(out.next_sequence_, held.payload.line + 1);
                return held.payload.line;
            });
            out.held_count_ += copy.held().size();
            if (!out.keys_.emplace(key, std::move(copy)).second) {
                throw std::invalid_argument("a partition key is in two ordering stages");
            }
        }
    }
    return out;
}

}  // namespace streamcp::pipeline
