// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <streamcp/function/event_time.hpp>

namespace streamcp::pipeline {

/// "Device D reads uniformly in [low, high] from `from` after the start, for `length`
/// (or to the end)". Devices are numbered from 1.
struct anomaly_injection {
    std::size_t device = 1;
    std::chrono::nanoseconds from{0};
    std::optional<std::chrono::nanoseconds> length;
    double low = 0;
    double high = 0;
};

/// Parses `D@FROM[+LENGTH]:LOW-HIGH`, for example `3@30m:75-80` or `2@1h+10m:-5--1`.
/// Throws `std::invalid_argument` explaining the syntax.
[[nodiscard]] anomaly_injection parse_injection(std::string_view text);

struct simulation_options {
    std::size_t devices = 3;
    std::chrono::nanoseconds interval = std::chrono::seconds{10};
    double temp_min = 20;
    double temp_max = 25;
    std::uint64_t seed = 42;
    /// The first reading's time: the seed article's day by default, so runs are reproducible.
    event_time start = event_time{std::chrono::sys_days{std::chrono::November / 18 / 2019} +
                                  std::chrono::hours{19}};
    std::vector<anomaly_injection> injections;
};

/// The seed's devices: each sends `{"device":"<12 hex>","temp":<2 decimals>,"datetime":
/// "<YYYY-MM-DDTHH:MM:SS+0000>"}` every interval; all devices report at each tick, in device
/// order. Deterministic for a given seed.
class device_simulator {
  public:
    /// Throws `std::invalid_argument` for out-of-range options.
    explicit device_simulator(simulation_options options);

    /// Appends the next message (with its newline) to `out`.
    void next(std::string& out);

    /// The time of the message `next` will produce.
    [[nodiscard]] event_time next_time() const noexcept;

    [[nodiscard]] const std::vector<std::string>& device_ids() const noexcept { return ids_; }

  private:
    simulation_options options_;
    std::vector<std::string> ids_;
    std::mt19937_64 random_;
    std::uint64_t tick_ = 0;
    std::size_t device_ = 0;
};

}  // namespace streamcp::pipeline
