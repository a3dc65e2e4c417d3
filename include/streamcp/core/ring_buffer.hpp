// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "streamcp/config.hpp"

STREAMCP_BEGIN_NAMESPACE

/// A FIFO of at most `capacity()` elements; pushing onto a full buffer overwrites the oldest.
/// Mirrors ML.NET's `FixedSizeQueue`: index 0 is the oldest element. Storage grows with the
/// contents (never beyond the capacity), so an idle partition with a large history costs
/// only what it holds.
template <class T>
class ring_buffer {
  public:
    ring_buffer() = default;

    /// Precondition: `capacity > 0`.
    explicit ring_buffer(std::size_t capacity) : capacity_(capacity) {}

    [[nodiscard]] std::size_t size() const noexcept { return data_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] bool empty() const noexcept { return data_.empty(); }
    [[nodiscard]] bool full() const noexcept { return data_.size() == capacity_; }

    /// Element `i` counted from the oldest. Precondition: `i < size()`.
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept {
        const std::size_t j = head_ + i;
        return data_[j < data_.size() ? j : j - data_.size()];
    }

    [[nodiscard]] const T& front() const noexcept { return data_[head_]; }

    /// Appends `value`, evicting the oldest element when full.
    void push_back(const T& value) {
        if (data_.size() < capacity_) {
            data_.push_back(value);
            return;
        }
        data_[head_] = value;
        head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
    }

    void clear() noexcept {
        data_.clear();
        head_ = 0;
    }

    /// The contents as two contiguous runs, oldest first: `first` then `second`.
    /// Loops over both visit the elements in FIFO order without a modulo per element.
    [[nodiscard]] std::pair<std::span<const T>, std::span<const T>> segments() const noexcept {
        const std::span<const T> all{data_};
        return {all.subspan(head_), all.first(head_)};
    }

    /// The contents in storage order: the oldest element at `oldest_index()`, then the others in
    /// FIFO order, wrapping around (`segments()` is `storage()` rotated). For order-free work.
    [[nodiscard]] std::span<const T> storage() const noexcept { return data_; }
    [[nodiscard]] std::size_t oldest_index() const noexcept { return head_; }

  private:
    std::vector<T> data_;
    std::size_t capacity_ = 0;
    std::size_t head_ = 0;  // index of the oldest element once the buffer has wrapped
};

/// A `ring_buffer` over storage it does not own: `capacity` elements at `data` plus the size
/// and head counters, kept elsewhere (a partition's slot in a compact store). Same FIFO
/// semantics and layout as `ring_buffer`: the first `size` elements are filled in push order
/// until full, then `head` marks the oldest.
template <class T, class Index = std::uint32_t>
class ring_span {
  public:
    ring_span(T* data, std::size_t capacity, Index& size, Index& head) noexcept
        : data_(data), capacity_(capacity), size_(&size), head_(&head) {}

    [[nodiscard]] std::size_t size() const noexcept { return *size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] bool empty() const noexcept { return *size_ == 0; }
    [[nodiscard]] bool full() const noexcept { return *size_ == capacity_; }

    [[nodiscard]] const T& operator[](std::size_t i) const noexcept {
        const std::size_t n = *size_;
        const std::size_t j = *head_ + i;
        return data_[j < n ? j : j - n];
    }

    [[nodiscard]] const T& front() const noexcept { return data_[*head_]; }

    void push_back(const T& value) noexcept {
        if (*size_ < capacity_) {
            data_[*size_] = value;
            ++*size_;
            return;
        }
        data_[*head_] = value;
        *head_ = *head_ + 1 == capacity_ ? 0 : static_cast<Index>(*head_ + 1);
    }

    [[nodiscard]] std::pair<std::span<const T>, std::span<const T>> segments() const noexcept {
        const std::span<const T> all{data_, *size_};
        return {all.subspan(*head_), all.first(*head_)};
    }

    [[nodiscard]] std::span<const T> storage() const noexcept { return {data_, *size_}; }
    [[nodiscard]] std::size_t oldest_index() const noexcept { return *head_; }

  private:
    T* data_;
    std::size_t capacity_;
    Index* size_;
    Index* head_;
};

STREAMCP_END_NAMESPACE
