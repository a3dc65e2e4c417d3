// SPDX-License-Identifier: MIT
#include "blob_path_format.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace streamcp::adapters {
namespace {

constexpr std::array<std::string_view, 7> tokens = {"{iothub}", "{partition}", "{YYYY}", "{MM}",
                                                    "{DD}",     "{HH}",        "{mm}"};

[[noreturn]] void bad_format(const std::string& why) {
    throw std::invalid_argument("config: archive.path_format " + why +
                                " (IoT Hub's tokens {iothub} {partition} {YYYY} {MM} {DD} {HH} "
                                "{mm}, each exactly once, in any order)");
}

}  // namespace

blob_path_format::blob_path_format(std::string_view format, std::string hub)
    : format_(format), hub_(std::move(hub)) {
    if (hub_.empty() || hub_.find_first_of("/{}") != std::string::npos) {
        throw std::invalid_argument(
            "config: archive.hub must name the hub ({iothub}) without '/', '{' or '}'");
    }
    std::array<int, tokens.size()> seen{};
    for (std::size_t at = 0; at < format_.size();) {
        const std::size_t open = format_.find('{', at);
        const std::size_t stray = format_.find('}', at);
        if (stray < open) {
            bad_format("has a '}' without '{'");
        }
        if (open == std::string::npos) {
            break;
        }
        const std::size_t close = format_.find('}', open);
        if (close == std::string::npos) {
            bad_format("has a '{' without '}'");
        }
        const std::string_view token = std::string_view(format_).substr(open, close - open + 1);
        bool known = false;
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            if (tokens[i] == token) {
                known = true;
                if (++seen[i] > 1) {
                    bad_format("repeats " + std::string(token));
                }
            }
        }
        if (!known) {
            bad_format("has the unknown token " + std::string(token));
        }
        at = close + 1;
    }
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (seen[i] == 0) {
            bad_format("lacks " + std::string(tokens[i]));
        }
    }
    if (format_.starts_with('/') || format_.ends_with('/')) {
        bad_format("must not start or end with '/'");
    }
}

std::string blob_path_format::render(std::uint32_t partition, event_time start) const {
    const auto minute = std::chrono::floor<std::chrono::minutes>(start);
    const auto day = std::chrono::floor<std::chrono::days>(minute);
    const std::chrono::year_month_day date{day};
    const std::chrono::hh_mm_ss clock{minute - day};
    const auto number = [](long value, int width) {
        std::array<char, 24> text{};
        std::snprintf(text.data(), text.size(), "%0*ld", width, value);
        return std::string(text.data());
    };
    const std::array<std::string, tokens.size()> values = {
        hub_,
        std::to_string(partition),
        number(static_cast<int>(date.year()), 4),
        number(static_cast<long>(static_cast<unsigned>(date.month())), 2),
        number(static_cast<long>(static_cast<unsigned>(date.day())), 2),
        number(static_cast<long>(clock.hours().count()), 2),
        number(static_cast<long>(clock.minutes().count()), 2)};
    std::string out;
    for (std::size_t at = 0; at < format_.size();) {
        const std::size_t open = format_.find('{', at);
        out.append(format_, at, open == std::string::npos ? std::string::npos : open - at);
        if (open == std::string::npos) {
            break;
        }
        const std::size_t close = format_.find('}', open);
        const std::string_view token = std::string_view(format_).substr(open, close - open + 1);
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            if (tokens[i] == token) {
                out += values[i];
            }
        }
        at = close + 1;
    }
    return out;
}

}  // namespace streamcp::adapters
