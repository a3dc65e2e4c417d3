// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "streamcp/config.hpp"
#include "streamcp/core/martingale.hpp"
#include "streamcp/core/ring_buffer.hpp"
#include "streamcp/detail/model_access.hpp"
#include "streamcp/function/event_time.hpp"
#include "streamcp/model/change_point_detector.hpp"
#include "streamcp/state/byte_codec.hpp"
#include "streamcp/state/snapshot_error.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

STREAMCP_BEGIN_NAMESPACE
namespace detail {

/// The largest history whose partitions live in the slots of a `change_point_slab` (up to
/// 12 KiB per partition at this bound). Larger histories keep the heap model, whose storage
/// also grows with the events seen.
inline constexpr std::int64_t max_compact_history = 1024;

/// Blocks of at least this size are 2 MiB aligned and asked for transparent huge pages.
inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

/// Allocates `bytes` (> 0). A block of 2 MiB or more starts on a 2 MiB boundary, is rounded up
/// to whole 2 MiB pages and is advised MADV_HUGEPAGE: a random access into 10^6 partitions then
/// misses the TLB far less often (under virtualisation a 4 KiB page walk costs about as much as
/// the cache miss itself). Free with `std::free`.
[[nodiscard]] inline void* allocate_block(std::size_t bytes, std::size_t alignment) {
    void* p = nullptr;
    if (bytes >= huge_page_bytes) {
        bytes = (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
        p = std::aligned_alloc(huge_page_bytes, bytes);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (p != nullptr) {
            (void)::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: failure costs speed
        }
#endif
    } else {
        alignment = std::max(alignment, alignof(std::max_align_t));
        p = std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment);
    }
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return p;
}

/// Starts loading the cache line at `p` (`for_write`: in a writable state). The empty volatile
/// asm is a side effect GCC's interprocedural analysis sees: without it, a function that only
/// prefetches is deemed pure and its calls are deleted.
inline void prefetch_line(const void* p, bool for_write) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    if (for_write) {
        __builtin_prefetch(p, 1);
    } else {
        __builtin_prefetch(p, 0);
    }
    asm volatile("");
#else
    (void)p;
    (void)for_write;
#endif
}

struct free_block {
    void operator()(void* p) const noexcept { std::free(p); }
};

/// A standard allocator over `allocate_block`: the partition index and key vector of a large
/// store live on huge pages too.
template <class T>
struct huge_page_allocator {
    using value_type = T;
    huge_page_allocator() = default;
    template <class U>
    huge_page_allocator(const huge_page_allocator<U>& /*other*/) noexcept {}  // NOLINT
    [[nodiscard]] T* allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
            throw std::bad_array_new_length();
        }
        return static_cast<T*>(allocate_block(n * sizeof(T), alignof(T)));
    }
    void deallocate(T* p, std::size_t /*n*/) noexcept { std::free(p); }
    template <class U>
    friend bool operator==(const huge_page_allocator& /*lhs*/,
                           const huge_page_allocator<U>& /*rhs*/) noexcept {
        return true;
    }
};

/// Every partition's change-point state and clock, in slots that grow with what the partition
/// holds. A slot is a header of scalars, then R (c floats, padded to 8 bytes), then U (the bets
/// after the first, c doubles), where c is its size class's capacity: the classes grow by half
/// from 4 values up to the history W, and the slots of a class sit in one array. A partition
/// whose values fill its class moves to the next before its next step (each value is copied
/// O(1) times on average), so a key costs what it holds, not W up front. One partition is one
/// contiguous run of memory, stepped in place by `change_point_detector::step_over`; the rings
/// keep W as their capacity, so the numbers are those of W-sized storage.
class change_point_slab {
  public:
    change_point_slab() = default;
    change_point_slab(const change_point_options& options, kernel_path kernel)
        : window_(static_cast<std::size_t>(options.history)), constants_(options, kernel) {
        constexpr std::size_t first_capacity = 4;
        for (std::size_t c = std::min(window_, first_capacity);; c = std::min(window_, c + c / 2)) {
            classes_.emplace_back(c);
            if (c == window_) {
                break;
            }
        }
    }

    [[nodiscard]] std::size_t size() const noexcept { return places_.size(); }

    /// A fresh partition at the end.
    void push(dotnet_ticks ticks) { push_into(0, ticks); }

    /// A partition at the end holding `model`'s state.
    void push(dotnet_ticks ticks, const change_point_detector& model) {
        const windowed_log_martingale& m = model_access::martingale(model);
        const ring_buffer<float>& r = model_access::history(model);
        const std::size_t held = std::max(r.size(), m.bets().size());
        std::size_t k = 0;
        while (classes_[k].capacity < held) {
            ++k;
        }
        push_into(k, ticks);
        const std::size_t i = places_.size() - 1;
        header& h = head(i);
        h.pairwise_sum = model_access::pairwise_sum(model);
        h.log_value = m.log_value();
        h.first_bet = m.first_bet();
        h.standins = static_cast<std::uint32_t>(m.standins());
        h.cooldown = model_access::cooldown_remaining(model);
        auto bets = bets_of(i);
        for (std::size_t b = 0; b < m.bets().size(); ++b) {
            bets.push_back(m.bets()[b]);
        }
        auto values = values_of(i);
        for (std::size_t v = 0; v < r.size(); ++v) {
            values.push_back(r[v]);
        }
    }

    /// Moves the last partition to index `i` and drops the last.
    void remove(std::size_t i) noexcept {
        release(places_[i]);
        const std::size_t last = places_.size() - 1;
        if (i != last) {
            places_[i] = places_[last];
            head(i).owner = static_cast<std::uint32_t>(i);
        }
        places_.pop_back();
    }

    [[nodiscard]] dotnet_ticks& ticks(std::size_t i) noexcept { return head(i).last_ticks; }
    [[nodiscard]] dotnet_ticks ticks(std::size_t i) const noexcept { return head(i).last_ticks; }

    /// Starts loading partition `i`'s slot into the cache, for writing.
    void prefetch(std::size_t i) const noexcept {
        const place p = places_[i];
        const size_class& k = classes_[p.size_class];
        const std::byte* slot = k.slot(p.slot);
        for (std::size_t at = 0; at < k.stride; at += 64) {
            prefetch_line(slot + at, true);
        }
        prefetch_line(slot + k.stride - 1, true);
    }

    change_point_result step(std::size_t i, float x) {
        const header& before = head(i);
        const place p = places_[i];
        if (std::max(before.values_size, before.bets_size) == classes_[p.size_class].capacity &&
            p.size_class + 1 < classes_.size()) {
            move_up(i);
        }
        header& h = head(i);
        auto values = values_of(i);
        slot_martingale martingale{bets_of(i), h};
        slot_cooldown cooldown{h.cooldown};
        return model_access::step_over<change_point_detector>(constants_, values, h.pairwise_sum,
                                                              martingale, cooldown, x);
    }

    void save(std::size_t i, byte_writer& w) const {
        const header& h = head(i);
        model_access::write_state<change_point_detector>(w, h.standins, h.first_bet,
                                                         const_bets_of(i), const_values_of(i),
                                                         h.log_value, h.pairwise_sum, h.cooldown);
    }

    /// Drops unused capacity.
    void shrink_to_fit() {
        for (size_class& k : classes_) {
            k.reallocate(k.size);
        }
        places_.shrink_to_fit();
    }

  private:
    struct header {
        dotnet_ticks last_ticks = 0;
        double pairwise_sum = 0.0;  // S
        double log_value = 0.0;     // L
        double first_bet = 0.0;
        std::uint32_t values_size = 0;  // R's ring counters
        std::uint32_t values_head = 0;
        std::uint32_t bets_size = 0;  // U's ring counters (bets after the first)
        std::uint32_t bets_head = 0;
        std::uint32_t standins = 0;  // copies of the first bet ahead of U
        int cooldown = 0;
        std::uint32_t owner = 0;  // the partition's index, to update its place when moved
    };

    /// Where a partition's slot is.
    struct place {
        std::uint32_t slot = 0;
        std::uint32_t size_class = 0;
    };

    /// The slots of one capacity, in one array (2 MiB pages once large).
    struct size_class {
        explicit size_class(std::size_t values)
            : capacity(values),
              values_bytes(round_up(values * sizeof(float))),
              stride(round_up(sizeof(header) + values_bytes + values * sizeof(double))) {}

        [[nodiscard]] std::byte* slot(std::size_t s) const noexcept {
            return data.get() + s * stride;
        }

        /// A new slot at the end (uninitialised); returns its number.
        std::size_t add() {
            if (size == slots) {
                reallocate(std::max({size + 1, slots + slots / 2, std::size_t{4}}));
            }
            return size++;
        }

        void reallocate(std::size_t count) {
            if (count == slots) {
                return;
            }
            std::unique_ptr<std::byte, free_block> moved;
            if (count > 0) {
                moved.reset(
                    static_cast<std::byte*>(allocate_block(count * stride, alignof(header))));
                if (size > 0) {
                    std::memcpy(moved.get(), data.get(), size * stride);
                }
            }
            data = std::move(moved);
            slots = count;
        }

        std::size_t capacity;  // values (and bets) a slot holds
        std::size_t values_bytes;
        std::size_t stride;
        std::unique_ptr<std::byte, free_block> data;
        std::size_t size = 0;   // slots in use
        std::size_t slots = 0;  // slots allocated
    };

    struct slot_martingale {
        ring_span<double> bets;
        header& h;
        double push(double log_bet) {
            return push_windowed_log_bet(bets, h.standins, h.first_bet, h.log_value, log_bet);
        }
    };

    struct slot_cooldown {
        int& remaining;
        bool admit(bool raw_alert, int window) noexcept {
            return admit_after_cooldown(remaining, raw_alert, window);
        }
    };

    static constexpr std::size_t round_up(std::size_t bytes) noexcept {
        return (bytes + alignof(header) - 1) / alignof(header) * alignof(header);
    }

    static header& header_at(std::byte* slot) noexcept {
        return *std::launder(reinterpret_cast<header*>(slot));  // NOLINT
    }
    static const header& header_at(const std::byte* slot) noexcept {
        return *std::launder(reinterpret_cast<const header*>(slot));  // NOLINT
    }

    [[nodiscard]] std::byte* base(std::size_t i) const noexcept {
        const place p = places_[i];
        return classes_[p.size_class].slot(p.slot);
    }
    [[nodiscard]] header& head(std::size_t i) const noexcept { return header_at(base(i)); }
    [[nodiscard]] float* values_data(std::size_t i) const noexcept {
        return reinterpret_cast<float*>(base(i) + sizeof(header));  // NOLINT
    }
    [[nodiscard]] double* bets_data(std::size_t i) const noexcept {
        return reinterpret_cast<double*>(  // NOLINT
            base(i) + sizeof(header) + classes_[places_[i].size_class].values_bytes);
    }
    // The rings' capacity is W whatever the slot's: a slot is moved up before it would overflow.
    [[nodiscard]] ring_span<double> bets_of(std::size_t i) noexcept {
        header& h = head(i);
        return {bets_data(i), window_, h.bets_size, h.bets_head};
    }
    [[nodiscard]] ring_span<float> values_of(std::size_t i) noexcept {
        header& h = head(i);
        return {values_data(i), window_, h.values_size, h.values_head};
    }
    [[nodiscard]] ring_span<const double, const std::uint32_t> const_bets_of(
        std::size_t i) const noexcept {
        const header& h = head(i);
        return {bets_data(i), window_, h.bets_size, h.bets_head};
    }
    [[nodiscard]] ring_span<const float, const std::uint32_t> const_values_of(
        std::size_t i) const noexcept {
        const header& h = head(i);
        return {values_data(i), window_, h.values_size, h.values_head};
    }

    /// A fresh partition at the end, in a slot of class `k`.
    void push_into(std::size_t k, dotnet_ticks ticks) {
        if (places_.size() == places_.capacity()) {  // the slot and its place, or neither
            places_.reserve(places_.size() + places_.size() / 2 + 4);
        }
        const std::size_t s = classes_[k].add();
        ::new (static_cast<void*>(classes_[k].slot(s)))
            header{.last_ticks = ticks, .owner = static_cast<std::uint32_t>(places_.size())};
        places_.push_back({static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(k)});
    }

    /// Frees the slot at `p`: the class's last slot moves into it.
    void release(place p) noexcept {
        size_class& k = classes_[p.size_class];
        const std::size_t last = k.size - 1;
        if (p.slot != last) {
            std::memcpy(k.slot(p.slot), k.slot(last), k.stride);
            places_[header_at(k.slot(p.slot)).owner].slot = p.slot;
        }
        --k.size;
    }

    /// Moves partition `i` to a slot of the next class. Its rings have not wrapped (they are
    /// below W), so their elements are the first `size` of each array.
    void move_up(std::size_t i) {
        const place from = places_[i];
        size_class& bigger = classes_[from.size_class + 1];
        const std::size_t s = bigger.add();
        const size_class& smaller = classes_[from.size_class];
        const std::byte* source = smaller.slot(from.slot);
        std::byte* target = bigger.slot(s);
        const header& h = header_at(source);
        std::memcpy(target, source, sizeof(header) + h.values_size * sizeof(float));
        std::memcpy(target + sizeof(header) + bigger.values_bytes,
                    source + sizeof(header) + smaller.values_bytes, h.bets_size * sizeof(double));
        release(from);
        places_[i] = {static_cast<std::uint32_t>(s), from.size_class + 1};
    }

    static_assert(std::is_trivially_copyable_v<header>);
    static_assert(alignof(header) >= alignof(double) && sizeof(header) % alignof(double) == 0);

    std::size_t window_ = 0;
    change_point_detector::step_constants constants_{change_point_options{}, kernel_path::exact};
    std::vector<size_class> classes_;
    std::vector<place, huge_page_allocator<place>> places_;
};

struct no_slab {};

/// Every partition's model and clock, by dense index: in a `change_point_slab` when the model
/// is a change-point detector with a history up to `max_compact_history`, else as one heap
/// model per partition. Removal moves the last partition into the hole.
template <class Model>
class model_slots {
  public:
    using model_options = std::remove_cvref_t<decltype(std::declval<Model>().options())>;
    using result_type = decltype(std::declval<Model&>().step(0.0F));

    model_slots() = default;
    model_slots(const model_options& options, kernel_path kernel)
        : options_(options), kernel_(kernel) {
        if constexpr (can_compact) {
            compact_ = options.history <= max_compact_history;
            if (compact_) {
                slab_ = change_point_slab{options, kernel};
            }
        }
    }

    [[nodiscard]] std::size_t size() const noexcept {
        if constexpr (can_compact) {
            if (compact_) {
                return slab_.size();
            }
        }
        return models_.size();
    }

    void push(dotnet_ticks ticks) {
        if constexpr (can_compact) {
            if (compact_) {
                slab_.push(ticks);
                return;
            }
        }
        push(ticks, Model{options_, kernel_});
    }

    /// Appends a partition read from a snapshot (validated by the model's `load_state`).
    void push(dotnet_ticks ticks, byte_reader& r) {
        Model model{options_, kernel_};
        model_access::load_state(model, r);
        if constexpr (can_compact) {
            if (compact_) {
                slab_.push(ticks, model);
                return;
            }
        }
        push(ticks, std::move(model));
    }

    void remove(std::size_t i) {
        if constexpr (can_compact) {
            if (compact_) {
                slab_.remove(i);
                return;
            }
        }
        if (i + 1 != models_.size()) {
            models_[i] = std::move(models_.back());
            ticks_[i] = ticks_.back();
        }
        models_.pop_back();
        ticks_.pop_back();
    }

    [[nodiscard]] dotnet_ticks& ticks(std::size_t i) noexcept {
        if constexpr (can_compact) {
            if (compact_) {
                return slab_.ticks(i);
            }
        }
        return ticks_[i];
    }

    [[nodiscard]] dotnet_ticks ticks(std::size_t i) const noexcept {
        if constexpr (can_compact) {
            if (compact_) {
                return slab_.ticks(i);
            }
        }
        return ticks_[i];
    }

    /// Starts loading partition `i`'s state into the cache.
    void prefetch(std::size_t i) const noexcept {
        if constexpr (can_compact) {
            if (compact_) {
                slab_.prefetch(i);
                return;
            }
        }
        prefetch_line(&models_[i], true);
        prefetch_line(&ticks_[i], true);
    }

    result_type step(std::size_t i, float x) {
        if constexpr (can_compact) {
            if (compact_) {
                return slab_.step(i, x);
            }
        }
        return models_[i].step(x);
    }

    void save(std::size_t i, byte_writer& w) const {
        if constexpr (can_compact) {
            if (compact_) {
                slab_.save(i, w);
                return;
            }
        }
        model_access::save_state(models_[i], w);
    }

    /// A copy of partition `i`'s model.
    [[nodiscard]] std::unique_ptr<const Model> copy(std::size_t i) const {
        if constexpr (can_compact) {
            if (compact_) {
                byte_writer w;
                slab_.save(i, w);
                auto model = std::make_unique<Model>(options_, kernel_);
                byte_reader r{w.bytes()};
                model_access::load_state(*model, r);
                return model;
            }
        }
        return std::make_unique<const Model>(models_[i]);
    }

    void shrink_to_fit() {
        if constexpr (can_compact) {
            if (compact_) {
                slab_.shrink_to_fit();
                return;
            }
        }
        models_.shrink_to_fit();
        ticks_.shrink_to_fit();
    }

  private:
    static constexpr bool can_compact = std::is_same_v<Model, change_point_detector>;

    void push(dotnet_ticks ticks, Model&& model) {
        ticks_.reserve(ticks_.size() + 1);  // both or neither grow
        models_.push_back(std::move(model));
        ticks_.push_back(ticks);
    }

    model_options options_{};
    kernel_path kernel_ = kernel_path::exact;
    bool compact_ = false;
    std::conditional_t<can_compact, change_point_slab, no_slab> slab_;
    std::vector<Model> models_;
    std::vector<dotnet_ticks> ticks_;
};

/// The partitions of a `partitioned_function`: keys in a dense vector, their models and clocks
/// in `model_slots` at the same index, and an open-addressing index (linear probing, backward
/// shift deletion) from a key's hash to that index. A lookup touches one index entry, then
/// the key and the partition's slot.
template <class Model, class Key, class Hash, class KeyEqual>
class partition_store {
  public:
    using model_options = typename model_slots<Model>::model_options;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    partition_store() = default;
    partition_store(const model_options& options, kernel_path kernel) : slots_(options, kernel) {}

    [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
    [[nodiscard]] const Key& key(std::size_t i) const noexcept { return keys_[i]; }
    [[nodiscard]] model_slots<Model>& slots() noexcept { return slots_; }
    [[nodiscard]] const model_slots<Model>& slots() const noexcept { return slots_; }

    /// The index of `key`'s partition, or `npos`.
    [[nodiscard]] std::size_t find(const Key& key) const {
        if (keys_.empty()) {
            return npos;
        }
        const std::uint32_t tag = tag_of(key);
        for (std::size_t b = home(tag);; b = (b + 1) & mask_) {
            const entry e = table_[b];
            if (e.slot == 0) {
                return npos;
            }
            if (e.tag == tag && equal_(keys_[e.slot - 1], key)) {
                return e.slot - 1;
            }
        }
    }

    /// The first stage of a batched lookup, some events ahead: starts loading the index entry
    /// `key` hashes to.
    void prefetch_index(const Key& key) const {
        if (!table_.empty()) {
            prefetch_line(&table_[home(tag_of(key))], false);
        }
    }

    /// The second stage, a few events ahead: starts loading the key and the partition that
    /// `key`'s first tag match in the index (loaded by now) points at. No key comparison, so no
    /// wait on the key's cache miss; a rare tag collision only prefetches a wrong partition.
    /// Random keys over 10^6 partitions miss the cache at every level; this lets a batch
    /// overlap those misses with the model work of earlier events.
    void prefetch_partition(const Key& key) const {
        if (table_.empty()) {
            return;
        }
        const std::uint32_t tag = tag_of(key);
        for (std::size_t b = home(tag);; b = (b + 1) & mask_) {
            const entry e = table_[b];
            if (e.slot == 0) {
                return;
            }
            if (e.tag == tag) {
                prefetch_line(&keys_[e.slot - 1], false);
                slots_.prefetch(e.slot - 1);
                return;
            }
        }
    }

    /// Adds a fresh partition for `key`, which must be absent; returns its index.
    std::size_t insert(const Key& key, dotnet_ticks ticks) {
        reserve(size() + 1);
        keys_.push_back(key);
        try {
            slots_.push(ticks);
        } catch (...) {
            keys_.pop_back();
            throw;
        }
        place(tag_of(key), keys_.size());
        return keys_.size() - 1;
    }

    /// Adds a partition read from a snapshot; throws `snapshot_error` when `key` is present.
    void insert(Key key, dotnet_ticks ticks, byte_reader& r) {
        slots_.push(ticks, r);
        if (find(key) != npos) {
            throw snapshot_error("a partition key appears twice");
        }
        reserve(size() + 1);
        keys_.push_back(std::move(key));
        place(tag_of(keys_.back()), keys_.size());
    }

    /// Removes partition `i`; the last partition takes its index.
    void erase(std::size_t i) {
        const std::size_t last = keys_.size() - 1;
        unplace(i);
        if (i != last) {
            table_[locate(last)].slot = static_cast<std::uint32_t>(i + 1);
            keys_[i] = std::move(keys_[last]);
        }
        keys_.pop_back();
        slots_.remove(i);
    }

    /// Removes the partitions whose clock satisfies `pred`; returns how many.
    template <class Pred>
    std::size_t erase_if(Pred pred) {
        std::size_t removed = 0;
        for (std::size_t i = keys_.size(); i-- > 0;) {
            if (pred(slots_.ticks(i))) {
                erase(i);
                ++removed;
            }
        }
        return removed;
    }

    /// Room for `n` partitions in the index and the key vector (the slots grow by themselves).
    void reserve(std::size_t n) {
        if (n > std::numeric_limits<std::uint32_t>::max() - 1) {
            throw std::length_error("too many partitions");
        }
        if (keys_.capacity() < n) {
            keys_.reserve(std::max(n, keys_.capacity() + keys_.capacity() / 2));
        }
        if (n * 4 > table_.size() * 3) {
            rehash(std::bit_ceil(std::max<std::size_t>((n * 4 + 2) / 3, 8)));
        }
    }

    void shrink_to_fit() {
        keys_.shrink_to_fit();
        slots_.shrink_to_fit();
    }

  private:
    struct entry {
        std::uint32_t slot = 0;  // index + 1; 0 marks an empty entry
        std::uint32_t tag = 0;   // the mixed hash's high bits; they also pick the home entry
    };

    [[nodiscard]] std::uint32_t tag_of(const Key& key) const {
        const auto h = static_cast<std::uint64_t>(hash_(key));
        return static_cast<std::uint32_t>((h * 0x9E3779B97F4A7C15ULL) >> 32);
    }

    [[nodiscard]] std::size_t home(std::uint32_t tag) const noexcept { return tag >> shift_; }

    /// Stores slot `slot1` (index + 1) at the first free entry from `tag`'s home.
    void place(std::uint32_t tag, std::size_t slot1) noexcept {
        std::size_t b = home(tag);
        while (table_[b].slot != 0) {
            b = (b + 1) & mask_;
        }
        table_[b] = {static_cast<std::uint32_t>(slot1), tag};
    }

    /// The entry that points at partition `i`.
    [[nodiscard]] std::size_t locate(std::size_t i) const {
        std::size_t b = home(tag_of(keys_[i]));
        while (table_[b].slot != i + 1) {
            b = (b + 1) & mask_;
        }
        return b;
    }

    /// Empties the entry of partition `i`, shifting later entries of the cluster back.
    void unplace(std::size_t i) {
        std::size_t hole = locate(i);
        for (std::size_t j = (hole + 1) & mask_; table_[j].slot != 0; j = (j + 1) & mask_) {
            const std::size_t from_home = (j - home(table_[j].tag)) & mask_;
            if (from_home >= ((j - hole) & mask_)) {
                table_[hole] = table_[j];
                hole = j;
            }
        }
        table_[hole] = entry{};
    }

    void rehash(std::size_t capacity) {
        std::vector<entry, huge_page_allocator<entry>> old(capacity);
        old.swap(table_);
        mask_ = capacity - 1;
        shift_ = 32 - std::countr_zero(capacity);
        for (const entry e : old) {
            if (e.slot != 0) {
                place(e.tag, e.slot);
            }
        }
    }

    std::vector<Key, huge_page_allocator<Key>> keys_;
    std::vector<entry, huge_page_allocator<entry>> table_;
    std::size_t mask_ = 0;
    int shift_ = 32;
    model_slots<Model> slots_;
    [[no_unique_address]] Hash hash_{};
    [[no_unique_address]] KeyEqual equal_{};
};

}  // namespace detail
STREAMCP_END_NAMESPACE
