// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace streamcp::adapters {

/// Per partition, the last sequence number the hub enqueued (from `$management`, written by the
/// event loop) and the last one the job read (written by the reading thread), so that the
/// metrics thread can report the backlog (Stream Analytics' Backlogged Input Events) lock-free.
class partition_backlog {
  public:
    static constexpr std::size_t max_partitions = 1024;  ///< Event Hubs allows at most 1024

    /// The hub's answer for partition `index` (label `number`): its last enqueued sequence
    /// number, and its first one (what a reader from the start has not read yet).
    void enqueued(std::size_t index, std::uint32_t number, std::int64_t begin,
                  std::int64_t last) noexcept {
        if (index >= max_partitions) {
            return;
        }
        slot& entry = slots_[index];
        entry.number.store(number, std::memory_order_relaxed);
        entry.begin.store(begin, std::memory_order_relaxed);
        entry.last_enqueued.store(last, std::memory_order_relaxed);
        std::size_t known = known_.load(std::memory_order_relaxed);
        while (index >= known && !known_.compare_exchange_weak(known, index + 1)) {
        }
    }

    /// The job read the event with `sequence` from partition `index`.
    void consumed(std::size_t index, std::int64_t sequence) noexcept {
        if (index < max_partitions) {
            slots_[index].consumed.store(sequence, std::memory_order_relaxed);
        }
    }

    /// (partition number, events enqueued but not read) for each partition the hub answered for.
    [[nodiscard]] std::vector<std::pair<std::uint32_t, std::uint64_t>> snapshot() const {
        std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
        const std::size_t known = known_.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < known; ++i) {
            const slot& entry = slots_[i];
            const std::int64_t last = entry.last_enqueued.load(std::memory_order_relaxed);
            if (last == unknown) {
                continue;
            }
            std::int64_t read = entry.consumed.load(std::memory_order_relaxed);
            if (read == unknown) {
                read = entry.begin.load(std::memory_order_relaxed) - 1;
            }
            out.emplace_back(entry.number.load(std::memory_order_relaxed),
                             last > read ? static_cast<std::uint64_t>(last - read) : 0);
        }
        return out;
    }

    /// Where a resumed partition stands before its first event (its checkpointed position).
    void resumed(std::size_t index, std::int64_t sequence) noexcept { consumed(index, sequence); }

  private:
    static constexpr std::int64_t unknown = -2;
    struct slot {
        std::atomic<std::uint32_t> number{0};
        std::atomic<std::int64_t> begin{0};
        std::atomic<std::int64_t> last_enqueued{unknown};
        std::atomic<std::int64_t> consumed{unknown};
    };
    std::array<slot, max_partitions> slots_{};
    std::atomic<std::size_t> known_{0};
};

}  // namespace streamcp::adapters
