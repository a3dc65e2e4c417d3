// SPDX-License-Identifier: MIT
#include "pipeline/stop_signal.hpp"

#include <atomic>
#include <csignal>

namespace streamcp::pipeline {
namespace {

std::atomic<bool> stop_flag{false};  // lock-free, so a signal handler may set it
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_stop_signal(int signal_number) {
    if (stop_flag.exchange(true)) {
        std::signal(signal_number, SIG_DFL);  // a second signal: the user insists
        std::raise(signal_number);
    }
}

}  // namespace

void install_stop_handlers() {
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
}

bool stop_requested() noexcept { return stop_flag.load(std::memory_order_relaxed); }

void request_stop() noexcept { stop_flag.store(true); }

void clear_stop_request() noexcept { stop_flag.store(false); }

}  // namespace streamcp::pipeline
