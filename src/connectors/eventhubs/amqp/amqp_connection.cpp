// SPDX-License-Identifier: MIT
#include "amqp_connection.hpp"

#include <algorithm>
#include <iostream>
#include <utility>

#include <proton/connection_options.hpp>
#include <proton/duration.hpp>
#include <proton/error_condition.hpp>
#include <proton/session.hpp>
#include <proton/transport.hpp>

#include "amqp_cbs.hpp"
#include "amqp_runner.hpp"

namespace streamcp::adapters {
namespace {}  // namespace

amqp_connection::amqp_connection(proton::container& container, std::string what,
                                 pipeline::runtime_component component, backoff_policy backoff,
                                 events handlers)
    : container_(container),
      what_(std::move(what)),
      component_(component),
      backoff_(backoff),
      events_(std::move(handlers)) {}

void amqp_connection::connect(amqp_peer peer, std::optional<cbs_credentials> cbs) {
    peer_ = std::move(peer);
    cbs_ = std::move(cbs);
    if (transport_open_ && !connection_.closed()) {
        redial_now_ = true;  // on_transport_close dials the new peer
        connection_.close();
        return;
    }
    dial();
}

void amqp_connection::dial() {
    if (closed_) {
        return;
    }
    ++generation_;
    ready_ = false;
    management_open_ = false;
    proton::connection_options options = peer_.options();
    options.handler(*this);
    options.idle_timeout(proton::duration(60000));  // heartbeats find a dead peer
    connection_ = container_.connect(peer_.url(), options);
    transport_open_ = true;
    opened_ = false;
}

void amqp_connection::retry_later(const std::string& reason) {
    if (closed_) {
        return;
    }
    last_error_ = reason;
    ready_ = false;
    if (transport_open_ && !connection_.closed()) {
        connection_.close();  // on_transport_close schedules the redial
        wake();
    }
}

void amqp_connection::wake() {
    if (transport_open_) {
        connection_.wake();
    }
}

void amqp_connection::shutdown(std::function<void()> closed) {
    closed_ = true;
    ready_ = false;
    if (!transport_open_) {
        if (closed) {
            closed();
        }
        return;
    }
    on_closed_ = std::move(closed);
    if (!connection_.closed()) {
        connection_.close();
        wake();
    }
}

amqp_request_link& amqp_connection::management() {
    if (!management_open_) {
        management_link_.open(connection_);
        management_open_ = true;
    }
    return management_link_;
}

void amqp_connection::on_connection_open(proton::connection& connection) {
    connection_ = connection;
    opened_ = true;
    if (!cbs_) {
        ready_ = true;
        events_.ready(connection_);
        return;
    }
    cbs_link_.open(connection_);
    authorise(false);
}

void amqp_connection::authorise(bool renewal) {
    const std::uint64_t generation = generation_;
    cbs_put_token(cbs_link_, cbs_->audience, cbs_->token(std::chrono::system_clock::now()),
                  [this, generation, renewal](const cbs_result& result) {
                      if (generation != generation_ || closed_) {
                          return;
                      }
                      if (result.refused()) {
                          give_up("$cbs refused the token for '" + cbs_->audience +
                                  "': " + std::to_string(result.status) + " " + result.description +
                                  " (check the connection string's key and policy)");
                          return;
                      }
                      if (!result.authorised()) {
                          retry_later("$cbs put-token failed: " +
                                      (result.status == 0 ? result.description
                                                          : std::to_string(result.status) + " " +
                                                                result.description));
                          return;
                      }
                      schedule_renewal();
                      if (!renewal) {
                          ready_ = true;
                          events_.ready(connection_);
                      }
                  });
}

void amqp_connection::schedule_renewal() {
    const std::uint64_t generation = generation_;
    const auto lifetime = std::chrono::duration_cast<std::chrono::milliseconds>(cbs_->lifetime);
    // The token's expiry has whole seconds (it may end up to 1 s early): renew at 80% of the rest.
    const auto renew_after =
        std::max(std::chrono::milliseconds(200), (lifetime - std::chrono::seconds(1)) * 4 / 5);
    schedule_after(container_, renew_after, [this, generation] {
        if (generation == generation_ && ready_ && !closed_) {
            authorise(true);
            wake();
        }
    });
}

void amqp_connection::give_up(const std::string& reason) {
    closed_ = true;
    ready_ = false;
    if (transport_open_ && !connection_.closed()) {
        connection_.close();
    }
    events_.fatal(what_ + ": " + reason);
}

void amqp_connection::on_connection_error(proton::connection& connection) {
    const proton::error_condition error = connection.error();
    last_error_ = error.what();
    if (error.name() == "amqp:unauthorized-access") {
        give_up("the peer refused the connection: " + error.what());
    }
}

void amqp_connection::on_transport_error(proton::transport& transport) {
    last_error_ = transport.error().what();
}

void amqp_connection::on_session_error(proton::session& session) {
    retry_later("session closed: " + session.error().what());
}

void amqp_connection::on_error(const proton::error_condition& error) { last_error_ = error.what(); }

void amqp_connection::on_transport_close(proton::transport& /*unused*/) {
    transport_open_ = false;
    ready_ = false;
    cbs_link_.reset();
    management_link_.reset();
    management_open_ = false;
    ++generation_;
    if (closed_) {
        if (on_closed_) {
            std::exchange(on_closed_, {})();
        }
        return;
    }
    events_.lost();
    if (redial_now_) {
        redial_now_ = false;
        dial();
        return;
    }
    const auto delay = backoff_.delay(failures_);
    ++failures_;
    pipeline::count_runtime_error(component_);
    // A connection that never opened was not lost: say that it could not be made.
    std::cerr << "streamcp: " << what_ << ": "
              << (opened_ ? "connection to " + peer_.url() + " lost ("
                          : "cannot connect to " + peer_.url() + " (")
              << (last_error_.empty() ? "closed by the peer" : last_error_)
              << (opened_ ? "); reconnecting in " : "); retrying in ") << delay.count() << " ms\n";
    last_error_.clear();
    const std::uint64_t generation = generation_;
    schedule_after(container_, delay, [this, generation] {
        if (generation == generation_) {
            dial();
        }
    });
}

}  // namespace streamcp::adapters
