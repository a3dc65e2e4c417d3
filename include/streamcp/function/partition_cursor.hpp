// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// Where a caller that keeps per-key state of its own (an ordering stage, say) remembers its
/// key's partition in a partitioned function, so that the key's next event is scored without a
/// second lookup: `evaluate(cursor, key, ...)`. A cursor belongs to one key and is only a hint:
/// one its function no longer vouches for (after an eviction or a restore, or a cursor of another
/// function object) makes the function look the key up again.
struct partition_cursor {
    static constexpr std::size_t no_slot = static_cast<std::size_t>(-1);

    std::size_t slot = no_slot;
    std::uint64_t layout = 0;  ///< the slot layout `slot` belongs to; 0 is never one
};

namespace detail {

/// The identity of a function's slot layout: it changes whenever partitions may move (an
/// erase, a restore), and every copy gets an identity of its own, so a cursor matches only the
/// object and the layout that set it. Numbers are unique in the process.
class partition_layout {
  public:
    partition_layout() noexcept : id_(next()) {}
    partition_layout(const partition_layout& /*other*/) noexcept : id_(next()) {}
    partition_layout(partition_layout&& other) noexcept : id_(other.id_) { other.change(); }
    partition_layout& operator=(const partition_layout& other) noexcept {
        if (this != &other) {
            change();
        }
        return *this;
    }
    partition_layout& operator=(partition_layout&& other) noexcept {
        if (this != &other) {
            id_ = other.id_;
            other.change();
        }
        return *this;
    }
    ~partition_layout() = default;

    /// Partitions may have moved: every cursor set so far is stale.
    void change() noexcept { id_ = next(); }
    [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

    /// The slot `cursor` vouches for under this layout, or `partition_cursor::no_slot`.
    [[nodiscard]] std::size_t slot_of(const partition_cursor& cursor) const noexcept {
        return cursor.layout == id_ ? cursor.slot : partition_cursor::no_slot;
    }

  private:
    static std::uint64_t next() noexcept {
        static std::atomic<std::uint64_t> last{0};
        return last.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    std::uint64_t id_;
};

}  // namespace detail

STREAMCP_END_NAMESPACE
