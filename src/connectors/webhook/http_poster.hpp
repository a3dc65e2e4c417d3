// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace streamcp::adapters {

/// What one POST came back with.
struct http_outcome {
    long status = 0;          ///< the HTTP status; 0 when no response arrived
    std::string retry_after;  ///< the `Retry-After` header, if any
    std::string error;        ///< why no response arrived (libcurl's text; never the URL)
};

/// POSTs JSON bodies to one URL with libcurl, reusing the connection between requests. TLS
/// peers are verified (libcurl's default, kept). Only http and https URLs are followed.
class http_poster {
  public:
    /// `cancel`: a flag that aborts a transfer in progress when set (shutdown).
    http_poster(std::string url, std::chrono::milliseconds timeout,
                const std::atomic<bool>& cancel);
    ~http_poster();
    http_poster(const http_poster&) = delete;
    http_poster& operator=(const http_poster&) = delete;

    /// Sends `body` with `Content-Type: application/json` and the header `streamcp-record-ids`.
    [[nodiscard]] http_outcome post(const std::string& body, const std::string& record_ids);

  private:
    struct handle;
    std::unique_ptr<handle> handle_;
};

}  // namespace streamcp::adapters
