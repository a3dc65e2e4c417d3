// SPDX-License-Identifier: MIT
#include "eventhubs_sink.hpp"

#include <stdexcept>
#include <utility>

#include <proton/annotation_key.hpp>
#include <proton/binary.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/symbol.hpp>

#include "amqp_runner.hpp"
#include "endpoint_options.hpp"
#include "eventhubs_endpoint.hpp"

namespace streamcp::adapters {

eventhubs_sink::eventhubs_sink(eventhubs_sink_settings settings)
    : settings_(std::move(settings)),
      batcher_(settings_.format, settings_.max_message_bytes - 1024) {
    runner_ = std::make_unique<amqp_runner>(
        "streamcp-sink", [this](const std::string& reason) { window_.fail(reason); });
    writer_ = std::make_unique<eventhubs_writer>(runner_->container(), settings_.writer, window_);
    runner_->post([writer = writer_.get()] { writer->start(); });
}

eventhubs_sink::~eventhubs_sink() {
    runner_->close_and_stop(
        [writer = writer_.get()](std::function<void()> closed) {
            writer->shutdown(std::move(closed));
        },
        std::chrono::seconds(5));
}

void eventhubs_sink::write(std::string_view bytes) {
    written_ += bytes.size();
    while (!bytes.empty()) {
        const auto newline = bytes.find('\n');
        if (newline == std::string_view::npos) {
            partial_.append(bytes);
            break;
        }
        if (partial_.empty()) {
            add_record(bytes.substr(0, newline));
        } else {
            partial_.append(bytes.substr(0, newline));
            add_record(partial_);
            partial_.clear();
        }
        bytes.remove_prefix(newline + 1);
    }
    send(ready_);
}

void eventhubs_sink::add_record(std::string_view record) {
    if (!record.empty() && record.back() == '\r') {
        record.remove_suffix(1);
    }
    if (record.empty()) {
        return;
    }
    const std::optional<std::string> key = key_of(record);
    batcher_.add(record, key ? std::optional<std::string_view>(*key) : std::nullopt, ready_);
}

std::optional<std::string> eventhubs_sink::key_of(std::string_view record) {
    if (settings_.partition_key.empty()) {
        return std::nullopt;
    }
    padded_.assign(record);
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::dom::element root;
    if (parser_.parse(padded_.data(), record.size(), false).get(root) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    simdjson::dom::element field;
    if (root.at_key(settings_.partition_key).get(field) != simdjson::SUCCESS || field.is_null()) {
        return std::nullopt;
    }
    std::string_view text;
    if (field.get_string().get(text) == simdjson::SUCCESS) {
        return std::string(text);
    }
    return simdjson::minify(field);  // a number or boolean key: its JSON text
}

void eventhubs_sink::send(std::vector<outgoing_body>& bodies) {
    std::vector<std::pair<std::uint64_t, proton::message>> batch;
    const auto post_batch = [this, &batch] {
        if (!batch.empty()) {
            runner_->post([writer = writer_.get(), messages = std::move(batch)]() mutable {
                writer->submit(messages);
            });
            batch.clear();
        }
    };
    for (outgoing_body& body : bodies) {
        proton::message message;
        message.body(proton::binary(body.body.begin(), body.body.end()));
        message.content_type("application/json");
        message.id(proton::message_id(body.id));
        if (body.partition_key) {
            // A message annotation: Event Hubs ignores a delivery annotation of this name.
            message.message_annotations().put(proton::symbol("x-opt-partition-key"),
                                              *body.partition_key);
        }
        if (!window_.would_wait(settings_.max_in_flight)) {
            batch.emplace_back(window_.reserve(settings_.max_in_flight), std::move(message));
            continue;
        }
        post_batch();  // the writer must have these before this thread waits for room
        batch.emplace_back(window_.reserve(settings_.max_in_flight), std::move(message));
    }
    post_batch();
    bodies.clear();
}

void eventhubs_sink::flush() {
    if (!partial_.empty()) {
        add_record(partial_);
        partial_.clear();
    }
    batcher_.flush(ready_);
    send(ready_);
}

void eventhubs_sink::sync() {
    flush();
    window_.wait_all();
}

void eventhubs_sink::truncate(std::uint64_t /*size*/) {
    throw std::logic_error(name() + ": an AMQP output cannot be truncated");
}

std::unique_ptr<pipeline::line_sink> make_eventhubs_sink(const pipeline::endpoint_config& config) {
    pipeline::reject_unknown_options(
        config, {STREAMCP_EVENTHUBS_ENDPOINT_OPTIONS, "address", "partition", "format",
                 "partition_key", "max_message_bytes", "max_in_flight"});
    const eventhubs_endpoint endpoint = parse_eventhubs_endpoint(config, false);
    eventhubs_sink_settings settings;
    settings.writer.peer = endpoint.peer;
    settings.writer.cbs = endpoint.cbs;
    settings.writer.backoff.max = std::chrono::duration_cast<std::chrono::milliseconds>(
        pipeline::option_duration(config, "reconnect_max_backoff", std::chrono::seconds(30)));
    if (endpoint.mode == eventhubs_endpoint::kind::generic) {
        settings.writer.queue = true;
        settings.writer.address = pipeline::option_string(config, "address");
    } else {
        settings.writer.address = endpoint.hub;
        const std::int64_t partition = pipeline::option_int(config, "partition", -1, -1, 1023);
        if (partition >= 0) {
            settings.writer.address += "/Partitions/" + std::to_string(partition);
        }
    }
    settings.writer.name = endpoint.display + (endpoint.mode == eventhubs_endpoint::kind::generic
                                                   ? "/" + settings.writer.address
                                                   : std::string());
    const std::string format = pipeline::option_string(config, "format", "lines");
    if (format == "lines") {
        settings.format = eventhubs_batcher::format::lines;
    } else if (format == "array") {
        settings.format = eventhubs_batcher::format::array;
    } else {
        throw std::invalid_argument("config: " + config.section + ".format '" + format +
                                    "' is not 'lines' or 'array'");
    }
    settings.max_message_bytes = static_cast<std::size_t>(
        pipeline::option_int(config, "max_message_bytes", std::int64_t{256} * 1024, 4096,
                             std::int64_t{16} * 1024 * 1024));
    settings.partition_key = pipeline::option_string(config, "partition_key", "");
    settings.max_in_flight =
        static_cast<std::uint64_t>(pipeline::option_int(config, "max_in_flight", 256, 1, 100000));
    return std::make_unique<eventhubs_sink>(std::move(settings));
}

}  // namespace streamcp::adapters
