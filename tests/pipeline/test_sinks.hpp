// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "line_sink.hpp"

namespace streamcp::pipeline::testing {

/// Collects output in memory.
class string_sink final : public line_sink {
  public:
    void write(std::string_view bytes) override { text.append(bytes); }
    void flush() override {}
    void sync() override {}
    [[nodiscard]] std::uint64_t position() const override { return text.size(); }
    [[nodiscard]] bool truncatable() const override { return true; }
    void truncate(std::uint64_t size) override { text.resize(size); }
    [[nodiscard]] std::string name() const override { return "memory"; }

    [[nodiscard]] std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::size_t start = 0;
        while (start < text.size()) {
            const std::size_t end = text.find('\n', start);
            out.push_back(text.substr(start, end - start));
            start = end + 1;
        }
        return out;
    }

    std::string text;
};

/// A line with simdjson's padding after it, as sources hand lines out.
inline simdjson::padded_string padded(std::string_view line) {
    return simdjson::padded_string{line};
}

}  // namespace streamcp::pipeline::testing
