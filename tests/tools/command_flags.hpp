// SPDX-License-Identifier: MIT
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace streamcp::tools {

/// Reads a dump tool's `--flag value` pairs into the named text and integer fields; throws
/// `std::invalid_argument` on a flag that is neither.
inline void read_flags(int argc, char** argv,
                       std::initializer_list<std::pair<std::string_view, std::string*>> texts,
                       std::initializer_list<std::pair<std::string_view, int*>> numbers) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        bool known = false;
        for (const auto& [name, field] : texts) {
            if (flag == name) {
                *field = argv[i + 1];
                known = true;
            }
        }
        for (const auto& [name, field] : numbers) {
            if (flag == name) {
                *field = std::atoi(argv[i + 1]);
                known = true;
            }
        }
        if (!known) {
            throw std::invalid_argument("unknown flag " + std::string(flag));
        }
    }
}

}  // namespace streamcp::tools
