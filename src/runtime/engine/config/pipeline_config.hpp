// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "detect_job.hpp"
#include "detect_runner.hpp"
#include "endpoint_config.hpp"

namespace streamcp::pipeline {

/// Where raw input messages are archived (`--archive` and friends; `[archive]`).
struct archive_config {
    /// `file` (the settings below), or an object store (`azure_blob`) whose connector reads
    /// `store`'s options.
    std::string type = "file";
    endpoint_config store;
    std::string path;                                   ///< the archive's root directory
    std::string layout = "date";                        ///< `date` or `iothub`
    std::string format = "json";                        ///< `json` or `avro`
    std::string hub;                                    ///< `{hub}` of the iothub layout
    std::uint64_t max_bytes = std::uint64_t{64} << 20;  ///< 0: roll by time only
};

/// `streamcp run CONFIG.toml`: everything `detect` takes, from a file (docs/cli.md).
struct pipeline_config {
    endpoint_config source;
    detect_query query;
    std::vector<endpoint_config> sinks;
    std::optional<std::string> rejects_path;
    std::optional<checkpoint_policy> checkpoint;
    std::optional<archive_config> archive;
    std::string metrics_listen;  ///< [metrics] listen; empty: no metrics server
};

/// Reads a TOML config. Throws `std::invalid_argument` naming the key for a bad or missing
/// setting, `std::runtime_error` when the file cannot be read.
[[nodiscard]] pipeline_config load_pipeline_config(const std::string& path);

}  // namespace streamcp::pipeline
