// SPDX-License-Identifier: MIT
#include "stop_signal.hpp"

#include <atomic>
#include <csignal>

namespace streamcp::cli {

namespace {

// A signal handler can reach only globals.
pipeline::stop_source signal_stop;
std::atomic<int> first_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int signal_number) {
    if (signal_stop.request_stop()) {
        first_signal.store(signal_number);
        return;
    }
    std::signal(signal_number, SIG_DFL);  // a second signal: the user insists
    std::raise(signal_number);
}

}  // namespace

pipeline::stop_token signal_stop_token() noexcept { return signal_stop.token(); }

void install_stop_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR and sees the stop
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

int stop_signal_number() noexcept { return first_signal.load(); }

}  // namespace streamcp::cli
