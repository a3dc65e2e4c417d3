// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <proton/source.hpp>

namespace streamcp::adapters {

/// Where a partition's reader stands: the last event handed on (Event Hubs annotations
/// `x-opt-offset`, `x-opt-sequence-number`, `x-opt-enqueued-time`).
struct partition_position {
    std::string partition_id;
    std::string offset;          ///< opaque; empty: nothing read yet
    std::int64_t sequence = -1;  ///< -1: nothing read yet
    std::int64_t enqueued_ms = 0;

    friend bool operator==(const partition_position&, const partition_position&) = default;
};

/// A partition's number for labels and the archive: its id when numeric (Event Hubs' "0", "1"...),
/// else its index in the hub's list.
[[nodiscard]] std::uint32_t partition_number(const std::string& id, std::size_t index);

/// Checkpoint bytes of a set of partition positions (format tag, then per partition its id,
/// offset, sequence number and enqueued time).
[[nodiscard]] std::vector<std::byte> encode_positions(const std::vector<partition_position>& all);
/// The inverse; throws `std::runtime_error` naming `source` when the bytes are not positions.
[[nodiscard]] std::vector<partition_position> decode_positions(std::span<const std::byte> bytes,
                                                               const std::string& source);

/// Where a partition without a checkpoint starts (option `start`).
struct start_position {
    enum class kind { earliest, latest, enqueued_time };
    kind where = kind::earliest;
    std::int64_t enqueued_ms = 0;  ///< for `enqueued_time`
};

/// Parses `earliest`, `latest` or an ISO-8601 time; throws `std::invalid_argument` naming
/// `setting` and the accepted forms.
[[nodiscard]] start_position parse_start_position(std::string_view text,
                                                  const std::string& setting);

/// The selector expression a receiver attaches with: after `position`'s offset when it has
/// one, else at `start`.
[[nodiscard]] std::string selector_expression(const partition_position& position,
                                              const start_position& start);

/// The source filter set carrying `expression` as an `apache.org:selector-filter:string`.
[[nodiscard]] proton::source::filter_map selector_filter(const std::string& expression);

}  // namespace streamcp::adapters
