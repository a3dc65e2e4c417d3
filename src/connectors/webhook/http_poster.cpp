// SPDX-License-Identifier: MIT
#include "http_poster.hpp"

#include <cctype>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include <curl/curl.h>

namespace streamcp::adapters {
namespace {

// curl_global_init is not thread-safe: run it once for the process.
void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("webhook: libcurl failed to initialise");
        }
    });
}

std::size_t discard_body(char* /*data*/, std::size_t size, std::size_t count, void* /*user*/) {
    return size * count;
}

bool header_is(std::string_view line, std::string_view name) {
    if (line.size() <= name.size() || line[name.size()] != ':') {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) {
            return false;
        }
    }
    return true;
}

std::size_t read_header(char* data, std::size_t size, std::size_t count, void* user) {
    const std::string_view line(data, size * count);
    if (header_is(line, "retry-after")) {
        std::string_view value = line.substr(sizeof("retry-after"));
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
            value.remove_suffix(1);
        }
        *static_cast<std::string*>(user) = std::string(value);
    }
    return size * count;
}

int abort_when_cancelled(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/,
                         curl_off_t /*ultotal*/, curl_off_t /*ulnow*/) {
    return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

}  // namespace

struct http_poster::handle {
    CURL* curl = nullptr;
    std::string url;
    std::string retry_after;
    ~handle() { curl_easy_cleanup(curl); }
};

http_poster::http_poster(std::string url, std::chrono::milliseconds timeout,
                         const std::atomic<bool>& cancel)
    : handle_(std::make_unique<handle>()) {
    init_curl_once();
    handle_->url = std::move(url);
    handle_->curl = curl_easy_init();
    if (handle_->curl == nullptr) {
        throw std::runtime_error("webhook: libcurl could not create a handle");
    }
    CURL* curl = handle_->curl;
    curl_easy_setopt(curl, CURLOPT_URL, handle_->url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &handle_->retry_after);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_when_cancelled);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &cancel);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}

http_poster::~http_poster() = default;

http_outcome http_poster::post(const std::string& body, const std::string& record_ids) {
    CURL* curl = handle_->curl;
    const std::string ids_header = "streamcp-record-ids: " + record_ids;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, ids_header.c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    handle_->retry_after.clear();
    const CURLcode code = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    http_outcome outcome;
    if (code != CURLE_OK) {
        outcome.error = curl_easy_strerror(code);  // the error buffer would name the host
        return outcome;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &outcome.status);
    outcome.retry_after = handle_->retry_after;
    return outcome;
}

}  // namespace streamcp::adapters
