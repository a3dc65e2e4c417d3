// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <proton/connection_options.hpp>

#include "sas_token.hpp"

namespace streamcp::adapters {

/// Where and how to open an AMQP connection.
struct amqp_peer {
    std::string host;           ///< network host to dial
    std::uint16_t port = 5671;  ///< 5671 with TLS, 5672 without
    bool tls = true;
    std::string virtual_host;  ///< the open frame's hostname (the logical host); empty: `host`
    std::string user;          ///< SASL PLAIN when set, else SASL ANONYMOUS
    std::string password;

    /// `amqps://host:port` / `amqp://host:port`, for dialing and messages.
    [[nodiscard]] std::string url() const;
    /// Connection options for Proton (SASL, TLS, virtual host).
    [[nodiscard]] proton::connection_options options() const;
};

/// How to authorise over `$cbs`: a SAS token for `audience`, renewed before it expires.
struct cbs_credentials {
    std::string audience;  ///< put-token `name` and the token's resource URI
    std::string key_name;
    std::string key;
    sas_key_encoding encoding = sas_key_encoding::utf8;
    std::chrono::seconds lifetime{3600};

    /// A fresh token valid for `lifetime` from now.
    [[nodiscard]] std::string token(std::chrono::system_clock::time_point now) const;
};

/// Splits `host[:port]`; the port defaults by TLS. Throws `std::invalid_argument` naming `what`.
void split_host_port(const std::string& text, bool tls, const std::string& what, amqp_peer& peer);

}  // namespace streamcp::adapters
