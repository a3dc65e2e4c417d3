// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/messaging_handler.hpp>

#include "amqp_peer.hpp"
#include "amqp_request_link.hpp"
#include "runtime_errors.hpp"

namespace streamcp::adapters {

/// Exponential back-off between reconnects: `initial`, doubled per failure up to `max`.
struct backoff_policy {
    std::chrono::milliseconds initial{100};
    std::chrono::milliseconds max{30000};

    /// The wait before attempt `failures` + 1.
    [[nodiscard]] std::chrono::milliseconds delay(unsigned failures) const {
        const auto doubled = initial * (std::int64_t{1} << (failures < 20U ? failures : 20U));
        return doubled < max ? doubled : max;
    }
};

/// One AMQP connection kept open: dials the peer, authorises over `$cbs` when credentials are
/// given (renewing the token at 80% of its lifetime), reports when links may be opened, and
/// redials with exponential back-off when the connection goes away. Event-loop thread only.
class amqp_connection : public proton::messaging_handler {
  public:
    struct events {
        std::function<void(proton::connection&)> ready;  ///< authorised: open links now
        std::function<void()> lost;                      ///< the links are gone; a redial follows
        std::function<void(const std::string&)> fatal;   ///< retrying cannot help (auth refused)

        /// Handlers calling `owner`'s members (the reader's and the writer's `ready`, `lost`
        /// and `fatal`, which may be private: the owner takes their addresses).
        template <class Owner>
        static events calling(Owner* owner, void (Owner::*on_ready)(proton::connection&),
                              void (Owner::*on_lost)(),
                              void (Owner::*on_fatal)(const std::string&)) {
            return {[owner, on_ready](proton::connection& c) { (owner->*on_ready)(c); },
                    [owner, on_lost] { (owner->*on_lost)(); },
                    [owner, on_fatal](const std::string& reason) { (owner->*on_fatal)(reason); }};
        }
    };

    /// `what` names the adapter in messages (e.g. "eventhubs source").
    /// `component`: whose survived errors (reconnects) `streamcp_runtime_errors_total` counts.
    amqp_connection(proton::container& container, std::string what,
                    pipeline::runtime_component component, backoff_policy backoff, events handlers);

    /// Dials `peer` (closing a current connection first: a redirect), authorising with `cbs`.
    void connect(amqp_peer peer, std::optional<cbs_credentials> cbs);
    /// Closes the connection and redials after the back-off (a link failed for `reason`).
    void retry_later(const std::string& reason);
    /// Makes the event loop process the connection (write what was queued on it). Work that
    /// runs outside the connection's own events (posted work, timers) must call it.
    void wake();
    /// Traffic flowed: the next failure starts the back-off from the beginning again.
    void healthy() noexcept { failures_ = 0; }
    /// Closes for good; `closed` runs once the transport is closed (at once when there is none).
    void shutdown(std::function<void()> closed = {});

    [[nodiscard]] bool ready() const noexcept { return ready_; }
    [[nodiscard]] const amqp_peer& peer() const noexcept { return peer_; }
    /// The current connection (valid while `ready`).
    [[nodiscard]] proton::connection& connection() noexcept { return connection_; }
    /// A link pair on `$management` of the current connection, opened on first use.
    [[nodiscard]] amqp_request_link& management();

    void on_connection_open(proton::connection& connection) override;
    void on_connection_error(proton::connection& connection) override;
    void on_transport_error(proton::transport& transport) override;
    void on_transport_close(proton::transport& transport) override;
    void on_session_error(proton::session& session) override;
    void on_error(const proton::error_condition& error) override;

  private:
    void dial();
    void authorise(bool renewal);
    void schedule_renewal();
    void give_up(const std::string& reason);

    proton::container& container_;
    std::string what_;
    pipeline::runtime_component component_;
    backoff_policy backoff_;
    events events_;
    amqp_peer peer_;
    std::optional<cbs_credentials> cbs_;
    proton::connection connection_;
    amqp_request_link cbs_link_{"$cbs"};
    amqp_request_link management_link_{"$management"};
    bool management_open_ = false;
    std::uint64_t generation_ = 0;  // scheduled work of an older connection is ignored
    unsigned failures_ = 0;
    bool ready_ = false;
    bool redial_now_ = false;  // a redirect: no back-off
    bool closed_ = false;
    bool transport_open_ = false;  // dialed and not yet closed
    bool opened_ = false;          // the current dial reached an open connection
    std::function<void()> on_closed_;
    std::string last_error_;
};

}  // namespace streamcp::adapters
