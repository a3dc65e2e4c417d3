// SPDX-License-Identifier: MIT
#include "eventhubs_source.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include <simdjson.h>

#include "amqp_runner.hpp"
#include "endpoint_options.hpp"
#include "eventhubs_endpoint.hpp"

namespace streamcp::adapters {
namespace {

// How long `next` waits before looking at the stop flag again.
constexpr std::chrono::milliseconds stop_poll{100};

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const std::string item =
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const auto first = item.find_first_not_of(' ');
        if (first != std::string::npos) {
            items.push_back(item.substr(first, item.find_last_not_of(' ') - first + 1));
        }
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return items;
}

}  // namespace

eventhubs_source::eventhubs_source(eventhubs_reader_settings settings, source_stop_settings stop)
    : settings_(std::move(settings)), stop_(stop) {}

eventhubs_source::~eventhubs_source() {
    if (runner_) {
        // A graceful close, so that settlements posted by `committed` reach the broker.
        runner_->close_and_stop(
            [reader = reader_.get()](std::function<void()> closed) {
                reader->shutdown(std::move(closed));
            },
            std::chrono::seconds(5));
    }
}

void eventhubs_source::start() {
    runner_ = std::make_unique<amqp_runner>(
        "streamcp-source", [this](const std::string& reason) { queue_.fail(reason); });
    settings_.backlog = &backlog_;
    reader_ = std::make_unique<eventhubs_reader>(runner_->container(), settings_, queue_);
    std::vector<partition_position> restored;
    for (const auto& [id, position] : positions_) {
        restored.push_back(position);
    }
    runner_->post([reader = reader_.get(), restored = std::move(restored)]() mutable {
        reader->start(std::move(restored));
    });
}

bool eventhubs_source::next(std::string_view& line) {
    if (ended_) {
        return false;
    }
    if (!runner_) {
        start();
    }
    auto idle_since = std::chrono::steady_clock::now();
    received_event event;
    for (;;) {
        if (stop_.requested.stop_requested() ||
            (stop_.max_messages != 0 && read_ >= stop_.max_messages)) {
            ended_ = true;
            return false;
        }
        if (queue_.pop(event, stop_poll)) {
            break;
        }
        if (stop_.when_idle.count() > 0 &&
            std::chrono::steady_clock::now() - idle_since >= stop_.when_idle) {
            ended_ = true;
            return false;
        }
    }
    ++read_;
    partition_ = partition_number(event.position.partition_id, event.partition_index);
    if (settings_.mode != eventhubs_reader_settings::kind::queue) {
        positions_[event.position.partition_id] = event.position;
        backlog_.consumed(event.partition_index, event.position.sequence);
    }
    last_delivery_ = std::max(last_delivery_, event.delivery_id);
    // Give credit back in batches: one cross-thread call per quarter of the prefetch.
    if (event.partition_index >= consumed_.size()) {
        consumed_.resize(event.partition_index + 1, 0);
    }
    const std::uint32_t batch = std::max<std::uint32_t>(1, settings_.prefetch / 4);
    if (++consumed_[event.partition_index] >= batch) {
        const std::uint32_t credit = consumed_[event.partition_index];
        consumed_[event.partition_index] = 0;
        runner_->post([reader = reader_.get(), index = event.partition_index, credit] {
            reader->grant(index, credit);
        });
    }
    line_.assign(event.line);
    line_.append(simdjson::SIMDJSON_PADDING, '\0');
    line = std::string_view(line_.data(), event.line.size());
    return true;
}

void eventhubs_source::seek(std::uint64_t /*offset*/) {
    throw std::runtime_error(settings_.name +
                             ": a broker input resumes from its partition positions, not a byte "
                             "offset");
}

std::vector<std::byte> eventhubs_source::save_position() const {
    std::vector<partition_position> all;
    all.reserve(positions_.size());
    for (const auto& [id, position] : positions_) {
        all.push_back(position);
    }
    return encode_positions(all);
}

void eventhubs_source::restore_position(std::span<const std::byte> bytes) {
    if (runner_) {
        throw std::logic_error(settings_.name + ": restore_position after the first read");
    }
    if (settings_.mode == eventhubs_reader_settings::kind::queue) {
        return;  // a queue broker redelivers whatever no checkpoint settled
    }
    positions_.clear();
    for (partition_position& position : decode_positions(bytes, settings_.name)) {
        positions_[position.partition_id] = std::move(position);
    }
}

void eventhubs_source::committed() {
    if (settings_.mode != eventhubs_reader_settings::kind::queue || !runner_ ||
        last_delivery_ == committed_delivery_) {
        return;
    }
    committed_delivery_ = last_delivery_;
    runner_->post(
        [reader = reader_.get(), through = last_delivery_] { reader->accept_through(through); });
}

std::unique_ptr<pipeline::line_source> make_eventhubs_source(
    const pipeline::endpoint_config& config, pipeline::stop_token requested) {
    pipeline::reject_unknown_options(
        config, {STREAMCP_EVENTHUBS_ENDPOINT_OPTIONS, "consumer_group", "partitions", "addresses",
                 "start", "prefetch", "epoch", "metadata", "stop_when_idle", "max_messages"});
    const eventhubs_endpoint endpoint = parse_eventhubs_endpoint(config, true);
    eventhubs_reader_settings settings;
    settings.peer = endpoint.peer;
    settings.cbs = endpoint.cbs;
    settings.hub = endpoint.hub;
    settings.backoff.max = std::chrono::duration_cast<std::chrono::milliseconds>(
        pipeline::option_duration(config, "reconnect_max_backoff", std::chrono::seconds(30)));
    settings.prefetch =
        static_cast<std::uint32_t>(pipeline::option_int(config, "prefetch", 300, 1, 100000));
    switch (endpoint.mode) {
        case eventhubs_endpoint::kind::generic:
            settings.mode = eventhubs_reader_settings::kind::queue;
            settings.partitions = split_list(pipeline::option_string(config, "addresses"));
            if (settings.partitions.empty()) {
                throw std::invalid_argument("config: " + config.section +
                                            ".addresses lists no address");
            }
            settings.metadata = false;
            settings.name = endpoint.display + "/" + pipeline::option_string(config, "addresses");
            break;
        case eventhubs_endpoint::kind::iothub:
        case eventhubs_endpoint::kind::eventhubs:
            settings.mode = endpoint.mode == eventhubs_endpoint::kind::iothub
                                ? eventhubs_reader_settings::kind::iothub
                                : eventhubs_reader_settings::kind::eventhubs;
            settings.consumer_group = pipeline::option_string(config, "consumer_group", "$Default");
            settings.partitions = split_list(pipeline::option_string(config, "partitions", ""));
            settings.start = parse_start_position(
                pipeline::option_string(config, "start", "earliest"), config.section + ".start");
            if (const std::int64_t epoch = pipeline::option_int(config, "epoch", -1, -1, INT64_MAX);
                epoch >= 0) {
                settings.epoch = epoch;
            }
            settings.metadata = pipeline::option_bool(config, "metadata", true);
            settings.name = endpoint.display + "/ConsumerGroups/" + settings.consumer_group;
            break;
    }
    source_stop_settings stop;
    stop.requested = requested;
    stop.when_idle = pipeline::option_duration(config, "stop_when_idle", std::chrono::seconds(0));
    stop.max_messages =
        static_cast<std::uint64_t>(pipeline::option_int(config, "max_messages", 0, 0, INT64_MAX));
    return std::make_unique<eventhubs_source>(std::move(settings), stop);
}

}  // namespace streamcp::adapters
