// SPDX-License-Identifier: MIT
#include "server_sasl.hpp"

#include <string_view>
#include <utility>

#include <proton/sasl_plugin.h>
#include <proton/types.h>

namespace streamcp::eventhubs_double {
namespace {

std::function<bool(const std::string&, const std::string&)>& plain_check() {
    static std::function<bool(const std::string&, const std::string&)> check;
    return check;
}

bool mechanism_allowed(pn_transport_t* transport, std::string_view mechanism) {
    return pnx_sasl_is_mechanism_included(transport, pn_bytes(mechanism.size(), mechanism.data()));
}

// Proton keeps the user name as a pointer: the string lives in the transport's SASL context.
void succeed(pn_transport_t* transport, std::string user) {
    auto* stored = new std::string(std::move(user));
    pnx_sasl_set_context(transport, stored);
    pnx_sasl_set_succeeded(transport, stored->c_str(), nullptr);
}

void free_context(pn_transport_t* transport) {
    delete static_cast<std::string*>(pnx_sasl_get_context(transport));
    pnx_sasl_set_context(transport, nullptr);
}

const char* list_mechanisms(pn_transport_t*) { return "PLAIN ANONYMOUS"; }

bool init_server(pn_transport_t* transport) {
    pnx_sasl_set_desired_state(transport, SASL_POSTED_MECHANISMS);
    return true;
}

bool init_client(pn_transport_t*) { return false; }  // the double never connects out

void prepare_write(pn_transport_t*) {}

// PLAIN's initial response: [authzid] NUL user NUL password.
void process_init(pn_transport_t* transport, const char* mechanism, const pn_bytes_t* response) {
    const std::string_view name(mechanism);
    bool ok = false;
    if (name == "ANONYMOUS" && mechanism_allowed(transport, name)) {
        succeed(transport, "anonymous");
        ok = true;
    } else if (name == "PLAIN" && mechanism_allowed(transport, name) && response != nullptr) {
        const std::string_view text(response->start, response->size);
        const std::size_t first = text.find('\0');
        const std::size_t second =
            first == std::string_view::npos ? first : text.find('\0', first + 1);
        if (second != std::string_view::npos) {
            std::string user(text.substr(first + 1, second - first - 1));
            const std::string password(text.substr(second + 1));
            if (plain_check() && plain_check()(user, password)) {
                succeed(transport, std::move(user));
                ok = true;
            }
        }
    }
    if (!ok) pnx_sasl_set_failed(transport);
    pnx_sasl_set_desired_state(transport, SASL_POSTED_OUTCOME);
}

void process_response(pn_transport_t* transport, const pn_bytes_t*) {
    pnx_sasl_set_failed(transport);  // no mechanism offered here has a challenge
    pnx_sasl_set_desired_state(transport, SASL_POSTED_OUTCOME);
}

bool process_mechanisms(pn_transport_t*, const char*) { return false; }
void process_challenge(pn_transport_t*, const pn_bytes_t*) {}
void process_outcome(pn_transport_t*, const pn_bytes_t*) {}
bool can_encrypt(pn_transport_t*) { return false; }
ssize_t max_encrypt_size(pn_transport_t*) { return 0; }
ssize_t encode(pn_transport_t*, pn_bytes_t, pn_bytes_t*) { return 0; }
ssize_t decode(pn_transport_t*, pn_bytes_t, pn_bytes_t*) { return 0; }

const pnx_sasl_implementation server_sasl{free_context,
                                          list_mechanisms,
                                          init_server,
                                          init_client,
                                          prepare_write,
                                          process_init,
                                          process_response,
                                          process_mechanisms,
                                          process_challenge,
                                          process_outcome,
                                          can_encrypt,
                                          max_encrypt_size,
                                          encode,
                                          decode};

}  // namespace

void install_server_sasl(std::function<bool(const std::string&, const std::string&)> check) {
    plain_check() = std::move(check);
    pnx_sasl_set_default_implementation(&server_sasl);
}

}  // namespace streamcp::eventhubs_double
