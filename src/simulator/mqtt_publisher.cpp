// SPDX-License-Identifier: MIT
#include "mqtt_publisher.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <mosquitto.h>

#include "sas_token.hpp"

namespace streamcp::adapters {
namespace {

using steady = std::chrono::steady_clock;

constexpr std::string_view json_property_bag =
    "$.ct=application%2Fjson%3Bcharset%3Dutf-8&$.ce=utf-8";
/// A CONNACK that has not arrived after this long counts as a lost connection.
constexpr std::chrono::seconds connack_timeout{15};

struct broker_address {
    std::string host;
    int port = 0;
    bool tls = false;
};

broker_address parse_url(std::string_view url) {
    const auto bad = [&](std::string_view why) {
        return std::invalid_argument("--mqtt '" + std::string(url) + "': " + std::string(why) +
                                     "; expected mqtt://HOST[:PORT] (plain TCP, default port "
                                     "1883) or mqtts://HOST[:PORT] (TLS, default port 8883)");
    };
    broker_address out;
    std::string_view rest;
    if (url.starts_with("mqtts://")) {
        out.tls = true;
        out.port = 8883;
        rest = url.substr(8);
    } else if (url.starts_with("mqtt://")) {
        out.port = 1883;
        rest = url.substr(7);
    } else {
        throw bad("unknown scheme");
    }
    if (!rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
    }
    const std::size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
        const std::string_view port = rest.substr(colon + 1);
        int value = 0;
        const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (error != std::errc{} || end != port.data() + port.size() || value < 1 ||
            value > 65535) {
            throw bad("the port must be a number in [1, 65535]");
        }
        out.port = value;
        rest = rest.substr(0, colon);
    }
    if (rest.empty() || rest.find('/') != std::string_view::npos) {
        throw bad("no host");
    }
    out.host = std::string(rest);
    return out;
}

/// libmosquitto's global init/cleanup, once per process while publishers exist.
class mosquitto_library {
  public:
    mosquitto_library() {
        const std::scoped_lock lock(mutex_);
        if (users_++ == 0) {
            mosquitto_lib_init();
        }
    }
    ~mosquitto_library() {
        const std::scoped_lock lock(mutex_);
        if (--users_ == 0) {
            mosquitto_lib_cleanup();
        }
    }
    mosquitto_library(const mosquitto_library&) = delete;
    mosquitto_library& operator=(const mosquitto_library&) = delete;

  private:
    static inline std::mutex mutex_;
    static inline int users_ = 0;
};

struct message {
    std::uint64_t sequence = 0;
    std::string payload;
    bool sent_before = false;  ///< sent on an earlier connection: a resend is a republish
};

enum class link_state { down, connecting, up };

struct connection {
    mqtt_identity identity;
    std::string topic;
    std::string username;
    mosquitto* handle = nullptr;
    link_state link = link_state::down;
    std::deque<message> waiting;       ///< not sent on the current connection
    std::map<int, message> in_flight;  ///< by MQTT message id, awaiting PUBACK
    steady::time_point retry_at{};     ///< when `down`: the next connection attempt
    std::chrono::milliseconds backoff{};
    std::optional<steady::time_point> down_since;
    steady::time_point connect_started{};
    steady::time_point renew_at = steady::time_point::max();
    bool renewing = false;  ///< waiting for in-flight messages to drain before a new token
    bool lost = false;      ///< set by callbacks; handled after the I/O call returns
    int refused = 0;        ///< CONNACK return code when the broker refused the credentials
    mqtt_publisher_stats* stats = nullptr;
};

extern "C" void on_connect(mosquitto* /*handle*/, void* user, int code) {
    auto& c = *static_cast<connection*>(user);
    if (code == 0) {
        c.link = link_state::up;
        ++c.stats->connects;
    } else {
        c.refused = code;
    }
}

extern "C" void on_disconnect(mosquitto* /*handle*/, void* user, int /*code*/) {
    static_cast<connection*>(user)->lost = true;
}

extern "C" void on_publish(mosquitto* /*handle*/, void* user, int mid) {
    auto& c = *static_cast<connection*>(user);
    if (c.in_flight.erase(mid) == 1) {
        ++c.stats->acknowledged;
    }
}

}  // namespace

struct mqtt_publisher::state {
    mosquitto_library library;
    mqtt_publisher_options options;
    broker_address address;
    std::vector<std::unique_ptr<connection>> connections;
    mqtt_publisher_stats stats;
    std::uint64_t next_sequence = 0;

    std::size_t pending() const {
        std::size_t n = 0;
        for (const auto& c : connections) {
            n += c->waiting.size() + c->in_flight.size();
        }
        return n;
    }

    void open(connection& c) {
        c.lost = false;
        c.refused = 0;
        c.handle = mosquitto_new(c.identity.device_id.c_str(), true, &c);
        if (c.handle == nullptr) {
            throw std::runtime_error("MQTT: cannot create a client for device " +
                                     c.identity.device_id);
        }
        mosquitto_int_option(c.handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
        mosquitto_max_inflight_messages_set(c.handle,
                                            static_cast<unsigned int>(options.max_in_flight));
        mosquitto_connect_callback_set(c.handle, on_connect);
        mosquitto_disconnect_callback_set(c.handle, on_disconnect);
        mosquitto_publish_callback_set(c.handle, on_publish);
        const auto now = std::chrono::system_clock::now();
        const auto expiry = options.fixed_expiry.value_or(
            std::chrono::ceil<std::chrono::seconds>(now + options.token_lifetime));
        const std::string password =
            make_sas_token(iothub_resource_uri(c.identity.hub_host, c.identity.device_id),
                           c.identity.key, sas_key_encoding::base64, expiry);
        mosquitto_username_pw_set(c.handle, c.username.c_str(), password.c_str());
        if (address.tls) {
            const int rc = options.ca_file.empty()
                               ? mosquitto_int_option(c.handle, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
                               : mosquitto_tls_set(c.handle, options.ca_file.c_str(), nullptr,
                                                   nullptr, nullptr, nullptr);
            if (rc != MOSQ_ERR_SUCCESS) {
                throw std::runtime_error("MQTT: TLS setup failed (--ca-file '" + options.ca_file +
                                         "'): " + mosquitto_strerror(rc));
            }
        }
        c.renew_at =
            options.fixed_expiry
                ? steady::time_point::max()
                : steady::now() + std::chrono::milliseconds{options.token_lifetime} * 4 / 5;
        c.connect_started = steady::now();
        const int rc = mosquitto_connect(c.handle, address.host.c_str(), address.port,
                                         static_cast<int>(options.keepalive.count()));
        if (rc != MOSQ_ERR_SUCCESS) {
            close(c, false);
            return;
        }
        c.link = link_state::connecting;
    }

    /// Drops the connection; unacknowledged messages go back to the front of the queue, in
    /// order. `clean`: a planned reconnect (token renewal), retried at once.
    void close(connection& c, bool clean) {
        if (c.handle != nullptr) {
            if (c.link != link_state::down) {
                mosquitto_disconnect(c.handle);
            }
            mosquitto_destroy(c.handle);
            c.handle = nullptr;
        }
        const bool was_up = c.link == link_state::up;
        c.link = link_state::down;
        std::vector<message> unacknowledged;
        for (auto& [mid, m] : c.in_flight) {
            m.sent_before = true;
            unacknowledged.push_back(std::move(m));
        }
        c.in_flight.clear();
        std::sort(unacknowledged.begin(), unacknowledged.end(),
                  [](const message& a, const message& b) { return a.sequence < b.sequence; });
        c.waiting.insert(c.waiting.begin(), std::make_move_iterator(unacknowledged.begin()),
                         std::make_move_iterator(unacknowledged.end()));
        const auto now = steady::now();
        if (clean) {
            c.retry_at = now;
            return;
        }
        if (was_up) {
            ++stats.connection_losses;
            c.backoff = options.retry_initial;
        } else {
            c.backoff = std::min(std::max(c.backoff * 2, options.retry_initial), options.retry_max);
        }
        if (!c.down_since) {
            c.down_since = now;
        }
        c.retry_at = now + c.backoff;
    }

    void send_waiting(connection& c) {
        while (!c.waiting.empty() && c.in_flight.size() < options.max_in_flight) {
            message& m = c.waiting.front();
            int mid = 0;
            const int rc =
                mosquitto_publish(c.handle, &mid, c.topic.c_str(),
                                  static_cast<int>(m.payload.size()), m.payload.data(), 1, false);
            if (rc != MOSQ_ERR_SUCCESS) {
                c.lost = true;
                return;
            }
            ++stats.sends;
            if (m.sent_before) {
                ++stats.republished;
            }
            c.in_flight.emplace(mid, std::move(m));
            c.waiting.pop_front();
        }
    }

    /// One round of I/O over every connection, waiting at most `timeout` in total.
    void step(std::chrono::milliseconds timeout) {
        const auto now = steady::now();
        // Zero polls without waiting (publish() between messages).
        const int per_connection =
            static_cast<int>(timeout.count() / static_cast<std::int64_t>(connections.size()));
        bool any_io = false;
        for (auto& owned : connections) {
            connection& c = *owned;
            if (c.link == link_state::down) {
                if (now < c.retry_at) {
                    continue;
                }
                open(c);
                if (c.link == link_state::down) {
                    check_give_up(c);
                    continue;
                }
            }
            if (c.link == link_state::up) {
                c.down_since.reset();
                c.backoff = std::chrono::milliseconds{0};
                if (now >= c.renew_at) {
                    c.renewing = true;
                }
                if (c.renewing) {
                    if (c.in_flight.empty()) {
                        // IoT Hub reads the password only at CONNECT: renew by reconnecting.
                        c.renewing = false;
                        ++stats.token_renewals;
                        close(c, true);
                        continue;
                    }
                } else {
                    send_waiting(c);
                }
            }
            any_io = true;
            const int rc = mosquitto_loop(c.handle, per_connection, 1);
            if (c.refused != 0) {
                const int code = c.refused;
                close(c, false);
                throw std::runtime_error("MQTT broker " + options.url + " refused device " +
                                         c.identity.device_id + " (user '" + c.username +
                                         "'): " + mosquitto_connack_string(code));
            }
            if (rc != MOSQ_ERR_SUCCESS || c.lost ||
                (c.link == link_state::connecting &&
                 steady::now() - c.connect_started > connack_timeout)) {
                close(c, false);
                check_give_up(c);
            }
        }
        if (!any_io) {
            std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds{20}));
        }
    }

    void check_give_up(const connection& c) const {
        if (options.give_up_after.count() > 0 && c.down_since &&
            steady::now() - *c.down_since > options.give_up_after) {
            throw std::runtime_error(
                "MQTT broker " + options.url + " unreachable for device " + c.identity.device_id +
                " for longer than " + std::to_string(options.give_up_after.count()) + " ms; " +
                std::to_string(c.waiting.size() + c.in_flight.size()) + " messages unacknowledged");
        }
    }
};

mqtt_publisher::mqtt_publisher(mqtt_publisher_options options,
                               std::vector<mqtt_identity> identities)
    : state_(std::make_unique<state>()) {
    if (identities.empty()) {
        throw std::invalid_argument("MQTT publisher: no device identity");
    }
    if (options.max_in_flight == 0 || options.max_in_flight > 65535) {
        throw std::invalid_argument("MQTT publisher: max in-flight must be in [1, 65535]");
    }
    if (options.token_lifetime.count() < 1) {
        throw std::invalid_argument("--sas-ttl must be at least 1s");
    }
    state_->address = parse_url(options.url);
    if (!state_->address.tls && !options.ca_file.empty()) {
        throw std::invalid_argument("--ca-file needs an mqtts:// URL");
    }
    state_->options = std::move(options);
    for (mqtt_identity& identity : identities) {
        auto c = std::make_unique<connection>();
        c->topic = telemetry_topic(identity.device_id);
        c->username = username(identity.hub_host, identity.device_id, state_->options.api_version);
        c->identity = std::move(identity);
        c->stats = &state_->stats;
        state_->connections.push_back(std::move(c));
    }
}

mqtt_publisher::~mqtt_publisher() {
    for (auto& c : state_->connections) {
        if (c->handle != nullptr) {
            if (c->link != link_state::down) {
                mosquitto_disconnect(c->handle);
            }
            mosquitto_destroy(c->handle);
        }
    }
}

void mqtt_publisher::publish(std::size_t identity, std::string_view payload) {
    state& s = *state_;
    if (identity >= s.connections.size()) {
        throw std::out_of_range("MQTT publisher: identity " + std::to_string(identity) +
                                " of only " + std::to_string(s.connections.size()));
    }
    s.connections[identity]->waiting.push_back(
        message{s.next_sequence++, std::string(payload), false});
    ++s.stats.published;
    const std::size_t capacity = s.options.max_in_flight * s.connections.size();
    s.step(std::chrono::milliseconds{0});
    while (s.pending() > capacity) {
        s.step(std::chrono::milliseconds{50});
    }
}

void mqtt_publisher::service(std::chrono::steady_clock::time_point until) {
    do {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now());
        state_->step(std::clamp(left, std::chrono::milliseconds{0}, std::chrono::milliseconds{50}));
    } while (steady::now() < until);
}

void mqtt_publisher::finish() {
    state& s = *state_;
    while (s.pending() > 0) {
        s.step(std::chrono::milliseconds{50});
    }
    for (auto& c : s.connections) {
        if (c->handle != nullptr && c->link == link_state::up) {
            mosquitto_disconnect(c->handle);
            mosquitto_loop(c->handle, 10, 1);  // flush the DISCONNECT packet
            c->link = link_state::down;
        }
    }
}

const mqtt_publisher_stats& mqtt_publisher::stats() const noexcept { return state_->stats; }

std::string mqtt_publisher::telemetry_topic(std::string_view device_id) {
    return "devices/" + std::string(device_id) + "/messages/events/" +
           std::string(json_property_bag);
}

std::string mqtt_publisher::username(std::string_view hub_host, std::string_view device_id,
                                     std::string_view api_version) {
    return std::string(hub_host) + "/" + std::string(device_id) +
           "/?api-version=" + std::string(api_version);
}

}  // namespace streamcp::adapters
