// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>

namespace streamcp::pipeline {

class stop_token;

/// Owns a stop request: the program (a signal handler, a test) requests, the parts it handed a
/// token to see it. Unlike std::stop_source, requesting is one lock-free atomic exchange, so a
/// signal handler may call it.
class stop_source {
  public:
    /// Requests a stop. True when this call made the request, false when one was made before.
    bool request_stop() noexcept { return !requested_.exchange(true); }
    [[nodiscard]] bool stop_requested() const noexcept {
        return requested_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] stop_token token() const noexcept;

  private:
    static_assert(std::atomic<bool>::is_always_lock_free);
    std::atomic<bool> requested_{false};
};

/// What a long-running part (a broker source) polls to end early. A default token never stops.
class stop_token {
  public:
    stop_token() = default;
    [[nodiscard]] bool stop_requested() const noexcept {
        return source_ != nullptr && source_->stop_requested();
    }

  private:
    friend class stop_source;
    explicit stop_token(const stop_source& source) noexcept : source_(&source) {}
    const stop_source* source_ = nullptr;
};

inline stop_token stop_source::token() const noexcept { return stop_token{*this}; }

}  // namespace streamcp::pipeline
