// SPDX-License-Identifier: MIT
#pragma once

#include <span>
#include <string>

#include "pipeline_config.hpp"

namespace streamcp::cli {

/// How a run's files are named in messages: `detect`'s flags or `run`'s config keys.
enum class setting_names { flags, config_keys };

/// Refuses, with `std::invalid_argument` (exit 2), a run in which two of its files are one: the
/// input, each file sink (stdin and stdout included when they are files), the rejects file, the
/// checkpoint (and its SQLite companions) and the archive directory, compared by device and
/// inode after links are resolved. Runs before anything is opened for writing.
void refuse_shared_files(const pipeline::pipeline_config& config, setting_names names);

/// A file of a command without a pipeline config (`simulate`, `passthrough`): the flag that
/// names it and its path, `-` being stdin for an input and stdout for an output.
struct named_file {
    std::string setting;
    std::string path;
    bool input = false;
};

/// `refuse_shared_files` for such a command's files.
void refuse_shared_files(std::span<const named_file> files);

/// The run's outputs in one line for its checkpoint: each sink (a file by its resolved path)
/// and the rejects file.
[[nodiscard]] std::string outputs_identity(const pipeline::pipeline_config& config);

}  // namespace streamcp::cli
