// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "endpoint_config.hpp"
#include "eventhubs_backlog.hpp"
#include "eventhubs_event_queue.hpp"
#include "eventhubs_position.hpp"
#include "eventhubs_reader.hpp"
#include "line_source.hpp"
#include "stop_token.hpp"

namespace streamcp::adapters {

class amqp_runner;

/// How the source ends: on request (a stop signal), and for tests and bounded runs when idle or
/// after a number of messages.
struct source_stop_settings {
    pipeline::stop_token requested;
    std::chrono::nanoseconds when_idle{0};  ///< 0: never
    std::uint64_t max_messages = 0;         ///< 0: no limit
};

/// Reads IoT Hub / Event Hubs (one receiver per partition of a consumer group) or the
/// addresses of a plain AMQP broker. Proton runs in its own thread; events reach `next` through
/// a queue bounded by link credit. Positions are per partition (offsets); on a queue broker the
/// deliveries stay unsettled until `committed`.
class eventhubs_source final : public pipeline::line_source {
  public:
    eventhubs_source(eventhubs_reader_settings settings, source_stop_settings stop);
    ~eventhubs_source() override;

    bool next(std::string_view& line) override;
    [[nodiscard]] std::uint64_t position() const override { return read_; }
    [[nodiscard]] bool seekable() const override { return true; }
    void seek(std::uint64_t offset) override;
    [[nodiscard]] std::string name() const override { return settings_.name; }
    [[nodiscard]] std::vector<std::byte> save_position() const override;
    void restore_position(std::span<const std::byte> bytes) override;
    void committed() override;
    [[nodiscard]] std::uint32_t partition() const override { return partition_; }
    [[nodiscard]] bool unbounded() const override { return true; }
    /// From each partition's last enqueued sequence number, which the reader asks `$management`
    /// for every few seconds, minus the last one read.
    [[nodiscard]] std::vector<std::pair<std::uint32_t, std::uint64_t>> backlog() const override {
        return backlog_.snapshot();
    }

  private:
    void start();

    eventhubs_reader_settings settings_;
    source_stop_settings stop_;
    received_queue queue_;
    partition_backlog backlog_;
    std::unique_ptr<eventhubs_reader> reader_;
    std::unique_ptr<amqp_runner> runner_;  // last: its thread stops before the reader dies
    std::map<std::string, partition_position> positions_;  // of the events returned
    std::vector<std::uint32_t> consumed_;  // per partition index, not yet granted back
    std::string line_;                     // the current line plus simdjson padding
    std::uint64_t read_ = 0;
    std::uint64_t last_delivery_ = 0;
    std::uint64_t committed_delivery_ = 0;
    std::uint32_t partition_ = 0;
    bool ended_ = false;
};

/// The `eventhubs` source of a pipeline config (docs/adapters.md lists its options). Its stream
/// ends when a stop is `requested`.
[[nodiscard]] std::unique_ptr<pipeline::line_source> make_eventhubs_source(
    const pipeline::endpoint_config& config, pipeline::stop_token requested = {});

}  // namespace streamcp::adapters
