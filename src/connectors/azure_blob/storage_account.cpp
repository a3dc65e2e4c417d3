// SPDX-License-Identifier: MIT
#include "storage_account.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "ascii_case.hpp"
#include "connection_string.hpp"
#include "sas_token.hpp"

namespace streamcp::adapters {
namespace {

constexpr std::string_view accepted_forms =
    "expected DefaultEndpointsProtocol=https;AccountName=<account>;AccountKey=<key>;"
    "EndpointSuffix=core.windows.net (or BlobEndpoint=<url> instead of the suffix), "
    "BlobEndpoint=<url>;SharedAccessSignature=<sas>, or UseDevelopmentStorage=true";

// Azurite's documented development account: a public, well-known key.
constexpr std::string_view emulator_account = "devstoreaccount1";
constexpr std::string_view emulator_key =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr std::string_view emulator_endpoint = "http://127.0.0.1:10000/devstoreaccount1";

[[noreturn]] void fail(std::string_view what, std::string_view why) {
    throw std::invalid_argument(std::string(what) + ": " + std::string(why) + "; " +
                                std::string(accepted_forms));
}

/// The value of a standard header that the signature covers, or empty.
std::string header_value(const std::vector<http_header>& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (lower_ascii(key) == name) {
            return value;
        }
    }
    return {};
}

}  // namespace

storage_account parse_storage_connection_string(std::string_view text, std::string_view what) {
    const auto parts = connection_string_parts(text, what, accepted_forms);
    const auto take = [&](std::string_view name) {
        const auto found = parts.find(name);
        return found == parts.end() ? std::string{} : found->second;
    };
    storage_account out;
    std::string key;
    if (lower_ascii(take("usedevelopmentstorage")) == "true") {
        out.name = emulator_account;
        out.blob_endpoint = emulator_endpoint;
        key = emulator_key;
    } else {
        out.name = take("accountname");
        out.blob_endpoint = take("blobendpoint");
        key = take("accountkey");
        out.sas = take("sharedaccesssignature");
    }
    if (!out.sas.empty() && out.sas.front() == '?') {
        out.sas.erase(0, 1);
    }
    if (key.empty() && out.sas.empty()) {
        fail(what, "AccountKey or SharedAccessSignature is missing");
    }
    if (!key.empty() && !out.sas.empty()) {
        fail(what, "it has both AccountKey and SharedAccessSignature");
    }
    if (!key.empty()) {
        if (out.name.empty()) {
            fail(what, "AccountName is missing (a key signs for its account)");
        }
        try {
            out.key = base64_decode(key);
        } catch (const std::invalid_argument&) {
            fail(what, "AccountKey is not base64");
        }
    }
    if (out.blob_endpoint.empty()) {
        const std::string suffix = take("endpointsuffix");
        if (out.name.empty() || suffix.empty()) {
            fail(what, "BlobEndpoint, or AccountName and EndpointSuffix, are missing");
        }
        std::string protocol = lower_ascii(take("defaultendpointsprotocol"));
        if (protocol.empty()) {
            protocol = "https";
        }
        out.blob_endpoint = protocol + "://" + out.name + ".blob." + suffix;
    }
    while (!out.blob_endpoint.empty() && out.blob_endpoint.back() == '/') {
        out.blob_endpoint.pop_back();
    }
    if (!out.blob_endpoint.starts_with("https://") && !out.blob_endpoint.starts_with("http://")) {
        fail(what, "BlobEndpoint must be an http:// or https:// URL");
    }
    if (out.name.empty()) {
        // A SAS string may omit the account: an emulator's endpoint path names it
        // (`http://127.0.0.1:10000/<account>`), else the host's first label.
        const std::string host = out.blob_endpoint.substr(out.blob_endpoint.find("//") + 2);
        const std::size_t slash = host.find('/');
        out.name = slash != std::string::npos
                       ? host.substr(slash + 1, host.find('/', slash + 1) - slash - 1)
                       : host.substr(0, host.find_first_of(".:"));
    }
    return out;
}

std::string shared_key_authorization(const storage_account& account, std::string_view verb,
                                     std::string_view path, const std::vector<http_header>& query,
                                     const std::vector<http_header>& headers,
                                     std::size_t content_length) {
    static constexpr std::array<std::string_view, 11> standard_headers = {"content-encoding",
                                                                          "content-language",
                                                                          "content-length",
                                                                          "content-md5",
                                                                          "content-type",
                                                                          "date",
                                                                          "if-modified-since",
                                                                          "if-match",
                                                                          "if-none-match",
                                                                          "if-unmodified-since",
                                                                          "range"};
    std::string to_sign(verb);
    to_sign.push_back('\n');
    for (const std::string_view name : standard_headers) {
        if (name == "content-length") {
            to_sign.append(content_length == 0 ? "" : std::to_string(content_length));
        } else {
            to_sign.append(header_value(headers, name));
        }
        to_sign.push_back('\n');
    }
    std::vector<http_header> ms_headers;
    for (const auto& [name, value] : headers) {
        if (std::string lower = lower_ascii(name); lower.starts_with("x-ms-")) {
            ms_headers.emplace_back(std::move(lower), value);
        }
    }
    std::sort(ms_headers.begin(), ms_headers.end());
    for (const auto& [name, value] : ms_headers) {
        to_sign.append(name).append(":").append(value).append("\n");
    }
    to_sign.append("/").append(account.name).append(path);
    std::vector<http_header> parameters;
    parameters.reserve(query.size());
    for (const auto& [name, value] : query) {
        parameters.emplace_back(lower_ascii(name), value);
    }
    std::sort(parameters.begin(), parameters.end());
    for (const auto& [name, value] : parameters) {
        to_sign.append("\n").append(name).append(":").append(value);
    }
    return "SharedKey " + account.name + ":" + base64_encode(hmac_sha256(account.key, to_sign));
}

}  // namespace streamcp::adapters
