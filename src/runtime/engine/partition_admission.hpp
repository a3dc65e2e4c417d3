// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include <streamcp/state/byte_codec.hpp>

#include "event_decoder.hpp"
#include "partition_key_hash.hpp"
#include "stored_time.hpp"

namespace streamcp::pipeline {

/// `--max-partitions`: admits at most `limit` partition keys at once, decided in input order so
/// that every thread count admits the same keys. With an idle TTL, a key whose latest event lies
/// more than the TTL behind the newest admitted event frees its place; the places are looked
/// over when a new key finds none, at most once per TTL of event time, so a full table costs a
/// new key O(1) amortised.
class partition_admission {
  public:
    /// `limit` 0: every key passes and nothing is kept.
    partition_admission(std::uint64_t limit, std::chrono::nanoseconds idle_ttl) noexcept
        : limit_(limit),
          idle_ttl_(idle_ttl),
          idle_beyond_(std::chrono::floor<tick_duration>(idle_ttl)),
          sweep_every_(std::chrono::ceil<tick_duration>(idle_ttl)) {}

    [[nodiscard]] bool enabled() const noexcept { return limit_ != 0; }
    [[nodiscard]] std::uint64_t limit() const noexcept { return limit_; }

    /// Whether the event of `key` at `time` may pass. Keys that freed their place meanwhile are
    /// added to `forgotten` unless it is null (their checkpoint rows change).
    bool admit(const partition_key& key, event_time time,
               std::unordered_set<partition_key>* forgotten);

    /// The clocks and, with `with_keys`, every admitted key and its latest time.
    void save(byte_writer& out, bool with_keys) const;
    /// Reads what `save` wrote. Throws `snapshot_error` when the bytes are damaged.
    void load(byte_reader& in, stored_time_unit unit);
    /// Key `key`'s latest time, for its checkpoint row; false when it holds no place.
    bool save_key(const partition_key& key, byte_writer& out) const;

  private:
    std::uint64_t limit_;
    std::chrono::nanoseconds idle_ttl_;
    // The TTL in whole ticks, as event times are: idle when more than `idle_beyond_` behind;
    // the next sweep `sweep_every_` after the last.
    tick_duration idle_beyond_;
    tick_duration sweep_every_;
    std::unordered_map<partition_key, event_time, partition_key_hash>
        admitted_;  // each key's latest event time
    event_time newest_{};
    event_time next_sweep_{};
};

}  // namespace streamcp::pipeline
