// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "endpoint_config.hpp"
#include "line_sink.hpp"
#include "webhook_format.hpp"

namespace streamcp::adapters {

/// How a webhook_sink posts; `make_webhook_sink` fills it from a `[[sinks]]` table.
struct webhook_settings {
    std::string url;      ///< a secret (Slack's URL is the credential): never printed
    std::string section;  ///< `sinks[N]`, for messages
    webhook_format format = webhook_format::array;
    slack_fields fields;
    std::size_t max_batch = 20;        ///< records per request
    double rate = 1.0;                 ///< requests per second (Slack: about one)
    double burst = 3.0;                ///< requests allowed back to back
    std::size_t max_buffered = 10000;  ///< records held before write() blocks
    std::chrono::milliseconds timeout = std::chrono::seconds(10);  ///< per request
    std::chrono::milliseconds backoff_min = std::chrono::milliseconds(250);
    std::chrono::milliseconds backoff_max = std::chrono::seconds(30);
};

/// Output lines POSTed to an HTTP endpoint in batches, from a background thread. A batch is
/// retried unchanged until a 2xx: after `Retry-After` on 429 (or on 503), with exponential
/// backoff on other 5xx, 408 and connection errors; any other status fails the sink. write()
/// blocks while `max_buffered` records wait (backpressure), and sync() returns only when every
/// record written so far was answered with a 2xx, so a checkpoint never covers an undelivered
/// alert. Delivery is at-least-once: the header `streamcp-record-ids` lets receivers de-duplicate.
class webhook_sink final : public pipeline::line_sink {
  public:
    explicit webhook_sink(webhook_settings settings);
    ~webhook_sink() override;
    webhook_sink(const webhook_sink&) = delete;
    webhook_sink& operator=(const webhook_sink&) = delete;

    void write(std::string_view bytes) override;
    /// Throws if the endpoint refused a batch for good.
    void flush() override;
    /// Blocks until every record written so far was delivered; throws on a permanent refusal.
    void sync() override;
    [[nodiscard]] std::uint64_t position() const override { return position_; }
    [[nodiscard]] bool truncatable() const override { return false; }
    void truncate(std::uint64_t size) override;
    [[nodiscard]] std::string name() const override;

    /// Records answered with a 2xx so far (tests, reports).
    [[nodiscard]] std::uint64_t delivered() const;

    struct state;  // shared with the delivery thread

  private:
    void enqueue(std::string line);

    std::unique_ptr<state> state_;
    std::string partial_line_;  // a write() that ended mid-line keeps the start here
    std::uint64_t position_ = 0;
};

/// The `webhook` sink type of a `[[sinks]]` table (docs/adapters.md). Options: url_env
/// (required), format (array or slack), max_batch, rate, burst, max_buffered, timeout,
/// device_field / time_field / value_field / score_field (slack), optional. With
/// `optional = true` an unset or empty url_env variable skips the sink with a notice on stderr
/// (the returned sink discards); without it that is an error.
[[nodiscard]] std::unique_ptr<pipeline::line_sink> make_webhook_sink(
    const pipeline::endpoint_config& endpoint);

}  // namespace streamcp::adapters
