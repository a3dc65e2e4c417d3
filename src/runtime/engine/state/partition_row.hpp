// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <vector>

namespace streamcp::pipeline {

/// One partition key's row in an incremental checkpoint: the encoded key and what the job
/// holds for it (its ordering state and model). An empty state: the key holds nothing now.
struct partition_row {
    std::vector<std::byte> key;
    std::vector<std::byte> state;
};

}  // namespace streamcp::pipeline
