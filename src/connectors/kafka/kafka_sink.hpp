// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "endpoint_config.hpp"
#include "line_sink.hpp"

namespace streamcp::adapters {

/// How a kafka_sink connects and what it sends; `make_kafka_sink` fills it from a `[[sinks]]`
/// table, tests fill it directly.
struct kafka_sink_settings {
    std::string bootstrap;                        ///< host:port[,host:port...]
    std::string topic;                            ///< the event hub's name on Event Hubs
    std::string security_protocol = "plaintext";  ///< plaintext, ssl, sasl_plaintext, sasl_ssl
    std::string sasl_username;                    ///< PLAIN; `$ConnectionString` on Event Hubs
    std::string sasl_password;                    ///< the connection string on Event Hubs
    std::string ssl_ca_location;                  ///< empty: the system's CA store
    std::string partition_key;                    ///< top-level field used as the Kafka key
    std::string partitioner = "murmur2_random";   ///< Java-compatible placement of keys
    std::string compression = "none";             ///< none or gzip (all Event Hubs accepts)
    /// How long write()/sync() wait without any delivery progress before they throw (an
    /// unreachable broker or a wrong address); zero waits forever.
    std::chrono::milliseconds stall_timeout = std::chrono::minutes(5);
    /// Extra librdkafka properties, applied last (tests; tuning).
    std::vector<std::pair<std::string, std::string>> extra_properties;
};

/// Output lines as Kafka records, one record per line (newline dropped), for Event Hubs'
/// Kafka endpoint or any Kafka broker. Idempotent producer with acks=all: per-partition order
/// survives retries, and sync() returns only when the broker acknowledged every record, so a
/// checkpoint taken after it never covers a lost record. Retriable errors are retried by
/// librdkafka without a message timeout (a broker outage blocks, as ASA's "Retry" policy);
/// a permanent error throws. Each record carries the header `streamcp-record-id` =
/// pipeline::record_id(line), for consumers that drop the duplicates at-least-once allows.
class kafka_sink final : public pipeline::line_sink {
  public:
    /// Creates the producer (it connects in the background). Throws `std::invalid_argument`
    /// naming a property librdkafka refuses.
    explicit kafka_sink(kafka_sink_settings settings);
    ~kafka_sink() override;
    kafka_sink(const kafka_sink&) = delete;
    kafka_sink& operator=(const kafka_sink&) = delete;

    /// Queues each whole line as a record. Blocks while librdkafka's queue is full.
    void write(std::string_view bytes) override;
    /// Serves delivery reports; throws if one reported a permanent failure.
    void flush() override;
    /// Blocks until every record written so far was acknowledged (acks=all). Throws
    /// `std::runtime_error` naming the topic and the error on a permanent failure, an
    /// authentication failure, or no progress for `stall_timeout`.
    void sync() override;
    [[nodiscard]] std::uint64_t position() const override { return position_; }
    [[nodiscard]] bool truncatable() const override { return false; }
    void truncate(std::uint64_t size) override;
    [[nodiscard]] std::string name() const override;
    void set_checkpointed(bool checkpointed) override { checkpointed_ = checkpointed; }

    /// Records acknowledged by the broker so far (tests, reports).
    [[nodiscard]] std::uint64_t acknowledged() const noexcept;

    struct state;  // shared with librdkafka's callbacks

  private:
    void produce(std::string_view line);
    void throw_if_failed();
    void wait_for_progress(std::uint64_t before, std::chrono::steady_clock::time_point& since,
                           std::string_view waiting_for);

    kafka_sink_settings settings_;
    std::unique_ptr<state> state_;
    std::string partial_line_;   // a write() that ended mid-line keeps the start here
    bool checkpointed_ = false;  // a restart from a checkpoint resends what is unacknowledged
    std::uint64_t position_ = 0;
    bool stalled_ = false;  // a wait hit stall_timeout: the destructor does not wait again
};

/// The `kafka` sink type of a `[[sinks]]` table (docs/adapters.md). Options: topic;
/// connection_string_env (Event Hubs: bootstrap `<namespace>.servicebus.windows.net:9093`,
/// SASL_SSL PLAIN as `$ConnectionString`); bootstrap, security_protocol, sasl_username,
/// sasl_password_env, ssl_ca_location (override or local brokers); partition_key, partitioner,
/// compression, delivery_timeout.
[[nodiscard]] std::unique_ptr<pipeline::line_sink> make_kafka_sink(
    const pipeline::endpoint_config& endpoint);

}  // namespace streamcp::adapters
