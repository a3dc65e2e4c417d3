// SPDX-License-Identifier: MIT
#include "eventhubs_reader.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <utility>

#include <proton/binary.hpp>
#include <proton/codec/map.hpp>
#include <proton/connection.hpp>
#include <proton/error_condition.hpp>
#include <proton/message.hpp>
#include <proton/receiver_options.hpp>
#include <proton/scalar.hpp>
#include <proton/source_options.hpp>
#include <proton/symbol.hpp>
#include <proton/value.hpp>

#include "amqp_runner.hpp"
#include "amqp_text.hpp"
#include "eventhubs_management.hpp"
#include "eventhubs_metadata.hpp"
#include "runtime_errors.hpp"
#include "sas_token.hpp"

namespace streamcp::adapters {
namespace {

// The body's bytes: a data section (Event Hubs, IoT Hub), or an AMQP string/binary value
// (brokers converting from other protocols).
void body_bytes(const proton::message& message, std::string& out) {
    const proton::value& body = message.body();
    if (body.type() == proton::BINARY) {
        const auto bytes = proton::get<proton::binary>(body);
        out.assign(bytes.begin(), bytes.end());
    } else if (body.type() == proton::STRING) {
        out = proton::get<std::string>(body);
    } else if (body.empty()) {
        out.clear();
    } else {
        out = proton::to_string(body);
    }
    // One event per line: line breaks can only be whitespace in valid JSON.
    std::replace(out.begin(), out.end(), '\n', ' ');
    std::replace(out.begin(), out.end(), '\r', ' ');
}

/// How often the backlog metric asks `$management` for the partitions' last sequence numbers.
constexpr std::chrono::milliseconds backlog_period{2000};

}  // namespace

eventhubs_reader::eventhubs_reader(proton::container& container, eventhubs_reader_settings settings,
                                   received_queue& queue)
    : container_(container),
      settings_(std::move(settings)),
      queue_(queue),
      connection_(
          container, settings_.name, pipeline::runtime_component::source, settings_.backoff,
          amqp_connection::events::calling(this, &eventhubs_reader::ready, &eventhubs_reader::lost,
                                           &eventhubs_reader::fatal)) {}

void eventhubs_reader::start(std::vector<partition_position> restored) {
    restored_ = std::move(restored);
    if (!settings_.partitions.empty()) {
        set_partitions(settings_.partitions);
    }
    connection_.connect(settings_.peer, settings_.cbs);
}

void eventhubs_reader::set_partitions(const std::vector<std::string>& ids) {
    partitions_.clear();
    for (const std::string& id : ids) {
        partition_state state;
        state.id = id;
        state.last.partition_id = id;
        for (const partition_position& position : restored_) {
            if (position.partition_id == id) {
                state.last = position;
            }
        }
        if (settings_.backlog != nullptr && state.last.sequence >= 0) {
            settings_.backlog->resumed(partitions_.size(), state.last.sequence);
        }
        partitions_.push_back(std::move(state));
    }
    if (!polling_backlog_ && settings_.backlog != nullptr &&
        settings_.mode != eventhubs_reader_settings::kind::queue) {
        polling_backlog_ = true;
        poll_backlog();
    }
}

void eventhubs_reader::poll_backlog() {
    if (stopped_) {
        return;
    }
    if (connection_.ready()) {
        for (std::size_t index = 0; index < partitions_.size(); ++index) {
            read_partition_range(
                connection_.management(), settings_.hub, partitions_[index].id,
                [this, index,
                 generation = generation_](std::optional<partition_sequence_range> range) {
                    if (range && generation == generation_ && index < partitions_.size()) {
                        settings_.backlog->enqueued(index,
                                                    partition_number(partitions_[index].id, index),
                                                    range->begin, range->last_enqueued);
                    }
                });
        }
        connection_.wake();
    }
    schedule_after(container_, backlog_period, [this] { poll_backlog(); });
}

void eventhubs_reader::ready(proton::connection& connection) {
    ++generation_;
    if (settings_.mode == eventhubs_reader_settings::kind::iothub) {
        // Any messages/events address makes the hub answer with its redirect.
        const std::string address = "messages/events/ConsumerGroups/" + settings_.consumer_group +
                                    "/Partitions/" +
                                    (partitions_.empty() ? std::string("0") : partitions_[0].id);
        redirect_probe_ = connection.open_receiver(
            address, proton::receiver_options().handler(*this).credit_window(0));
        return;
    }
    if (partitions_.empty()) {
        discover();
        return;
    }
    attach_all();
}

void eventhubs_reader::lost() {
    for (partition_state& partition : partitions_) {
        partition.receiver = proton::receiver();
        ++partition.link_generation;
    }
    redirect_probe_ = proton::receiver();
    if (settings_.mode == eventhubs_reader_settings::kind::queue) {
        // Unsettled deliveries die with the connection; the broker redelivers them, so events
        // not yet read are dropped here rather than read twice.
        unsettled_.clear();
        queue_.drop_before(generation_ + 1);
    }
}

void eventhubs_reader::fatal(const std::string& reason) {
    stopped_ = true;
    connection_.shutdown();
    queue_.fail(reason);
}

void eventhubs_reader::shutdown(std::function<void()> closed) {
    stopped_ = true;
    connection_.shutdown(std::move(closed));
}

void eventhubs_reader::discover() {
    const std::uint64_t generation = generation_;
    read_partition_ids(connection_.management(), settings_.hub,
                       [this, generation](const std::vector<std::string>& ids,
                                          const std::string& error, std::int64_t status) {
                           if (generation != generation_ || stopped_) {
                               return;
                           }
                           if (ids.empty()) {
                               if (status == 401 || status == 403 || status == 404) {
                                   fatal(settings_.name + ": " + error);
                               } else {
                                   connection_.retry_later(error);
                               }
                               return;
                           }
                           set_partitions(ids);
                           attach_all();
                       });
}

void eventhubs_reader::attach_all() {
    for (std::size_t index = 0; index < partitions_.size(); ++index) {
        if (!partitions_[index].receiver) {
            attach(index);
        }
    }
}

std::string eventhubs_reader::address_of(const std::string& partition_id) const {
    if (settings_.mode == eventhubs_reader_settings::kind::queue) {
        return partition_id;
    }
    return settings_.hub + "/ConsumerGroups/" + settings_.consumer_group + "/Partitions/" +
           partition_id;
}

void eventhubs_reader::attach(std::size_t index) {
    partition_state& partition = partitions_[index];
    const bool queue_mode = settings_.mode == eventhubs_reader_settings::kind::queue;
    proton::source_options source;
    if (queue_mode) {
        source.capabilities({proton::symbol("queue")});  // anycast: messages wait for us
    } else {
        source.filters(selector_filter(selector_expression(partition.last, settings_.start)));
    }
    proton::receiver_options options;
    options.handler(*this).source(source).credit_window(0).auto_accept(!queue_mode);
    if (settings_.epoch) {
        options.properties(
            {{proton::symbol("com.microsoft:epoch"), proton::value(*settings_.epoch)}});
    }
    ++partition.link_generation;
    partition.receiver = connection_.connection().open_receiver(address_of(partition.id), options);
    const std::size_t queued = queue_.queued(index);
    if (queued < settings_.prefetch) {
        partition.receiver.add_credit(static_cast<std::uint32_t>(settings_.prefetch - queued));
    }
}

void eventhubs_reader::grant(std::size_t index, std::uint32_t credit) {
    if (index < partitions_.size() && partitions_[index].receiver &&
        partitions_[index].receiver.active()) {
        partitions_[index].receiver.add_credit(credit);
        connection_.wake();
    }
}

void eventhubs_reader::accept_through(std::uint64_t delivery_id) {
    while (!unsettled_.empty() && unsettled_.front().first <= delivery_id) {
        unsettled_.front().second.accept();
        unsettled_.pop_front();
    }
    connection_.wake();
}

std::optional<std::size_t> eventhubs_reader::index_of(const proton::receiver& receiver) const {
    for (std::size_t index = 0; index < partitions_.size(); ++index) {
        if (partitions_[index].receiver == receiver) {
            return index;
        }
    }
    return std::nullopt;
}

void eventhubs_reader::on_message(proton::delivery& delivery, proton::message& message) {
    const auto index = index_of(delivery.receiver());
    if (!index || stopped_) {
        return;
    }
    partition_state& partition = partitions_[*index];
    received_event event;
    event.partition_index = *index;
    body_bytes(message, body_);
    if (settings_.mode == eventhubs_reader_settings::kind::queue) {
        event.delivery_id = ++next_delivery_;
        event.generation = generation_;
        event.position.partition_id = partition.id;
        unsettled_.emplace_back(event.delivery_id, delivery);
        event.line = body_;
    } else {
        event_metadata metadata;
        read_event_annotations(message, partition.id, metadata, event.position);
        partition.last = event.position;
        if (settings_.metadata) {
            event.line.reserve(body_.size() + 256);
            append_with_metadata(event.line, body_, metadata);
        } else {
            event.line = body_;
        }
    }
    connection_.healthy();
    link_failures_ = 0;
    queue_.push(std::move(event));
}

void eventhubs_reader::on_receiver_error(proton::receiver& /*unused*/) {
}  // handled in on_receiver_close

void eventhubs_reader::on_error(const proton::error_condition& /*unused*/) {}

void eventhubs_reader::on_receiver_close(proton::receiver& receiver) {
    if (stopped_) {
        return;
    }
    const proton::error_condition error = receiver.error();
    if (redirect_probe_ && receiver == redirect_probe_) {
        redirect_probe_ = proton::receiver();
        if (error.name() == "amqp:link:redirect") {
            follow_redirect(error);
        } else if (error.name() == "amqp:unauthorized-access" || error.name() == "amqp:not-found") {
            fatal(settings_.name + ": IoT Hub refused messages/events: " + error.what());
        } else {
            fatal(settings_.name +
                  ": IoT Hub did not redirect messages/events to its Event Hubs-"
                  "compatible endpoint (" +
                  (error ? error.what() : std::string("link closed")) + ")");
        }
        return;
    }
    const auto index = index_of(receiver);
    if (!index) {
        return;  // a link of an earlier connection
    }
    partition_state& partition = partitions_[*index];
    partition.receiver = proton::receiver();
    const std::string name = error.name();
    const std::string where = settings_.name + " partition " + partition.id;
    if (name == "amqp:link:redirect") {
        follow_redirect(error);
    } else if (name == "amqp:link:stolen") {
        // Another reader with an equal or higher epoch owns the partition now: two jobs read the
        // same consumer group. Stopping is the only way not to lose or double events silently.
        fatal(where + " was taken over by another reader (amqp:link:stolen: " +
              error.description() + "); use one reader per consumer group or another group");
    } else if (name == "amqp:not-found" || name == "amqp:invalid-field" ||
               name == "amqp:resource-limit-exceeded") {
        fatal(where + ": " + error.what());
    } else if (name == "amqp:unauthorized-access") {
        connection_.retry_later(where + ": " + error.what());  // reconnect puts a new token
    } else {
        reattach_later(*index, error ? error.what() : std::string("detached by the peer"));
    }
}

void eventhubs_reader::reattach_later(std::size_t index, const std::string& reason) {
    const auto& backoff = settings_.backoff;
    const auto delay = backoff.delay(link_failures_);
    ++link_failures_;
    std::cerr << "streamcp: " << settings_.name << ": partition " << partitions_[index].id
              << " detached (" << reason << "); reattaching in " << delay.count() << " ms\n";
    pipeline::count_runtime_error(pipeline::runtime_component::source);
    const std::uint64_t link_generation = partitions_[index].link_generation;
    schedule_after(container_, delay, [this, index, link_generation] {
        if (!stopped_ && connection_.ready() && index < partitions_.size() &&
            partitions_[index].link_generation == link_generation && !partitions_[index].receiver) {
            attach(index);
            connection_.wake();
        }
    });
}

void eventhubs_reader::follow_redirect(const proton::error_condition& error) {
    std::map<std::string, std::string> info;
    try {
        std::map<proton::value, proton::value> fields;
        proton::get(error.properties(), fields);
        for (const auto& [key, value] : fields) {
            info[text_of(key)] = text_of(value);
        }
    } catch (const proton::conversion_error&) {
        fatal(settings_.name + ": unreadable redirect information: " + error.what());
        return;
    }
    // address = amqps://<host>:<port>/<event hub name>/
    const std::string address = info["address"];
    const auto scheme_end = address.find("://");
    const auto path_start = address.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    if (scheme_end == std::string::npos || path_start == std::string::npos) {
        fatal(settings_.name + ": the redirect's address '" + address + "' is not a URL");
        return;
    }
    std::string hub = address.substr(path_start + 1);
    while (!hub.empty() && hub.back() == '/') {
        hub.pop_back();
    }
    const bool tls = address.compare(0, scheme_end, "amqps") == 0;
    const std::string hostname = info.contains("hostname")
                                     ? info["hostname"]
                                     : address.substr(scheme_end + 3, path_start - scheme_end - 3);
    amqp_peer peer = settings_.peer;
    try {
        const std::string network_host =
            info.contains("network-host") ? info["network-host"] : hostname;
        split_host_port(info.contains("port") ? network_host + ":" + info["port"] : network_host,
                        tls, "redirect", peer);
    } catch (const std::invalid_argument& bad) {
        fatal(settings_.name + ": " + bad.what());
        return;
    }
    peer.virtual_host = hostname.substr(0, hostname.find(':'));
    std::optional<cbs_credentials> cbs = settings_.cbs;
    if (cbs) {
        // Same policy and key; Event Hubs signs with the key text, not its decoded bytes.
        cbs->encoding = sas_key_encoding::utf8;
        cbs->audience = eventhubs_resource_uri(peer.virtual_host, hub);
    }
    std::cerr << "streamcp: " << settings_.name << ": IoT Hub redirects to " << peer.url() << "/"
              << hub << "\n";
    settings_.mode = eventhubs_reader_settings::kind::eventhubs;
    settings_.hub = hub;
    settings_.peer = peer;
    settings_.cbs = cbs;
    connection_.connect(std::move(peer), std::move(cbs));
}

}  // namespace streamcp::adapters
