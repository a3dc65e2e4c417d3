// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <map>
#include <string>

namespace streamcp::pipeline {

/// A source or sink endpoint from a config file: `file`, `stdin` and `stdout`, and the broker
/// connectors compiled in (src/connectors/endpoint_factory.hpp). Connectors read their settings
/// from `options` with the typed getters of endpoint_options.hpp.
struct endpoint_config {
    std::string type;
    std::string path;     ///< for `file`
    std::string section;  ///< `source` or `sinks[N]`, for messages
    /// Every other key of the table: scalars as text, arrays of scalars joined with commas.
    std::map<std::string, std::string, std::less<>> options;
};

}  // namespace streamcp::pipeline
