// SPDX-License-Identifier: MIT
#include "blob_client.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include <curl/curl.h>

#include "ascii_case.hpp"
#include "runtime_errors.hpp"
#include "sas_token.hpp"

namespace streamcp::adapters {
namespace {

/// The REST API version the requests speak (Azurite 3.35 and Azure both serve it).
constexpr std::string_view api_version = "2021-08-06";

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("archive azure_blob: libcurl failed to initialise");
        }
    });
}

/// RFC 1123 time, as `x-ms-date` wants it.
std::string http_date() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    std::array<char, 64> text{};
    const std::size_t length =
        std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return {text.data(), length};
}

/// Each '/'-separated segment percent-encoded.
std::string encode_path(std::string_view path) {
    std::string out;
    while (true) {
        const std::size_t slash = path.find('/');
        out += url_encode(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            return out;
        }
        out.push_back('/');
        path.remove_prefix(slash + 1);
    }
}

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

std::size_t read_error_code(char* data, std::size_t size, std::size_t count, void* user) {
    const std::string_view line(data, size * count);
    constexpr std::string_view name = "x-ms-error-code:";
    if (line.size() > name.size() && lower_ascii(line.substr(0, name.size())) == name) {
        std::string_view value = line.substr(name.size());
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
            value.remove_prefix(1);
        }
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
            value.remove_suffix(1);
        }
        *static_cast<std::string*>(user) = std::string(value);
    }
    return size * count;
}

bool retriable(long status) {
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

/// Transfer errors that a retry cannot cure: a certificate that does not verify, a bad URL.
bool fatal(CURLcode code) {
    return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
           code == CURLE_SSL_CERTPROBLEM || code == CURLE_URL_MALFORMAT ||
           code == CURLE_UNSUPPORTED_PROTOCOL;
}

}  // namespace

struct blob_client::request {
    std::string_view operation;  ///< for messages: "Put Block", ...
    std::string_view blob;       ///< empty: the container itself
    std::vector<http_header> query;
    std::vector<http_header> headers;
    std::string_view body;
    std::vector<long> accepted;  ///< statuses besides 2xx that count as done
};

struct blob_client::connection {
    CURL* curl = nullptr;
    std::string body;
    std::string error_code;
    ~connection() { curl_easy_cleanup(curl); }
};

blob_client::blob_client(storage_account account, std::string container, blob_retry_policy policy)
    : account_(std::move(account)),
      container_(std::move(container)),
      policy_(policy),
      connection_(std::make_unique<connection>()) {
    init_curl_once();
    connection_->curl = curl_easy_init();
    if (connection_->curl == nullptr) {
        throw std::runtime_error("archive azure_blob: libcurl could not create a handle");
    }
}

blob_client::~blob_client() = default;

std::string blob_client::where() const { return account_.name + "/" + container_; }

void blob_client::create_container() {
    send({.operation = "Create Container",
          .blob = {},
          .query = {{"restype", "container"}},
          .headers = {},
          .body = {},
          .accepted = {409}});
}

void blob_client::put_block(std::string_view blob, std::string_view block_id,
                            std::string_view data) {
    send({.operation = "Put Block",
          .blob = blob,
          .query = {{"comp", "block"}, {"blockid", std::string(block_id)}},
          .headers = {},
          .body = data,
          .accepted = {}});
}

void blob_client::put_block_list(std::string_view blob, const std::vector<std::string>& block_ids,
                                 std::string_view content_type) {
    std::string xml = R"(<?xml version="1.0" encoding="utf-8"?><BlockList>)";
    for (const std::string& id : block_ids) {
        xml.append("<Latest>").append(id).append("</Latest>");
    }
    xml.append("</BlockList>");
    send({.operation = "Put Block List",
          .blob = blob,
          .query = {{"comp", "blocklist"}},
          .headers = {{"Content-Type", "application/xml"},
                      {"x-ms-blob-content-type", std::string(content_type)}},
          .body = xml,
          .accepted = {}});
}

void blob_client::send(const request& what) {
    const std::size_t scheme_end = account_.blob_endpoint.find("//") + 2;
    const std::size_t path_start = account_.blob_endpoint.find('/', scheme_end);
    const std::string origin = account_.blob_endpoint.substr(0, path_start);
    std::string path =
        path_start == std::string::npos ? "" : account_.blob_endpoint.substr(path_start);
    path.append("/").append(encode_path(container_));
    if (!what.blob.empty()) {
        path.append("/").append(encode_path(what.blob));
    }
    std::string query_text;
    for (const auto& [name, value] : what.query) {
        query_text.append(query_text.empty() ? "?" : "&")
            .append(name)
            .append("=")
            .append(url_encode(value));
    }
    if (!account_.sas.empty()) {
        query_text.append(query_text.empty() ? "?" : "&").append(account_.sas);
    }
    const std::string url = origin + path + query_text;
    const std::string subject =
        std::string(what.operation) +
        (what.blob.empty() ? " " + container_ : " " + std::string(what.blob));

    CURL* curl = connection_->curl;
    auto backoff = policy_.backoff_min;
    for (;;) {
        std::vector<http_header> headers = what.headers;
        headers.emplace_back("x-ms-date", http_date());
        headers.emplace_back("x-ms-version", std::string(api_version));
        if (account_.sas.empty()) {
            headers.emplace_back("Authorization",
                                 shared_key_authorization(account_, "PUT", path, what.query,
                                                          headers, what.body.size()));
        }
        curl_slist* list = nullptr;
        for (const auto& [name, value] : headers) {
            std::string line = name;
            line.append(": ").append(value);
            list = curl_slist_append(list, line.c_str());
        }
        if (std::none_of(headers.begin(), headers.end(), [](const http_header& header) {
                return header.first == "Content-Type";
            })) {
            list = curl_slist_append(list, "Content-Type:");  // curl's form type is not signed
        }
        list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, what.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(what.body.size()));
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(policy_.timeout.count()));
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
        connection_->body.clear();
        connection_->error_code.clear();
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &connection_->body);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_error_code);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &connection_->error_code);
        const CURLcode code = curl_easy_perform(curl);
        curl_slist_free_all(list);
        long status = 0;
        std::string why;
        if (code == CURLE_OK) {
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
            if ((status >= 200 && status < 300) ||
                std::find(what.accepted.begin(), what.accepted.end(), status) !=
                    what.accepted.end()) {
                return;
            }
            why = "HTTP " + std::to_string(status) +
                  (connection_->error_code.empty() ? "" : " (" + connection_->error_code + ")");
        } else {
            why = curl_easy_strerror(code);  // not the error buffer: it would name the URL
        }
        if (fatal(code) || !retriable(status)) {
            std::string message = "archive azure_blob: " + subject;
            message.append(" in ").append(where()).append(" failed: ").append(why);
            throw std::runtime_error(message);
        }
        pipeline::count_runtime_error(pipeline::runtime_component::archive);
        std::fprintf(stderr, "streamcp: archive azure_blob: %s: %s; retrying in %lld ms\n",
                     subject.c_str(), why.c_str(), static_cast<long long>(backoff.count()));
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, policy_.backoff_max);
    }
}

}  // namespace streamcp::adapters
