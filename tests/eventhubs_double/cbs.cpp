// SPDX-License-Identifier: MIT
#include "cbs.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include <proton/value.hpp>

#include "node_reply.hpp"

namespace streamcp::eventhubs_double {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool covers_path(std::string_view granted, std::string_view wanted) {
    if (granted.empty()) return true;
    if (!wanted.starts_with(granted)) return false;
    return wanted.size() == granted.size() || wanted[granted.size()] == '/';
}

}  // namespace

void token_grants::grant(std::string audience_path, std::int64_t expires_ms) {
    ever_granted_ = true;
    for (grant_entry& entry : grants_) {
        if (entry.path == audience_path) {  // a renewal replaces the old token
            entry.expires_ms = expires_ms;
            return;
        }
    }
    grants_.push_back({std::move(audience_path), expires_ms});
}

bool token_grants::covers(std::string_view entity_address, std::int64_t now) const {
    std::string wanted = normalized_resource(entity_address);
    return std::ranges::any_of(grants_, [&](const grant_entry& entry) {
        return entry.expires_ms > now && covers_path(entry.path, wanted);
    });
}

void token_grants::expire_all() {
    for (grant_entry& entry : grants_) entry.expires_ms = 0;
}

std::string normalized_resource(std::string_view uri) {
    if (const std::size_t scheme = uri.find("://"); scheme != std::string_view::npos) {
        uri.remove_prefix(scheme + 3);
    }
    while (uri.starts_with('/')) uri.remove_prefix(1);
    while (uri.ends_with('/')) uri.remove_suffix(1);
    return lower(uri);
}

std::string_view resource_path(std::string_view normalized) {
    const std::size_t slash = normalized.find('/');
    return slash == std::string_view::npos ? std::string_view() : normalized.substr(slash + 1);
}

std::optional<std::int64_t> check_token(std::string_view token, std::string_view audience,
                                        const cbs_settings& settings, std::int64_t now,
                                        std::string& why) {
    const std::optional<verified_token> verified =
        verify_sas_token(token, settings.key, settings.handling, now / 1000, why);
    if (!verified) return std::nullopt;
    const std::string wanted = normalized_resource(audience);
    if (!covers_path(normalized_resource(verified->resource), wanted)) {
        why = "token resource (sr) '" + verified->resource + "' does not cover audience '" +
              std::string(audience) + "'";
        return std::nullopt;
    }
    if (!settings.required_host.empty()) {
        const std::string host = wanted.substr(0, wanted.find('/'));
        if (host != lower(settings.required_host)) {
            why = "audience must be the IoT hub host " + settings.required_host;
            return std::nullopt;
        }
    }
    std::int64_t expires_ms = verified->expiry_s * 1000;
    if (settings.max_lifetime_ms)
        expires_ms = std::min(expires_ms, now + *settings.max_lifetime_ms);
    return expires_ms;
}

cbs_outcome put_token(const proton::message& request, const cbs_settings& settings,
                      token_grants& grants, std::int64_t now) {
    if (property_text(request, "operation") != "put-token") {
        return {400, "operation must be put-token"};
    }
    const std::string type = property_text(request, "type");
    if (type != "servicebus.windows.net:sastoken") {
        return {401, "token type '" + type + "' is not accepted (only SAS tokens)"};
    }
    const std::string audience = property_text(request, "name");
    if (audience.empty()) return {400, "application property 'name' (the audience) is missing"};
    const proton::value& body = request.body();
    if (body.type() != proton::STRING) return {400, "the token must be an AMQP string body"};
    std::string why;
    const std::optional<std::int64_t> expires =
        check_token(proton::get<std::string>(body), audience, settings, now, why);
    if (!expires) return {401, why};
    grants.grant(std::string(resource_path(normalized_resource(audience))), *expires);
    return {200, "OK"};
}

}  // namespace streamcp::eventhubs_double
