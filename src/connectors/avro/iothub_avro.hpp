// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <streamcp/function/event_time.hpp>

namespace streamcp::adapters {

/// An Avro object container file's 16-byte sync marker.
using avro_sync_marker = std::array<char, 16>;

/// A marker derived from the file's name, so that a restarted run continuing a file (or
/// rewriting it) uses the marker its header already holds.
[[nodiscard]] avro_sync_marker avro_sync_marker_for(std::string_view file_name);

/// IoT Hub message routing's `EnqueuedTimeUtc` text: `2019-11-18T19:00:00.1234567Z`.
[[nodiscard]] std::string iothub_enqueued_time(event_time time);

/// Avro object container files holding IoT Hub message routing's records (record `Message` of
/// namespace `Microsoft.Azure.Devices`: `EnqueuedTimeUtc` string, `Properties` and
/// `SystemProperties` maps of strings, `Body` null or bytes), uncompressed. The data is encoded
/// by Avro C; this class only frames it into a header and blocks.
class iothub_avro_encoder {
  public:
    /// Throws `std::runtime_error` when Avro C refuses the schema (a broken installation).
    iothub_avro_encoder();
    ~iothub_avro_encoder();
    iothub_avro_encoder(const iothub_avro_encoder&) = delete;
    iothub_avro_encoder& operator=(const iothub_avro_encoder&) = delete;

    /// The file header: magic, metadata (`avro.schema`, `avro.codec` = null) and the marker.
    [[nodiscard]] std::string header(const avro_sync_marker& sync);

    /// Appends one record (the raw message as `Body`, no properties) to `records`.
    void append(std::string& records, std::string_view body, event_time enqueued);

    /// One data block: `count` records encoded in `records`, then the marker.
    [[nodiscard]] std::string block(std::string_view records, std::uint64_t count,
                                    const avro_sync_marker& sync);

    /// The record schema as written into each file's header.
    [[nodiscard]] static std::string_view schema_json();

    struct state;

  private:
    std::unique_ptr<state> state_;
};

}  // namespace streamcp::adapters
