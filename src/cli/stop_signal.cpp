// SPDX-License-Identifier: MIT
#include "stop_signal.hpp"

#include <csignal>

namespace streamcp::cli {

namespace {

pipeline::stop_source signal_stop;  // a signal handler can reach only a global

extern "C" void on_stop_signal(int signal_number) {
    if (!signal_stop.request_stop()) {
        std::signal(signal_number, SIG_DFL);  // a second signal: the user insists
        std::raise(signal_number);
    }
}

}  // namespace

pipeline::stop_token signal_stop_token() noexcept { return signal_stop.token(); }

void install_stop_handlers() {
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
}

}  // namespace streamcp::cli
