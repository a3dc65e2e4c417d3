// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "endpoint_config.hpp"
#include "eventhubs_batcher.hpp"
#include "eventhubs_send_window.hpp"
#include "eventhubs_writer.hpp"
#include "line_sink.hpp"

namespace streamcp::adapters {

class amqp_runner;

struct eventhubs_sink_settings {
    eventhubs_writer_settings writer;
    eventhubs_batcher::format format = eventhubs_batcher::format::lines;
    std::size_t max_message_bytes = 256 * 1024;  ///< Basic tier's limit per message
    std::string partition_key;                   ///< record field; empty: none
    std::uint64_t max_in_flight = 256;           ///< unaccepted messages before `write` waits
};

/// Writes output records to an event hub (or a queue broker's address) over AMQP: JSON bodies
/// one record per message or as arrays, `x-opt-partition-key` from a record field, `message-id`
/// = the record id. `sync` returns once the peer accepted everything written.
class eventhubs_sink final : public pipeline::line_sink {
  public:
    explicit eventhubs_sink(eventhubs_sink_settings settings);
    ~eventhubs_sink() override;

    void write(std::string_view bytes) override;
    void flush() override;
    void sync() override;
    [[nodiscard]] std::uint64_t position() const override { return written_; }
    [[nodiscard]] bool truncatable() const override { return false; }
    void truncate(std::uint64_t size) override;
    [[nodiscard]] std::string name() const override { return settings_.writer.name; }

  private:
    void add_record(std::string_view record);
    void send(std::vector<outgoing_body>& bodies);
    [[nodiscard]] std::optional<std::string> key_of(std::string_view record);

    eventhubs_sink_settings settings_;
    eventhubs_batcher batcher_;
    send_window window_;
    std::unique_ptr<eventhubs_writer> writer_;
    std::unique_ptr<amqp_runner> runner_;  // last: its thread stops before the writer dies
    simdjson::dom::parser parser_;
    std::string partial_;  // bytes after the last newline of a write
    std::string padded_;
    std::vector<outgoing_body> ready_;
    std::uint64_t written_ = 0;
};

/// The `eventhubs` sink of a pipeline config (docs/adapters.md lists its options).
[[nodiscard]] std::unique_ptr<pipeline::line_sink> make_eventhubs_sink(
    const pipeline::endpoint_config& config);

}  // namespace streamcp::adapters
