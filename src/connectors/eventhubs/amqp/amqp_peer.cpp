// SPDX-License-Identifier: MIT
#include "amqp_peer.hpp"

#include <charconv>
#include <stdexcept>

#include <proton/ssl.hpp>

namespace streamcp::adapters {

std::string amqp_peer::url() const {
    return (tls ? "amqps://" : "amqp://") + host + ":" + std::to_string(port);
}

proton::connection_options amqp_peer::options() const {
    proton::connection_options options;
    options.sasl_enabled(true);
    if (user.empty()) {
        options.sasl_allowed_mechs("ANONYMOUS");
    } else {
        options.sasl_allowed_mechs("PLAIN").user(user).password(password);
        options.sasl_allow_insecure_mechs(!tls);  // PLAIN on loopback test brokers
    }
    if (tls) {
        options.ssl_client_options(proton::ssl_client_options(proton::ssl::VERIFY_PEER_NAME));
    }
    options.virtual_host(virtual_host.empty() ? host : virtual_host);
    return options;
}

std::string cbs_credentials::token(std::chrono::system_clock::time_point now) const {
    return make_sas_token(audience, key, encoding, now + lifetime, key_name);
}

void split_host_port(const std::string& text, bool tls, const std::string& what, amqp_peer& peer) {
    peer.tls = tls;
    peer.port = tls ? 5671 : 5672;
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
        peer.host = text;
    } else {
        peer.host = text.substr(0, colon);
        const std::string digits = text.substr(colon + 1);
        unsigned value = 0;
        const auto [end, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (error != std::errc{} || end != digits.data() + digits.size() || value == 0 ||
            value > 65535) {
            throw std::invalid_argument(what + ": port '" + digits + "' is not in 1..65535");
        }
        peer.port = static_cast<std::uint16_t>(value);
    }
    if (peer.host.empty()) {
        throw std::invalid_argument(what + ": the host is empty");
    }
}

}  // namespace streamcp::adapters
