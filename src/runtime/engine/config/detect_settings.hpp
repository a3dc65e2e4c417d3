// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "detect_job.hpp"
#include "detect_runner.hpp"

// The settings of `streamcp detect`'s flags and of a config's [query] and [checkpoint] tables,
// as given, with every default in one place: the command line binds its flags to these fields,
// the TOML reader fills them from keys of the same names (docs/cli.md), and both build the
// query and the checkpoint policy here.

namespace streamcp::pipeline {

/// `detect`'s query flags; TOML `[query]` keys are the flag names with `_` for `-`.
struct query_settings {
    std::string value;
    std::string timestamp;
    std::string timestamp_format = "iso";
    std::string partition_by;      ///< empty: one partition
    std::string when;              ///< empty: every event is included
    std::string detector = "asa";  ///< asa or robust (the recommended detector)
    /// Required with detector asa; with robust, empty takes the recommended detector's default.
    std::optional<double> confidence;
    std::optional<std::int64_t> history;
    std::string duration;
    bool fractional_confidence = false;
    std::string out_of_order_tolerance = "0s";
    std::string out_of_order_action = "adjust";
    std::string idle_ttl = "0s";       ///< 0s: never forget a partition
    std::uint64_t max_partitions = 0;  ///< 0: no limit
    bool only_anomalies = false;
    bool project = false;
    unsigned threads = 1;
    std::string kernel = "exact";  ///< exact or fast (detector asa's KDE kernel)
};

/// The query `settings` describe. Throws `std::invalid_argument` naming a setting whose text
/// does not parse or that the detector requires and is missing (ranges are
/// `detect_engine::validate`'s).
[[nodiscard]] detect_query build_query(const query_settings& settings);

/// `--checkpoint`, `--checkpoint-every`, `--checkpoint-interval`; TOML `[checkpoint]` `path`,
/// `every`, `interval`.
struct checkpoint_settings {
    std::string path;  ///< empty: no checkpoints
    std::uint64_t every = 100'000;
    std::string interval = "10s";
};

/// The policy `settings` describe. Throws `std::invalid_argument` for `every` below 1 or an
/// interval that does not parse.
[[nodiscard]] checkpoint_policy build_checkpoint(const checkpoint_settings& settings);

}  // namespace streamcp::pipeline
