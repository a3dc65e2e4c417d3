// SPDX-License-Identifier: MIT
#include "metrics_server.hpp"

#include <charconv>
#include <chrono>
#include <mutex>
#include <stdexcept>

#include <httplib.h>

#include "status_page.hpp"

namespace streamcp::pipeline {
namespace {

constexpr const char* loopback = "127.0.0.1";
constexpr int page_refresh_seconds = 2;

int parse_port(std::string_view text, std::string_view whole, std::string_view argument) {
    int port = -1;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || port < 0 ||
        port > 65535) {
        throw std::invalid_argument(std::string(argument) + " '" + std::string(whole) +
                                    "' is not HOST:PORT or PORT with a port in [0, 65535]");
    }
    return port;
}

}  // namespace

listen_address parse_listen_address(std::string_view text, std::string_view argument) {
    if (text.starts_with("[")) {  // [IPv6]:PORT
        const std::size_t close = text.find("]:");
        if (close == std::string_view::npos) {
            throw std::invalid_argument(std::string(argument) + " '" + std::string(text) +
                                        "' is not [IPv6]:PORT");
        }
        return {std::string(text.substr(1, close - 1)),
                parse_port(text.substr(close + 2), text, argument)};
    }
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return {loopback, parse_port(text, text, argument)};
    }
    const std::string_view host = text.substr(0, colon);
    return {host.empty() ? std::string(loopback) : std::string(host),
            parse_port(text.substr(colon + 1), text, argument)};
}

/// Turns successive views into rates: events/s over the time since the previous page, and
/// how long each source partition's count has stood still.
class metrics_server::status_sampler {
  public:
    status_rates sample(const status_view& view) {
        using clock = std::chrono::steady_clock;
        const std::lock_guard lock(mutex_);
        const auto now = clock::now();
        status_rates rates;
        const double elapsed = std::chrono::duration<double>(now - last_time_).count();
        if (elapsed > 0) {
            rates.events_per_second = static_cast<double>(view.counts.read - last_read_) / elapsed;
        }
        last_time_ = now;
        last_read_ = view.counts.read;
        last_counts_.resize(view.events_by_partition.size(), 0);
        moved_.resize(view.events_by_partition.size(), now);
        for (std::size_t p = 0; p < view.events_by_partition.size(); ++p) {
            if (view.events_by_partition[p] != last_counts_[p]) {
                last_counts_[p] = view.events_by_partition[p];
                moved_[p] = now;
            }
            rates.idle_seconds_by_partition.push_back(
                std::chrono::duration<double>(now - moved_[p]).count());
        }
        return rates;
    }

  private:
    std::mutex mutex_;
    std::chrono::steady_clock::time_point last_time_ = std::chrono::steady_clock::now();
    std::uint64_t last_read_ = 0;
    std::vector<std::uint64_t> last_counts_;
    std::vector<std::chrono::steady_clock::time_point> moved_;
};

metrics_server::metrics_server(const listen_address& address, const metrics_registry& metrics)
    : server_(std::make_unique<httplib::Server>()), sampler_(std::make_unique<status_sampler>()) {
    // One handler thread: scrapes and page loads are rare, and the job keeps the cores.
    server_->new_task_queue = [] { return new httplib::ThreadPool(1); };
    // Debian's build polls the listening socket without a timeout on Linux, spinning a core;
    // waiting in poll instead costs nothing (stop() closes the socket, which wakes it).
    server_->set_idle_interval(std::chrono::milliseconds{200});
    server_->Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& response) {
        response.set_content(metrics.exposition(), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_->Get("/", [&metrics, this](const httplib::Request&, httplib::Response& response) {
        const status_view view = metrics.status();
        response.set_content(render_status_page(view, sampler_->sample(view), page_refresh_seconds),
                             "text/html; charset=utf-8");
    });
    if (address.port == 0) {
        port_ = server_->bind_to_any_port(address.host);
    } else if (server_->bind_to_port(address.host, address.port)) {
        port_ = address.port;
    } else {
        port_ = -1;
    }
    if (port_ <= 0) {
        throw std::runtime_error("metrics: cannot listen on " + address.host + ":" +
                                 std::to_string(address.port) + " (address in use or not local?)");
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
}

metrics_server::~metrics_server() {
    server_->stop();
    thread_.join();
}

}  // namespace streamcp::pipeline
