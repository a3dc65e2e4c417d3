// SPDX-License-Identifier: MIT
#include "partition_admission.hpp"

#include <algorithm>

#include <streamcp/state/key_codec.hpp>
#include <streamcp/state/snapshot_error.hpp>

namespace streamcp::pipeline {

bool partition_admission::admit(const partition_key& key, event_time time,
                                std::unordered_set<partition_key>* forgotten) {
    if (limit_ == 0) {
        return true;
    }
    if (const auto found = admitted_.find(key); found != admitted_.end()) {
        found->second = std::max(found->second, time);
        newest_ = std::max(newest_, time);
        return true;
    }
    if (admitted_.size() >= limit_ && idle_ttl_.count() > 0 && newest_ >= next_sweep_) {
        std::erase_if(admitted_, [&](const auto& entry) {
            const bool idle = newest_ - entry.second > idle_beyond_;
            if (idle && forgotten != nullptr) {
                forgotten->insert(entry.first);
            }
            return idle;
        });
        next_sweep_ = newest_ + sweep_every_;
    }
    if (admitted_.size() >= limit_) {
        return false;
    }
    admitted_.emplace(key, time);
    newest_ = std::max(newest_, time);
    return true;
}

void partition_admission::save(byte_writer& out, bool with_keys) const {
    write_stored_time(out, newest_);
    write_stored_time(out, next_sweep_);
    out.u64(with_keys ? admitted_.size() : 0);
    if (with_keys) {
        for (const auto& [key, latest] : admitted_) {
            key_codec<partition_key>::encode(out, key);
            write_stored_time(out, latest);
        }
    }
}

void partition_admission::load(byte_reader& in, stored_time_unit unit) {
    admitted_.clear();
    newest_ = read_stored_time(in, unit);
    next_sweep_ = read_stored_time(in, unit);
    const std::size_t count = in.length(sizeof(std::int64_t));
    for (std::size_t i = 0; i < count; ++i) {
        partition_key key = key_codec<partition_key>::decode(in);
        if (!admitted_.emplace(std::move(key), read_stored_time(in, unit)).second) {
            throw snapshot_error("a partition key holds two places in the partition limit");
        }
    }
}

bool partition_admission::save_key(const partition_key& key, byte_writer& out) const {
    const auto found = admitted_.find(key);
    if (found == admitted_.end()) {
        return false;
    }
    write_stored_time(out, found->second);
    return true;
}

}  // namespace streamcp::pipeline
