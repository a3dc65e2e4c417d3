// SPDX-License-Identifier: MIT
#include "metrics_text.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace streamcp::pipeline {
namespace {

void append_sample_start(std::string& out, std::string_view name, std::string_view labels) {
    out.append(name);
    if (!labels.empty()) {
        out.append("{").append(labels).append("}");
    }
    out.push_back(' ');
}

}  // namespace

void append_metric_header(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, double value) {
    append_sample_start(out, name, labels);
    if (std::isnan(value)) {
        out.append("NaN");
    } else if (std::isinf(value)) {
        out.append(value > 0 ? "+Inf" : "-Inf");
    } else {
        std::array<char, 32> buffer{};
        const char* end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value).ptr;
        out.append(std::string_view(buffer.data(), end));
    }
    out.push_back('\n');
}

void append_sample(std::string& out, std::string_view name, std::string_view labels,
                   std::uint64_t value) {
    append_sample_start(out, name, labels);
    out.append(std::to_string(value)).push_back('\n');
}

std::string label(std::string_view name, std::string_view value) {
    std::string out{name};
    out.append("=\"");
    for (const char c : value) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out.append("\\n");
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
    return out;
}

}  // namespace streamcp::pipeline
