// SPDX-License-Identifier: MIT
#include "simulator.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "duration_parse.hpp"
#include "timestamp_parse.hpp"

namespace streamcp::pipeline {
namespace {

[[noreturn]] void bad_injection(std::string_view text, std::string_view why) {
    throw std::invalid_argument("--inject '" + std::string(text) +
                                "' is invalid: " + std::string(why) +
                                "; expected DEVICE@FROM[+LENGTH]:LOW-HIGH, e.g. 3@30m:75-80");
}

double read_number(std::string_view part, std::size_t& pos, std::string_view whole) {
    double value = 0;
    const char* begin = part.data() + pos;
    const auto [end, error] = std::from_chars(begin, part.data() + part.size(), value);
    if (error != std::errc{} || !std::isfinite(value)) {
        bad_injection(whole, "expected a number");
    }
    pos += static_cast<std::size_t>(end - begin);
    return value;
}

/// splitmix64: spreads a seed into well-mixed device ids.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

}  // namespace

anomaly_injection parse_injection(std::string_view text) {
    anomaly_injection out;
    const std::size_t at = text.find('@');
    const std::size_t colon = text.find(':');
    if (at == std::string_view::npos || colon == std::string_view::npos || colon < at) {
        bad_injection(text, "missing '@' or ':'");
    }
    const std::string_view device = text.substr(0, at);
    std::size_t device_number = 0;
    const auto [end, error] =
        std::from_chars(device.data(), device.data() + device.size(), device_number);
    if (error != std::errc{} || end != device.data() + device.size() || device_number == 0) {
        bad_injection(text, "the device must be a number from 1");
    }
    out.device = device_number;
    const std::string_view when = text.substr(at + 1, colon - at - 1);
    const std::size_t plus = when.find('+');
    try {
        out.from = parse_duration(when.substr(0, plus));
        if (plus != std::string_view::npos) {
            out.length = parse_duration(when.substr(plus + 1));
        }
    } catch (const std::invalid_argument& error_in_duration) {
        bad_injection(text, error_in_duration.what());
    }
    const std::string_view range = text.substr(colon + 1);
    std::size_t pos = 0;
    out.low = read_number(range, pos, text);
    if (pos >= range.size() || range[pos] != '-') {
        bad_injection(text, "the range must be LOW-HIGH");
    }
    ++pos;
    out.high = read_number(range, pos, text);
    if (pos != range.size() || out.high < out.low) {
        bad_injection(text, "the range must be LOW-HIGH with LOW <= HIGH");
    }
    return out;
}

device_simulator::device_simulator(simulation_options options)
    : options_(std::move(options)), random_(options_.seed) {
    if (options_.devices == 0) {
        throw std::invalid_argument("--devices must be at least 1");
    }
    if (options_.interval.count() <= 0) {
        throw std::invalid_argument("--interval must be positive");
    }
    if (!(options_.temp_min <= options_.temp_max)) {
        throw std::invalid_argument("--temp-min must not exceed --temp-max");
    }
    for (const anomaly_injection& injection : options_.injections) {
        if (injection.device > options_.devices) {
            throw std::invalid_argument("--inject names device " +
                                        std::to_string(injection.device) + " of only " +
                                        std::to_string(options_.devices));
        }
    }
    for (std::size_t i = 0; i < options_.devices; ++i) {
        std::array<char, 16> id{};
        std::snprintf(id.data(), id.size(), "%012llx",
                      static_cast<unsigned long long>(mix(options_.seed * 1'000'003 + i) &
                                                      0xFFFF'FFFF'FFFFULL));
        ids_.emplace_back(id.data());
    }
}

event_time device_simulator::next_time() const noexcept {
    // The start is whole ticks: truncating the offset alone truncates the instant.
    return options_.start +
           std::chrono::floor<tick_duration>(options_.interval * static_cast<std::int64_t>(tick_));
}

void device_simulator::next(std::string& out) {
    const event_time now = next_time();
    const auto elapsed = now - options_.start;
    double low = options_.temp_min;
    double high = options_.temp_max;
    for (const anomaly_injection& injection : options_.injections) {
        if (injection.device == device_ + 1 && elapsed >= injection.from &&
            (!injection.length || elapsed < injection.from + *injection.length)) {
            low = injection.low;
            high = injection.high;
        }
    }
    const double temp = std::uniform_real_distribution<double>{low, high}(random_);
    std::array<char, 128> message{};
    const int length = std::snprintf(message.data(), message.size(),
                                     R"({"device":"%s","temp":%.2f,"datetime":"%s"})"
                                     "\n",
                                     ids_[device_].c_str(), temp, format_seed_time(now).c_str());
    out.append(message.data(), static_cast<std::size_t>(length));
    if (++device_ == options_.devices) {
        device_ = 0;
        ++tick_;
    }
}

}  // namespace streamcp::pipeline
