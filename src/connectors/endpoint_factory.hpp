// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>

#include "archive_sink.hpp"
#include "endpoint_config.hpp"
#include "line_sink.hpp"
#include "line_source.hpp"
#include "stop_token.hpp"

namespace streamcp::adapters {

/// The input an endpoint names: `file`, `stdin`, and the broker sources compiled in. Throws
/// `std::invalid_argument` naming the setting for an unknown type or a bad option. Broker
/// sources end their stream when `stop` is requested.
[[nodiscard]] std::unique_ptr<pipeline::line_source> make_source(
    const pipeline::endpoint_config& endpoint, pipeline::stop_token stop = {});

/// The output an endpoint names: `file`, `stdout`, and the broker sinks compiled in.
[[nodiscard]] std::unique_ptr<pipeline::line_sink> make_sink(
    const pipeline::endpoint_config& endpoint);

/// The object-store archive `[archive]` names when its `type` is not `file` (`azure_blob`, when
/// compiled in). `checkpointed`: the job commits checkpoints, so a closed blob is committed only
/// once a checkpoint covers it. Throws `std::invalid_argument` like `make_sink`.
[[nodiscard]] std::unique_ptr<pipeline::archive_sink> make_archive_store(
    const pipeline::endpoint_config& endpoint, bool checkpointed);

/// The archive types this build knows.
[[nodiscard]] std::string archive_types();

/// The source types this build knows, for `--help` and error messages: "file, stdin, ...".
[[nodiscard]] std::string source_types();

/// The sink types this build knows.
[[nodiscard]] std::string sink_types();

}  // namespace streamcp::adapters
