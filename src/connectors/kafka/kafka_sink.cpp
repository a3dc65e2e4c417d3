// SPDX-License-Identifier: MIT
#include "kafka_sink.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <simdjson.h>

#include "connection_string.hpp"
#include "endpoint_options.hpp"
#include "record_id.hpp"

namespace streamcp::adapters {

using clock = std::chrono::steady_clock;

struct kafka_sink::state {
    std::string name;  // "kafka://bootstrap/topic", for messages
    rd_kafka_t* producer = nullptr;
    rd_kafka_topic_t* topic = nullptr;
    std::uint64_t produced = 0;
    std::uint64_t acknowledged = 0;
    std::uint64_t failed = 0;
    std::string failure;     // the first permanent error; the sink is unusable after it
    std::string last_error;  // the latest transient client error, for stall messages
    rd_kafka_resp_err_t last_printed = RD_KAFKA_RESP_ERR_NO_ERROR;
    clock::time_point printed_at{};
    simdjson::ondemand::parser parser;
};

namespace {

constexpr const char* record_id_header = "streamcp-record-id";
constexpr auto poll_slice_ms = 100;
// A transient error that repeats is printed again at most this often (reconnect loops).
constexpr auto error_print_interval = std::chrono::seconds(10);

void on_delivery(rd_kafka_t* /*producer*/, const rd_kafka_message_t* message, void* opaque) {
    auto& sink = *static_cast<kafka_sink::state*>(opaque);
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++sink.acknowledged;
        return;
    }
    ++sink.failed;
    if (sink.failure.empty()) {
        sink.failure = std::string("delivery to topic ") + rd_kafka_topic_name(message->rkt) +
                       " failed: " + rd_kafka_err2str(message->err);
    }
}

void on_error(rd_kafka_t* producer, int code, const char* reason, void* opaque) {
    auto& sink = *static_cast<kafka_sink::state*>(opaque);
    const auto error = static_cast<rd_kafka_resp_err_t>(code);
    if (error == RD_KAFKA_RESP_ERR__FATAL) {
        std::array<char, 512> text{};
        const rd_kafka_resp_err_t original =
            rd_kafka_fatal_error(producer, text.data(), text.size());
        if (sink.failure.empty()) {
            sink.failure = std::string("fatal producer error ") + rd_kafka_err2name(original) +
                           ": " + text.data();
        }
        return;
    }
    // Wrong credentials do not fix themselves: fail now instead of retrying until the stall
    // timeout.
    if (error == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
        if (sink.failure.empty()) {
            sink.failure = std::string("authentication failed: ") + reason;
        }
        return;
    }
    sink.last_error = reason;
    const auto now = clock::now();
    if (error != sink.last_printed || now - sink.printed_at >= error_print_interval) {
        std::fprintf(stderr, "streamcp: %s: %s (retrying)\n", sink.name.c_str(), reason);
        sink.last_printed = error;
        sink.printed_at = now;
    }
}

void on_log(const rd_kafka_t* /*producer*/, int level, const char* facility, const char* text) {
    // Errors also reach on_error, which prints them once; FAIL lines would repeat them.
    constexpr int log_warning = 4;
    if (level <= log_warning && std::string_view(facility) != "FAIL") {
        std::fprintf(stderr, "streamcp: kafka %s: %s\n", facility, text);
    }
}

void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
    std::array<char, 512> error{};
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error.data(), error.size()) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw std::invalid_argument("kafka sink: property " + key + " = '" +
                                    (key.find("password") != std::string::npos ? "***" : value) +
                                    "' refused: " + error.data());
    }
}

rd_kafka_conf_t* producer_config(const kafka_sink_settings& settings, kafka_sink::state& sink) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set_property(conf, "bootstrap.servers", settings.bootstrap);
    set_property(conf, "client.id", "streamcp");
    set_property(conf, "security.protocol", settings.security_protocol);
    if (settings.security_protocol.starts_with("sasl")) {
        set_property(conf, "sasl.mechanisms", "PLAIN");
        set_property(conf, "sasl.username", settings.sasl_username);
        set_property(conf, "sasl.password", settings.sasl_password);
    }
    if (!settings.ssl_ca_location.empty()) {
        set_property(conf, "ssl.ca.location", settings.ssl_ca_location);
    }
    // Idempotence (implies acks=all and at most 5 requests in flight): retries neither
    // duplicate nor reorder records within a partition.
    set_property(conf, "enable.idempotence", "true");
    set_property(conf, "acks", "all");
    // No message timeout: an outage blocks sync() (bounded by our stall timeout) instead of
    // dropping records.
    set_property(conf, "message.timeout.ms", "0");
    set_property(conf, "partitioner", settings.partitioner);
    set_property(conf, "compression.codec", settings.compression);
    // Microsoft's settings for Event Hubs' Kafka endpoint: request timeout above 20 s, metadata
    // refresh below the 240 s idle close, keepalive, requests under the 1 MB cap.
    set_property(conf, "request.timeout.ms", "60000");
    set_property(conf, "metadata.max.age.ms", "180000");
    set_property(conf, "socket.keepalive.enable", "true");
    set_property(conf, "message.max.bytes", "1000000");
    set_property(conf, "queue.buffering.max.kbytes", "65536");
    for (const auto& [key, value] : settings.extra_properties) {
        set_property(conf, key, value);
    }
    rd_kafka_conf_set_opaque(conf, &sink);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    return conf;
}

/// The record's key: the field `key` of the JSON object `line`, as text (strings unquoted,
/// other values as their JSON). None when the field is missing or null, or the line is not an
/// object.
std::optional<std::string> partition_key_of(simdjson::ondemand::parser& parser,
                                            std::string_view line, std::string_view key) {
    const simdjson::padded_string padded(line);
    simdjson::ondemand::document document;
    simdjson::ondemand::value value;
    if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
        document.find_field_unordered(key).get(value) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    simdjson::ondemand::json_type type{};
    if (value.type().get(type) != simdjson::SUCCESS ||
        type == simdjson::ondemand::json_type::null) {
        return std::nullopt;
    }
    if (type == simdjson::ondemand::json_type::string) {
        std::string_view text;
        if (value.get_string().get(text) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        return std::string(text);
    }
    std::string_view raw = value.raw_json_token();
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r')) {
        raw.remove_suffix(1);
    }
    return std::string(raw);
}

}  // namespace

kafka_sink::kafka_sink(kafka_sink_settings settings)
    : settings_(std::move(settings)), state_(std::make_unique<state>()) {
    state_->name = "kafka://" + settings_.bootstrap + "/" + settings_.topic;
    rd_kafka_conf_t* conf = producer_config(settings_, *state_);
    std::array<char, 512> error{};
    state_->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
    if (state_->producer == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::invalid_argument("kafka sink " + state_->name +
                                    ": cannot create producer: " + error.data());
    }
    state_->topic = rd_kafka_topic_new(state_->producer, settings_.topic.c_str(), nullptr);
    if (state_->topic == nullptr) {
        const std::string reason = rd_kafka_err2str(rd_kafka_last_error());
        rd_kafka_destroy(state_->producer);
        throw std::invalid_argument("kafka sink " + state_->name + ": bad topic: " + reason);
    }
}

kafka_sink::~kafka_sink() {
    // A run that ends without a last sync() still delivers what it wrote, with the same stall
    // bound; after a failure or a stall nothing more is awaited. With checkpoints what is left
    // was not checkpointed, so a restart from the last checkpoint sends it again.
    if (state_->failure.empty() && !stalled_) {
        try {
            sync();
        } catch (const std::exception& error) {
            std::fprintf(stderr, "streamcp: %s\n", error.what());
        }
    }
    if (state_->acknowledged + state_->failed < state_->produced) {
        std::fprintf(stderr, "streamcp: %s: closing with %llu records not acknowledged (%s)\n",
                     state_->name.c_str(),
                     static_cast<unsigned long long>(state_->produced - state_->acknowledged -
                                                     state_->failed),
                     checkpointed_ ? "a restart from the last checkpoint sends them again"
                                   : "they may not have reached the topic");
        rd_kafka_purge(state_->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(state_->producer, 0);
    }
    rd_kafka_topic_destroy(state_->topic);
    rd_kafka_destroy(state_->producer);
}

void kafka_sink::write(std::string_view bytes) {
    throw_if_failed();
    position_ += bytes.size();
    if (!partial_line_.empty()) {
        const std::size_t end = bytes.find('\n');
        if (end == std::string_view::npos) {
            partial_line_.append(bytes);
            return;
        }
        partial_line_.append(bytes.substr(0, end));
        produce(partial_line_);
        partial_line_.clear();
        bytes.remove_prefix(end + 1);
    }
    while (!bytes.empty()) {
        const std::size_t end = bytes.find('\n');
        if (end == std::string_view::npos) {
            partial_line_.assign(bytes);
            return;
        }
        if (end > 0) {
            produce(bytes.substr(0, end));
        }
        bytes.remove_prefix(end + 1);
    }
    rd_kafka_poll(state_->producer, 0);
}

void kafka_sink::produce(std::string_view line) {
    std::optional<std::string> key;
    if (!settings_.partition_key.empty()) {
        key = partition_key_of(state_->parser, line, settings_.partition_key);
    }
    const std::string id = pipeline::record_id(line);
    rd_kafka_headers_t* headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, record_id_header, -1, id.data(), static_cast<ssize_t>(id.size()));
    auto since = clock::now();
    std::uint64_t progress = state_->acknowledged;
    // The variadic producev macros use C casts; the array form is the same call without them.
    std::array<rd_kafka_vu_t, 5> fields{};
    fields[0].vtype = RD_KAFKA_VTYPE_RKT;
    fields[0].u.rkt = state_->topic;
    fields[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    fields[1].u.i = RD_KAFKA_MSG_F_COPY;
    fields[2].vtype = RD_KAFKA_VTYPE_VALUE;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): copied (F_COPY), never written
    fields[2].u.mem.ptr = const_cast<char*>(line.data());
    fields[2].u.mem.size = line.size();
    fields[3].vtype = RD_KAFKA_VTYPE_HEADERS;
    fields[3].u.headers = headers;
    std::size_t field_count = 4;
    if (key) {
        fields[4].vtype = RD_KAFKA_VTYPE_KEY;
        fields[4].u.mem.ptr = key->data();
        fields[4].u.mem.size = key->size();
        field_count = 5;
    }
    for (;;) {
        rd_kafka_error_t* failure =
            rd_kafka_produceva(state_->producer, fields.data(), field_count);
        const rd_kafka_resp_err_t error =
            failure == nullptr ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_error_code(failure);
        if (failure != nullptr) {
            rd_kafka_error_destroy(failure);
        }
        if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ++state_->produced;  // librdkafka owns the headers now
            return;
        }
        if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_headers_destroy(headers);
            throw std::runtime_error(state_->name + ": cannot queue a record for topic " +
                                     settings_.topic + ": " + rd_kafka_err2str(error));
        }
        // Back-pressure: the queue drains as the broker acknowledges.
        try {
            wait_for_progress(progress, since, "queueing a record");
        } catch (...) {
            rd_kafka_headers_destroy(headers);
            throw;
        }
        progress = state_->acknowledged;
    }
}

void kafka_sink::wait_for_progress(std::uint64_t before, clock::time_point& since,
                                   std::string_view waiting_for) {
    rd_kafka_flush(state_->producer, poll_slice_ms);
    throw_if_failed();
    const auto now = clock::now();
    if (state_->acknowledged != before) {
        since = now;
        return;
    }
    if (settings_.stall_timeout.count() > 0 && now - since >= settings_.stall_timeout) {
        stalled_ = true;
        const std::uint64_t outstanding = state_->produced - state_->acknowledged - state_->failed;
        throw std::runtime_error(
            state_->name + ": no record acknowledged for " +
            std::to_string(settings_.stall_timeout.count()) + " ms while " +
            std::string(waiting_for) + " (" + std::to_string(outstanding) +
            " outstanding; delivery_timeout bounds this wait); last error: " +
            (state_->last_error.empty() ? std::string("none reported") : state_->last_error));
    }
}

void kafka_sink::flush() {
    rd_kafka_poll(state_->producer, 0);
    throw_if_failed();
}

void kafka_sink::sync() {
    auto since = clock::now();
    while (state_->acknowledged + state_->failed < state_->produced) {
        wait_for_progress(state_->acknowledged, since, "waiting for acknowledgements");
    }
    throw_if_failed();
}

void kafka_sink::truncate(std::uint64_t /*size*/) {
    throw std::logic_error(state_->name + ": a Kafka topic cannot be truncated");
}

std::string kafka_sink::name() const { return state_->name; }

std::uint64_t kafka_sink::acknowledged() const noexcept { return state_->acknowledged; }

void kafka_sink::throw_if_failed() {
    if (!state_->failure.empty()) {
        throw std::runtime_error(state_->name + ": " + state_->failure);
    }
}

// ---------------------------------------------------------------------------------------------

namespace {

template <std::size_t N>
void require_one_of(const pipeline::endpoint_config& endpoint, std::string_view key,
                    const std::string& value, const std::array<std::string_view, N>& allowed) {
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) {
        return;
    }
    std::string list;
    for (const std::string_view name : allowed) {
        list.append(list.empty() ? "" : ", ").append(name);
    }
    throw std::invalid_argument("config: " + endpoint.section + "." + std::string(key) +
                                " must be one of " + list + "; got '" + value + "'");
}

std::string host_without_port(const std::string& host) {
    const std::size_t colon = host.rfind(':');
    return colon == std::string::npos ? host : host.substr(0, colon);
}

}  // namespace

std::unique_ptr<pipeline::line_sink> make_kafka_sink(const pipeline::endpoint_config& endpoint) {
    using pipeline::option_string;
    pipeline::reject_unknown_options(
        endpoint, {"topic", "connection_string_env", "bootstrap", "security_protocol",
                   "sasl_username", "sasl_password_env", "ssl_ca_location", "partition_key",
                   "partitioner", "compression", "delivery_timeout"});
    kafka_sink_settings settings;
    std::string default_topic;
    std::string default_bootstrap;
    std::string default_protocol = "plaintext";
    if (endpoint.options.contains("connection_string_env")) {
        // Event Hubs' Kafka endpoint: the connection string is the PLAIN password of the
        // literal user `$ConnectionString` (SAS tokens are not accepted there).
        std::string text = pipeline::secret_from_env(endpoint, "connection_string");
        const connection_string parsed = parse_connection_string(
            text, "option " + endpoint.section + ".connection_string_env (variable " +
                      option_string(endpoint, "connection_string_env") + ")");
        if (parsed.kind != connection_string_kind::eventhubs) {
            throw std::invalid_argument(
                "config: " + endpoint.section +
                ".connection_string_env must name an Event Hubs connection string "
                "(Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=..;"
                "SharedAccessKey=..), not an IoT Hub one");
        }
        // The emulator serves Kafka on 9092 without TLS; Azure on 9093 with TLS only.
        default_bootstrap =
            host_without_port(parsed.host) + (parsed.use_development_emulator ? ":9092" : ":9093");
        default_protocol = parsed.use_development_emulator ? "sasl_plaintext" : "sasl_ssl";
        default_topic = parsed.entity_path;
        settings.sasl_username = "$ConnectionString";
        settings.sasl_password = std::move(text);
    }
    settings.bootstrap = default_bootstrap.empty()
                             ? option_string(endpoint, "bootstrap")
                             : option_string(endpoint, "bootstrap", default_bootstrap);
    settings.topic = default_topic.empty() ? option_string(endpoint, "topic")
                                           : option_string(endpoint, "topic", default_topic);
    settings.security_protocol = option_string(endpoint, "security_protocol", default_protocol);
    require_one_of(
        endpoint, "security_protocol", settings.security_protocol,
        std::array<std::string_view, 4>{"plaintext", "ssl", "sasl_plaintext", "sasl_ssl"});
    if (endpoint.options.contains("sasl_username")) {
        settings.sasl_username = option_string(endpoint, "sasl_username");
    }
    if (endpoint.options.contains("sasl_password_env")) {
        settings.sasl_password = pipeline::secret_from_env(endpoint, "sasl_password");
    }
    if (settings.security_protocol.starts_with("sasl") && settings.sasl_username.empty()) {
        throw std::invalid_argument("config: " + endpoint.section + ".security_protocol " +
                                    settings.security_protocol +
                                    " needs connection_string_env, or sasl_username and "
                                    "sasl_password_env");
    }
    settings.ssl_ca_location = option_string(endpoint, "ssl_ca_location", "");
    settings.partition_key = option_string(endpoint, "partition_key", "");
    settings.partitioner = option_string(endpoint, "partitioner", settings.partitioner);
    require_one_of(
        endpoint, "partitioner", settings.partitioner,
        std::array<std::string_view, 7>{"murmur2_random", "murmur2", "consistent_random",
                                        "consistent", "random", "fnv1a", "fnv1a_random"});
    settings.compression = option_string(endpoint, "compression", settings.compression);
    require_one_of(endpoint, "compression", settings.compression,
                   std::array<std::string_view, 2>{"none", "gzip"});
    const auto timeout =
        pipeline::option_duration(endpoint, "delivery_timeout", settings.stall_timeout);
    if (timeout.count() < 0) {
        throw std::invalid_argument("config: " + endpoint.section +
                                    ".delivery_timeout must be >= 0 (0 waits forever)");
    }
    settings.stall_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
    return std::make_unique<kafka_sink>(std::move(settings));
}

}  // namespace streamcp::adapters
