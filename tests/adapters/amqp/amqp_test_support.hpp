// SPDX-License-Identifier: MIT
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "endpoint_config.hpp"
#include "eventhubs_sink.hpp"
#include "eventhubs_source.hpp"
#include "line_sink.hpp"
#include "line_source.hpp"

namespace streamcp::test {

using option_map = std::map<std::string, std::string, std::less<>>;

/// An `eventhubs` endpoint of a pipeline config with `options`.
inline pipeline::endpoint_config eventhubs_endpoint(const std::string& section,
                                                    option_map options) {
    pipeline::endpoint_config config;
    config.type = "eventhubs";
    config.section = section;
    config.options = std::move(options);
    return config;
}

/// Puts `value` in environment variable `name` (the adapters read secrets from there).
inline void set_secret(const std::string& name, const std::string& value) {
    ::setenv(name.c_str(), value.c_str(), 1);
}

/// Every line until the source ends.
inline std::vector<std::string> read_all(pipeline::line_source& source) {
    std::vector<std::string> lines;
    std::string_view line;
    while (source.next(line)) {
        lines.emplace_back(line);
    }
    return lines;
}

/// `count` records `{"device":"dev-<i % devices>","seq":<first + i>}`, one per line.
inline std::string records(int first, int count, int devices) {
    std::string text;
    for (int i = 0; i < count; ++i) {
        text += "{\"device\":\"dev-" + std::to_string((first + i) % devices) +
                "\",\"seq\":" + std::to_string(first + i) + "}\n";
    }
    return text;
}

/// A top-level field of a JSON line as text (strings without quotes, other values minified);
/// empty when absent.
inline std::string field(std::string_view line, std::string_view key) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(line.data(), line.size()).get(root) != simdjson::SUCCESS) {
        return {};
    }
    simdjson::dom::element value;
    if (root.at_pointer(key).get(value) != simdjson::SUCCESS) {
        return {};
    }
    std::string_view text;
    if (value.get_string().get(text) == simdjson::SUCCESS) {
        return std::string(text);
    }
    return simdjson::minify(value);
}

}  // namespace streamcp::test
