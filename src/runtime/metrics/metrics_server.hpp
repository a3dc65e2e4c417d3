// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "metrics_registry.hpp"

namespace httplib {
class Server;
}

namespace streamcp::pipeline {

/// Where the metrics server listens: `HOST:PORT`, `[IPv6]:PORT`, or `PORT` alone (then on
/// 127.0.0.1). Port 0 takes a free one.
struct listen_address {
    std::string host;
    int port = 0;
};

/// Throws `std::invalid_argument` naming `argument` (`--metrics-listen`, `metrics.listen`)
/// when `text` is not an address as above with a port in [0, 65535].
[[nodiscard]] listen_address parse_listen_address(std::string_view text, std::string_view argument);

/// Serves `/metrics` (Prometheus text format) and `/` (the status page) from `metrics` on its
/// own thread, from construction until destruction. The job never waits for it.
class metrics_server {
  public:
    /// Throws `std::runtime_error` when the address cannot be bound.
    metrics_server(const listen_address& address, const metrics_registry& metrics);
    ~metrics_server();
    metrics_server(const metrics_server&) = delete;
    metrics_server& operator=(const metrics_server&) = delete;

    /// The bound port (the chosen one when asked for port 0).
    [[nodiscard]] int port() const noexcept { return port_; }

  private:
    class status_sampler;
    std::unique_ptr<httplib::Server> server_;
    std::unique_ptr<status_sampler> sampler_;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace streamcp::pipeline
