// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>

namespace streamcp::adapters {

/// A rate limit with a burst: `rate` tokens per second accrue up to `burst`; each request
/// takes one. Slack allows about one message per second with short bursts.
class token_bucket {
  public:
    using clock = std::chrono::steady_clock;

    token_bucket(double rate, double burst, clock::time_point now)
        : rate_(rate), burst_(burst), tokens_(burst), updated_(now) {}

    /// How long to wait before a token is available at `now` (zero: take it now).
    [[nodiscard]] clock::duration wait_time(clock::time_point now) {
        refill(now);
        if (tokens_ >= 1.0) {
            return clock::duration::zero();
        }
        return std::chrono::duration_cast<clock::duration>(
            std::chrono::duration<double>((1.0 - tokens_) / rate_));
    }

    /// Takes a token; call when wait_time(now) is zero.
    void take(clock::time_point now) {
        refill(now);
        tokens_ -= 1.0;
    }

  private:
    void refill(clock::time_point now) {
        const double elapsed = std::chrono::duration<double>(now - updated_).count();
        tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        updated_ = now;
    }

    double rate_;
    double burst_;
    double tokens_;
    clock::time_point updated_;
};

}  // namespace streamcp::adapters
