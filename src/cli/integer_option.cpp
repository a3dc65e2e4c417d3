// SPDX-License-Identifier: MIT
#include "integer_option.hpp"

#include <charconv>
#include <string>

namespace streamcp::cli {

CLI::Validator integer_in(std::int64_t min, std::uint64_t max) {
    const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
    return {[min, max, range](std::string& text) -> std::string {
                const char* end = text.data() + text.size();
                bool inside = false;
                if (!text.empty() && text.front() == '-') {
                    std::int64_t value = 0;
                    const auto [stop, error] = std::from_chars(text.data(), end, value);
                    inside = error == std::errc{} && stop == end && value >= min;
                } else {
                    std::uint64_t value = 0;
                    const auto [stop, error] = std::from_chars(text.data(), end, value);
                    inside = error == std::errc{} && stop == end && value <= max &&
                             (min <= 0 || value >= static_cast<std::uint64_t>(min));
                }
                return inside ? std::string() : "must be an integer in " + range + ", not " + text;
            },
            "INT in " + range};
}

}  // namespace streamcp::cli
