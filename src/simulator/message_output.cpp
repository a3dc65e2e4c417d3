// SPDX-License-Identifier: MIT
#include "message_output.hpp"

#include <cstdio>
#include <thread>
#include <utility>

namespace streamcp::pipeline {

void line_sink_output::write(std::string_view line, std::size_t /*device*/) { sink_->write(line); }

void line_sink_output::wait_until(std::chrono::steady_clock::time_point until) {
    sink_->flush();  // a consumer sees each tick as it happens
    std::this_thread::sleep_until(until);
}

void line_sink_output::finish() { sink_->flush(); }

#if STREAMCP_WITH_MQTT
mqtt_output::mqtt_output(adapters::mqtt_publisher_options options,
                         std::vector<adapters::mqtt_identity> identities, bool shared)
    : url_(options.url), publisher_(std::move(options), std::move(identities)), shared_(shared) {}

void mqtt_output::write(std::string_view line, std::size_t device) {
    if (!line.empty() && line.back() == '\n') {
        line.remove_suffix(1);
    }
    publisher_.publish(shared_ ? 0 : device, line);
}

void mqtt_output::wait_until(std::chrono::steady_clock::time_point until) {
    publisher_.service(until);
}

void mqtt_output::finish() {
    publisher_.finish();
    const adapters::mqtt_publisher_stats& s = publisher_.stats();
    std::fprintf(
        stderr,
        "streamcp simulate: %llu messages published to %s, %llu acknowledged "
        "(PUBACK); %llu sends, %llu republished, %llu connects, %llu connection "
        "losses, %llu token renewals\n",
        static_cast<unsigned long long>(s.published), url_.c_str(),
        static_cast<unsigned long long>(s.acknowledged), static_cast<unsigned long long>(s.sends),
        static_cast<unsigned long long>(s.republished), static_cast<unsigned long long>(s.connects),
        static_cast<unsigned long long>(s.connection_losses),
        static_cast<unsigned long long>(s.token_renewals));
}
#endif

}  // namespace streamcp::pipeline
