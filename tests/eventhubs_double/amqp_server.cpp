// SPDX-License-Identifier: MIT
#include "amqp_server.hpp"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <proton/codec.h>
#include <proton/codec/decoder.hpp>
#include <proton/codec/map.hpp>
#include <proton/condition.h>
#include <proton/connection_options.hpp>
#include <proton/delivery.h>
#include <proton/delivery.hpp>
#include <proton/disposition.h>
#include <proton/duration.hpp>
#include <proton/error.hpp>
#include <proton/error_condition.hpp>
#include <proton/link.h>
#include <proton/link.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver_options.hpp>
#include <proton/source.hpp>
#include <proton/symbol.hpp>
#include <proton/target.hpp>
#include <proton/transport.hpp>
#include <proton/value.hpp>
#include <proton/work_queue.hpp>

#include "event_batch.hpp"
#include "event_message.hpp"
#include "frame_relay.hpp"
#include "management.hpp"
#include "node_reply.hpp"
#include "raw_message_tap.hpp"
#include "start_position.hpp"

namespace streamcp::eventhubs_double {
namespace {

constexpr std::string_view cbs_node = "$cbs";
constexpr std::string_view management_node = "$management";
constexpr const char* unauthorized = "amqp:unauthorized-access";
constexpr const char* not_found = "amqp:not-found";
constexpr const char* stolen = "amqp:link:stolen";
constexpr int max_receivers_without_epoch = 5;

std::atomic<bool> stop_requested{false};

// "amqps://host:5671/hub/x" and "/hub/x" -> "hub/x".
std::string entity_address(std::string address) {
    if (const std::size_t scheme = address.find("://"); scheme != std::string::npos) {
        const std::size_t slash = address.find('/', scheme + 3);
        address = slash == std::string::npos ? std::string() : address.substr(slash + 1);
    }
    while (!address.empty() && address.front() == '/') address.erase(0, 1);
    return address;
}

std::vector<std::string> split_path(const std::string& address) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= address.size()) {
        const std::size_t slash = std::min(address.find('/', start), address.size());
        parts.push_back(address.substr(start, slash - start));
        start = slash + 1;
    }
    return parts;
}

std::optional<std::size_t> partition_number(const std::string& text, const event_hub& hub) {
    std::size_t index = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), index);
    if (error != std::errc{} || end != text.data() + text.size() ||
        index >= hub.partitions.size()) {
        return std::nullopt;
    }
    return index;
}

bool is_iothub_events_address(const std::string& address) {
    return address.size() >= 15 &&
           iequals(std::string_view(address).substr(0, 15), "messages/events");
}

// Proton C++ rejects without an error condition; Event Hubs names the reason
// (com.microsoft:server-busy), so set the disposition through the C API.
class raw_delivery : public proton::delivery {
  public:
    explicit raw_delivery(const proton::delivery& wrapped) : proton::delivery(wrapped) {}
    [[nodiscard]] pn_delivery_t* get() const { return pn_object(); }
};

void reject_with(const proton::delivery& delivery, const char* condition,
                 const std::string& description) {
    pn_delivery_t* raw = raw_delivery(delivery).get();
    pn_condition_t* error = pn_disposition_condition(pn_delivery_local(raw));
    pn_condition_set_name(error, condition);
    pn_condition_set_description(error, description.c_str());
    pn_delivery_update(raw, PN_REJECTED);
    pn_delivery_settle(raw);
}

class raw_link : public proton::link {
  public:
    explicit raw_link(const proton::link& wrapped) : proton::link(wrapped) {}
    [[nodiscard]] pn_link_t* get() const { return pn_object(); }
};

void put_symbol(pn_data_t* data, std::string_view text) {
    pn_data_put_symbol(data, pn_bytes(text.size(), text.data()));
}

void put_string(pn_data_t* data, std::string_view text) {
    pn_data_put_string(data, pn_bytes(text.size(), text.data()));
}

// Proton C++ 0.37 drops an error condition's properties when it closes a link, and the redirect
// is useless without its info map: close through the C API instead.
void close_with_redirect(const proton::link& link, const std::string& hostname, int port,
                         const std::string& address) {
    pn_link_t* raw = raw_link(link).get();
    pn_condition_t* error = pn_link_condition(raw);
    pn_condition_set_name(error, "amqp:link:redirect");
    pn_condition_set_description(error, "use the Event Hubs-compatible endpoint");
    pn_data_t* info = pn_condition_info(error);
    pn_data_clear(info);
    pn_data_put_map(info);
    pn_data_enter(info);
    put_symbol(info, "hostname");
    put_string(info, hostname);
    put_symbol(info, "network-host");
    put_string(info, "127.0.0.1");
    put_symbol(info, "port");
    pn_data_put_int(info, port);
    put_symbol(info, "address");
    put_string(info, address);
    pn_data_exit(info);
    pn_link_close(raw);
}

// Changes made to a connection outside its own events (timers, another connection's message,
// control commands) are only written out when the proactor next serves that connection: wake it.
void wake(const proton::connection& connection) {
    proton::connection(connection).work_queue().add([] {});
}

// The selector filter value is a described string (descriptor = the same symbol).
std::optional<std::string> selector_expression(const proton::source& source) {
    const proton::symbol key("apache.org:selector-filter:string");
    const proton::source::filter_map& filters = source.filters();
    if (!filters.exists(key)) return std::nullopt;
    const proton::value filter = filters.get(key);
    try {
        proton::codec::decoder decoder(filter);
        if (decoder.next_type() == proton::STRING) {
            std::string expression;
            decoder >> expression;
            return expression;
        }
        proton::codec::start start;
        decoder >> start;
        proton::value descriptor;
        decoder >> descriptor;
        std::string expression;
        decoder >> expression;
        return expression;
    } catch (const proton::error&) {
        return std::string("<not a described string>");
    }
}

std::optional<std::int64_t> epoch_of(const proton::link& link) {
    const std::map<proton::symbol, proton::value> properties = link.properties();
    const auto it = properties.find(proton::symbol("com.microsoft:epoch"));
    if (it == properties.end()) return std::nullopt;
    try {
        return proton::coerce<std::int64_t>(it->second);
    } catch (const proton::error&) {
        return std::nullopt;
    }
}

void write_port_file(const std::string& path, int port) {
    if (path.empty()) return;
    const std::string temporary = path + ".tmp";
    {
        std::ofstream file(temporary, std::ios::trunc);
        file << port << '\n';
    }
    std::rename(temporary.c_str(), path.c_str());  // readers never see a partial file
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Proton callbacks, per listener role.
// ---------------------------------------------------------------------------------------------
class amqp_server::endpoint_handler : public proton::messaging_handler {
  public:
    endpoint_handler(amqp_server& server, endpoint_role role) : server_(server), role_(role) {}

    void on_connection_open(proton::connection& connection) override {
        connection_state state;
        state.role = role_;
        state.opened_ms = now_ms();
        const std::string user = connection.user();
        state.sasl_plain =
            role_ == endpoint_role::eventhubs
                ? user == server_.options_.key.name
                : user == server_.options_.key.name + "@sas.root." + server_.options_.iothub_name;
        server_.connections_[connection] = std::move(state);
        server_.log("connection open (user '" + user + "')");
        connection.open();
    }
    void on_sender_open(proton::sender& sender) override { server_.open_sender(role_, sender); }
    void on_receiver_open(proton::receiver& receiver) override {
        server_.open_receiver(role_, receiver);
    }
    void on_message(proton::delivery& delivery, proton::message& message) override {
        server_.on_message(delivery, message);
    }
    void on_sendable(proton::sender& sender) override { server_.on_sendable(sender); }
    void on_sender_close(proton::sender& sender) override { server_.forget_link(sender); }
    void on_sender_detach(proton::sender& sender) override { server_.forget_link(sender); }
    void on_receiver_close(proton::receiver& receiver) override { server_.forget_link(receiver); }
    void on_receiver_detach(proton::receiver& receiver) override { server_.forget_link(receiver); }
    void on_connection_close(proton::connection& connection) override {
        server_.forget(connection);
    }
    void on_transport_close(proton::transport& transport) override {
        server_.forget(transport.connection());
    }
    void on_error(const proton::error_condition& error) override {
        server_.log("error: " + error.what());
    }

  private:
    amqp_server& server_;
    endpoint_role role_;
};

class amqp_server::announcing_listener : public proton::listen_handler {
  public:
    announcing_listener(amqp_server& server, endpoint_role role, endpoint_handler& handler)
        : server_(server), role_(role), handler_(handler) {}

    void on_open(proton::listener& listener) override {
        // Clients reach Proton's listener through the relay, which completes its performatives.
        int port = 0;
        try {
            port = relay_.start(role_ == endpoint_role::eventhubs ? server_.options_.port
                                                                  : server_.options_.iothub_port,
                                listener.port(), server_.options_.max_frame_size);
        } catch (const std::runtime_error& error) {
            on_error(listener, error.what());
            return;
        }
        if (role_ == endpoint_role::eventhubs) {
            server_.eventhubs_port_ = port;
            write_port_file(server_.options_.port_file, port);
            server_.out_.line("listening " + std::to_string(port));
            if (!server_.options_.iothub_name.empty()) {  // the redirect needs the port above
                server_.container_->listen("127.0.0.1:0", *server_.iothub_listener_);
            }
        } else {
            write_port_file(server_.options_.iothub_port_file, port);
            server_.out_.line("iothub-listening " + std::to_string(port));
        }
    }
    proton::connection_options on_accept(proton::listener&) override {
        return proton::connection_options()
            .handler(handler_)
            // Proton 0.37 refuses frames of its limit and one byte less, so it is given two bytes
            // more; the relay advertises the limit itself in the open frame.
            .max_frame_size(server_.options_.max_frame_size + 2)
            .max_sessions(server_.options_.channel_max)
            // Proton advertises half its own deadline: this advertises the timeout itself and
            // closes a connection silent for twice as long.
            .idle_timeout(proton::duration(2 * server_.options_.idle_timeout_ms))
            .sasl_enabled(true)
            .sasl_allow_insecure_mechs(true)
            .sasl_allowed_mechs("ANONYMOUS PLAIN");
    }
    void on_error(proton::listener&, const std::string& what) override {
        server_.out_.diagnostic("cannot listen: " + what);
        server_.failed_ = true;
        request_stop();  // through the sweep, which also ends its own timer
    }

  private:
    amqp_server& server_;
    endpoint_role role_;
    endpoint_handler& handler_;
    frame_relay relay_;
};

// ---------------------------------------------------------------------------------------------
// Setup.
// ---------------------------------------------------------------------------------------------
amqp_server::amqp_server(const double_options& options, event_store& store, line_output& out)
    : options_(options), store_(store), out_(out) {
    eventhubs_cbs_.key = options.key;
    eventhubs_cbs_.handling = key_handling::as_text;
    eventhubs_cbs_.max_lifetime_ms = options.max_token_lifetime_ms;
    iothub_cbs_ = eventhubs_cbs_;
    iothub_cbs_.handling = key_handling::base64_decoded;
    iothub_cbs_.required_host = options.iothub_host;
    eventhubs_handler_ = std::make_unique<endpoint_handler>(*this, endpoint_role::eventhubs);
    iothub_handler_ = std::make_unique<endpoint_handler>(*this, endpoint_role::iothub);
    eventhubs_listener_ =
        std::make_unique<announcing_listener>(*this, endpoint_role::eventhubs, *eventhubs_handler_);
    iothub_listener_ =
        std::make_unique<announcing_listener>(*this, endpoint_role::iothub, *iothub_handler_);
}

amqp_server::~amqp_server() = default;

void amqp_server::start(proton::container& container) {
    container_ = &container;
    container.listen("127.0.0.1:0", *eventhubs_listener_);  // behind the relay
    container.schedule(proton::duration(100), [this] { sweep(); });
}

void amqp_server::request_stop() { stop_requested = true; }

const cbs_settings& amqp_server::cbs_for(endpoint_role role) const {
    return role == endpoint_role::eventhubs ? eventhubs_cbs_ : iothub_cbs_;
}

void amqp_server::log(const std::string& text) {
    if (options_.verbose) out_.diagnostic(text);
}

// ---------------------------------------------------------------------------------------------
// Links.
// ---------------------------------------------------------------------------------------------
namespace {

// Attach, then detach with the error: how the service answers an attach it refuses.
void refuse(proton::sender& sender, const proton::error_condition& error) {
    sender.open();
    sender.close(error);
}

void refuse(proton::receiver& receiver, const proton::error_condition& error) {
    receiver.open(proton::receiver_options().credit_window(0));
    receiver.close(error);
}

}  // namespace

bool amqp_server::authorized(const proton::connection& connection, const std::string& address) {
    const auto it = connections_.find(connection);
    if (it == connections_.end()) return false;
    return it->second.sasl_plain || it->second.grants.covers(address, now_ms());
}

// The IoT Hub front: CBS, and a redirect for anything under messages/events.
template <class Link>
void amqp_server::answer_on_iothub(Link& link, const std::string& address) {
    if (!is_iothub_events_address(address)) {
        refuse(link, {not_found, "the IoT Hub front only serves messages/events"});
    } else if (!authorized(link.connection(), address)) {
        refuse(link, {unauthorized, "put a token for " + options_.iothub_host + " first"});
    } else {
        log("redirect " + address);
        if constexpr (std::is_same_v<Link, proton::receiver>) {
            link.open(proton::receiver_options().credit_window(0));
        } else {
            link.open();
        }
        close_with_redirect(link, options_.eventhubs_host, eventhubs_port_,
                            "amqp://127.0.0.1:" + std::to_string(eventhubs_port_) + "/" +
                                store_.iothub_endpoint().name + "/");
    }
}

void amqp_server::open_sender(endpoint_role role, proton::sender& sender) {
    const std::string raw_address = sender.source().address();
    if (raw_address == cbs_node ||
        (raw_address == management_node && role == endpoint_role::eventhubs)) {
        sender.open();
        node_links_[sender];
        return;
    }
    const std::string address = entity_address(raw_address);
    if (role == endpoint_role::iothub) {
        answer_on_iothub(sender, address);
        return;
    }
    open_partition_consumer(sender, address);
}

void amqp_server::open_receiver(endpoint_role role, proton::receiver& receiver) {
    const std::string raw_address = receiver.target().address();
    if (raw_address == cbs_node ||
        (raw_address == management_node && role == endpoint_role::eventhubs)) {
        receiver.open();
        return;
    }
    const std::string address = entity_address(raw_address);
    if (role == endpoint_role::iothub) {
        answer_on_iothub(receiver, address);
        return;
    }
    open_producer(receiver, address);
}

void amqp_server::open_partition_consumer(proton::sender& sender, const std::string& address) {
    const std::vector<std::string> parts = split_path(address);
    event_hub* hub = parts.empty() ? nullptr : store_.find(parts[0]);
    if (hub == nullptr || parts.size() != 5 || !iequals(parts[1], "ConsumerGroups") ||
        !iequals(parts[3], "Partitions")) {
        refuse(sender, {not_found, "no entity '" + address +
                                       "' (expected <hub>/ConsumerGroups/"
                                       "<group>/Partitions/<n>)"});
        return;
    }
    const bool known_group =
        std::ranges::any_of(options_.consumer_groups,
                            [&](const std::string& group) { return iequals(group, parts[2]); });
    const std::optional<std::size_t> partition = partition_number(parts[4], *hub);
    if (!known_group || !partition) {
        refuse(sender, {not_found, "no consumer group '" + parts[2] + "' or partition '" +
                                       parts[4] + "' in " + hub->name});
        return;
    }
    if (!authorized(sender.connection(), address)) {
        refuse(sender, {unauthorized, "no valid token covers " + address});
        return;
    }
    start_position position;
    if (const std::optional<std::string> expression = selector_expression(sender.source())) {
        const std::optional<start_position> parsed = parse_selector(*expression);
        if (!parsed) {
            refuse(sender, {"amqp:invalid-field", "selector filter '" + *expression +
                                                      "' is not an offset, sequence number or "
                                                      "enqueued-time position"});
            return;
        }
        position = *parsed;
    }

    // Epochs: an equal or higher epoch takes the partition over; see the research notes §2.2.
    const std::optional<std::int64_t> epoch = epoch_of(sender);
    std::vector<proton::sender> same_partition;
    std::optional<std::int64_t> held_epoch;
    for (const auto& [other, consumer] : consumers_) {
        if (consumer.hub == hub && iequals(consumer.group, parts[2]) &&
            consumer.partition == *partition) {
            same_partition.push_back(other);
            if (consumer.epoch)
                held_epoch = std::max(held_epoch.value_or(*consumer.epoch), *consumer.epoch);
        }
    }
    if (epoch) {
        if (held_epoch && *held_epoch > *epoch) {
            refuse(sender, {stolen, "a receiver with the higher epoch " +
                                        std::to_string(*held_epoch) + " holds " + address});
            return;
        }
        for (proton::sender& other : same_partition) {
            other.close({stolen, "new receiver with epoch " + std::to_string(*epoch) +
                                     " took over " + address});
            wake(other.connection());
            consumers_.erase(other);
        }
    } else if (held_epoch) {
        refuse(sender, {stolen, "a receiver with epoch " + std::to_string(*held_epoch) + " holds " +
                                    address});
        return;
    } else if (same_partition.size() >= max_receivers_without_epoch) {
        refuse(sender, {"amqp:resource-limit-exceeded",
                        "at most 5 receivers per partition and consumer group"});
        return;
    }

    sender.open();
    consumer_link consumer;
    consumer.hub = hub;
    consumer.group = parts[2];
    consumer.partition = *partition;
    consumer.next = first_index(hub->partitions[*partition], position);
    consumer.epoch = epoch;
    consumer.address = address;
    log("receiver on " + address + " starts at index " + std::to_string(consumer.next));
    push(sender, consumers_[sender] = std::move(consumer));
}

void amqp_server::open_producer(proton::receiver& receiver, const std::string& address) {
    const std::vector<std::string> parts = split_path(address);
    event_hub* hub = parts.empty() ? nullptr : store_.find(parts[0]);
    const bool whole_hub = parts.size() == 1;
    const bool one_partition = parts.size() == 3 && iequals(parts[1], "Partitions");
    if (hub == nullptr || (!whole_hub && !one_partition)) {
        refuse(receiver,
               {not_found, "no entity '" + address + "' (expected <hub> or <hub>/Partitions/<n>)"});
        return;
    }
    producer_link producer;
    producer.hub = hub;
    producer.address = address;
    if (one_partition) {
        producer.partition = partition_number(parts[2], *hub);
        if (!producer.partition) {
            refuse(receiver, {not_found, "no partition '" + parts[2] + "' in " + hub->name});
            return;
        }
    }
    if (!authorized(receiver.connection(), address)) {
        refuse(receiver, {unauthorized, "no valid token covers " + address});
        return;
    }
    // As the service does: senders learn the limit at attach and check sizes themselves.
    pn_link_set_max_message_size(raw_link(receiver).get(), options_.max_message_size);
    receiver.open();
    producers_[receiver] = std::move(producer);
}

// ---------------------------------------------------------------------------------------------
// Messages.
// ---------------------------------------------------------------------------------------------
void amqp_server::on_message(proton::delivery& delivery, proton::message& message) {
    const proton::receiver receiver = delivery.receiver();
    const std::string address = receiver.target().address();
    if (address == cbs_node) {
        delivery.accept();
        handle_put_token(receiver, message);
    } else if (address == management_node) {
        delivery.accept();
        handle_management(receiver, message);
    } else {
        handle_event(delivery);  // from the encoded bytes: batches need every section
    }
}

void amqp_server::handle_put_token(const proton::receiver& receiver,
                                   const proton::message& request) {
    const auto it = connections_.find(receiver.connection());
    if (it == connections_.end()) return;
    const cbs_outcome outcome =
        put_token(request, cbs_for(it->second.role), it->second.grants, now_ms());
    log("put-token " + property_text(request, "name") + ": " + std::to_string(outcome.status_code) +
        " " + outcome.description);
    reply(receiver.connection(), std::string(cbs_node), request,
          make_node_reply(request, outcome.status_code, outcome.description));
}

void amqp_server::handle_management(const proton::receiver& receiver,
                                    const proton::message& request) {
    const std::string hub = property_text(request, "name");
    if (!authorized(receiver.connection(), hub)) {
        reply(receiver.connection(), std::string(management_node), request,
              make_node_reply(request, 401, "no valid token covers '" + hub + "'"));
        return;
    }
    const management_outcome outcome = read_entity(request, store_);
    reply(receiver.connection(), std::string(management_node), request,
          make_node_reply(request, outcome.status_code, outcome.description, outcome.body));
}

bool amqp_server::next_is_busy() {
    const std::uint64_t count = ++messages_received_;
    if (busy_pending_ > 0) {
        --busy_pending_;
        return true;
    }
    return count <= options_.busy_first ||
           (options_.busy_every > 0 && count % options_.busy_every == 0);
}

void amqp_server::handle_event(proton::delivery& delivery) {
    const auto it = producers_.find(delivery.receiver());
    if (it == producers_.end()) {
        reject_with(delivery, not_found, "the link is not attached to an event hub");
        return;
    }
    if (next_is_busy()) {
        log("server-busy for a message to " + it->second.address);
        reject_with(delivery, "com.microsoft:server-busy",
                    "the test double throttles this message (busy); retry later");
        return;
    }
    // A copy: decoding the batch's events goes through the tap again and replaces its bytes.
    const std::string encoded(last_decoded_message());
    sent_events sent = read_sent_message(encoded);
    if (!sent.error_condition.empty()) {
        log("refused a message to " + it->second.address + ": " + sent.error_description);
        reject_with(delivery, sent.error_condition.c_str(), sent.error_description);
        return;
    }
    // Azure counts a batch whole against the limit; a single event by its body.
    const std::size_t size = sent.batch ? encoded.size() : sent.events[0].body.size();
    if (size > options_.max_message_size) {
        reject_with(delivery, "amqp:link:message-size-exceeded",
                    (sent.batch ? "batch of " : "body of ") + std::to_string(size) +
                        " bytes exceeds " + std::to_string(options_.max_message_size));
        return;
    }
    event_hub& hub = *it->second.hub;
    const std::string& key = sent.events.front().partition_key;  // a batch has one key
    std::size_t partition = 0;
    if (it->second.partition) {
        partition = *it->second.partition;
    } else if (!key.empty()) {
        partition = partition_for_key(key, hub.partitions.size());
    } else {
        partition = hub.next_round_robin++ % hub.partitions.size();
    }
    for (stored_event& event : sent.events) append(hub, partition, std::move(event));
    delivery.accept();
}

void amqp_server::reply(const proton::connection& connection, const std::string& node,
                        const proton::message& request, proton::message reply_message) {
    // The reply goes to the client's receiver on the same node whose target is the reply-to.
    std::optional<proton::sender> chosen;
    for (auto& [sender, outbox] : node_links_) {
        if (sender.connection() != connection || sender.source().address() != node) continue;
        if (!chosen || sender.target().address() == request.reply_to()) chosen = sender;
    }
    if (!chosen) {
        log("no " + node + " reply link on the connection; reply dropped");
        return;
    }
    node_links_[*chosen].push_back(std::move(reply_message));
    on_sendable(*chosen);
}

void amqp_server::on_sendable(proton::sender& sender) {
    if (const auto node = node_links_.find(sender); node != node_links_.end()) {
        while (sender.active() && sender.credit() > 0 && !node->second.empty()) {
            sender.send(node->second.front());
            node->second.pop_front();
        }
        return;
    }
    if (const auto consumer = consumers_.find(sender); consumer != consumers_.end()) {
        push(sender, consumer->second);
    }
}

void amqp_server::push(const proton::sender& sender, consumer_link& consumer) {
    proton::sender link = sender;
    const partition_log& log = consumer.hub->partitions[consumer.partition];
    while (link.active() && link.credit() > 0 && consumer.next < log.size()) {
        link.send(to_delivery(log.at(consumer.next)));
        ++consumer.next;
    }
}

void amqp_server::append(event_hub& hub, std::size_t partition, stored_event event) {
    hub.partitions.at(partition).append(std::move(event));
    for (auto& [sender, consumer] : consumers_) {
        if (consumer.hub == &hub && consumer.partition == partition) {
            push(sender, consumer);
            wake(sender.connection());  // usually another connection than the producer's
        }
    }
}

void amqp_server::append_telemetry(stored_event event) {
    event_hub& hub = store_.iothub_endpoint();
    const std::size_t partition = partition_for_key(event.device_id, hub.partitions.size());
    append(hub, partition, std::move(event));
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping, expiry and faults.
// ---------------------------------------------------------------------------------------------
void amqp_server::forget_link(const proton::link& link) {
    std::erase_if(consumers_, [&](const auto& entry) { return entry.first == link; });
    std::erase_if(producers_, [&](const auto& entry) { return entry.first == link; });
    std::erase_if(node_links_, [&](const auto& entry) { return entry.first == link; });
}

void amqp_server::forget(const proton::connection& connection) {
    const auto on_connection = [&](const auto& entry) {
        return entry.first.connection() == connection;
    };
    std::erase_if(consumers_, on_connection);
    std::erase_if(producers_, on_connection);
    std::erase_if(node_links_, on_connection);
    connections_.erase(connection);
}

void amqp_server::sweep() {
    if (stop_requested) {
        container_->stop();
        return;
    }
    const std::int64_t now = now_ms();
    std::vector<proton::connection> late;
    for (const auto& [connection, state] : connections_) {
        if (!state.sasl_plain && !state.grants.ever_granted() &&
            now - state.opened_ms >= options_.token_deadline_ms) {
            late.push_back(connection);
        }
    }
    for (proton::connection& connection : late) {
        connection.close({unauthorized, "no token was put within " +
                                            std::to_string(options_.token_deadline_ms) + " ms"});
        wake(connection);
        forget(connection);
    }
    std::vector<proton::sender> expired_consumers;
    for (const auto& [sender, consumer] : consumers_) {
        if (!authorized(sender.connection(), consumer.address)) expired_consumers.push_back(sender);
    }
    for (proton::sender& sender : expired_consumers) {
        sender.close({unauthorized, "token expired for " + consumers_[sender].address});
        wake(sender.connection());
        consumers_.erase(sender);
    }
    std::vector<proton::receiver> expired_producers;
    for (const auto& [receiver, producer] : producers_) {
        if (!authorized(receiver.connection(), producer.address)) {
            expired_producers.push_back(receiver);
        }
    }
    for (proton::receiver& receiver : expired_producers) {
        receiver.close({unauthorized, "token expired for " + producers_[receiver].address});
        wake(receiver.connection());
        producers_.erase(receiver);
    }
    container_->schedule(proton::duration(100), [this] { sweep(); });
}

void amqp_server::detach_all(const std::string& condition, const std::string& description) {
    for (auto& [sender, consumer] : consumers_) {
        proton::sender link = sender;
        link.close({condition, description});
        wake(link.connection());
    }
    for (auto& [receiver, producer] : producers_) {
        proton::receiver link = receiver;
        link.close({condition, description});
        wake(link.connection());
    }
    consumers_.clear();
    producers_.clear();
}

void amqp_server::drop_connections() {
    for (auto& [connection, state] : connections_) {
        proton::connection link = connection;
        link.close({"amqp:connection:forced", "the test double dropped the connection"});
        wake(link);
    }
    consumers_.clear();
    producers_.clear();
    node_links_.clear();
    connections_.clear();
}

void amqp_server::expire_tokens() {
    // The next sweep (within 100 ms) detaches the links these tokens covered.
    for (auto& [connection, state] : connections_) state.grants.expire_all();
}

std::string amqp_server::stats() {
    std::string text;
    for (const event_hub& hub : store_.hubs()) {
        if (!text.empty()) text += '\n';
        text += "stats " + hub.name;
        for (std::size_t i = 0; i < hub.partitions.size(); ++i) {
            text += " " + std::to_string(i) + "=" + std::to_string(hub.partitions[i].size());
        }
    }
    return text;
}

}  // namespace streamcp::eventhubs_double
