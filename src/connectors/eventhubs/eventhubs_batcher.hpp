// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamcp::adapters {

/// One message body the sink sends.
struct outgoing_body {
    std::string body;
    std::optional<std::string> partition_key;
    std::string id;  ///< pipeline::record_id of the record (lines) or of the array text
    std::size_t records = 0;
};

/// Turns output records into message bodies as Stream Analytics' Event Hubs output does:
/// `lines` = one record per message; `array` = a JSON array of records that share a partition
/// key, packed up to `max_body_bytes`.
class eventhubs_batcher {
  public:
    enum class format { lines, array };

    eventhubs_batcher(format shape, std::size_t max_body_bytes);

    /// Adds one record (a JSON object, no newline). Full messages are appended to `out`.
    /// Throws `std::runtime_error` when the record alone exceeds the size limit.
    void add(std::string_view record, std::optional<std::string_view> key,
             std::vector<outgoing_body>& out);
    /// Appends every partly filled array to `out`.
    void flush(std::vector<outgoing_body>& out);

  private:
    void close_array(std::map<std::optional<std::string>, std::string>::iterator open,
                     std::vector<outgoing_body>& out);

    format shape_;
    std::size_t max_body_bytes_;
    std::map<std::optional<std::string>, std::string> open_;  // key → "[r1,r2"
    std::map<std::optional<std::string>, std::size_t> counts_;
};

}  // namespace streamcp::adapters
