// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage_account.hpp"

namespace streamcp::adapters {

/// How long requests may take and how failed ones are retried.
struct blob_retry_policy {
    std::chrono::milliseconds timeout{60'000};  ///< one request, its upload included
    std::chrono::milliseconds backoff_min{200};
    std::chrono::milliseconds backoff_max{30'000};
};

/// The few Blob service REST operations a block-blob archive needs, over libcurl. Throttling
/// (500, 503 and other 5xx, 408, 429), timeouts and connection errors are retried with
/// exponential backoff until they succeed, so a store that is down stops the caller (the job's
/// backpressure); any other answer throws `std::runtime_error` with the status and the service's
/// error code. TLS peers are verified (libcurl's defaults, kept). Messages never hold the key,
/// the SAS or a URL with it.
class blob_client {
  public:
    blob_client(storage_account account, std::string container, blob_retry_policy policy = {});
    ~blob_client();
    blob_client(const blob_client&) = delete;
    blob_client& operator=(const blob_client&) = delete;

    /// Creates the container unless it exists (409 is success).
    void create_container();

    /// Put Block: stages `data` under `block_id` (base64, the same length for every block of a
    /// blob). Staging an id again replaces the block, so a replay can stage it again.
    void put_block(std::string_view blob, std::string_view block_id, std::string_view data);

    /// Put Block List: the blob becomes exactly these blocks (each the latest staged under its
    /// id, else the committed one), so committing the same list again changes nothing.
    void put_block_list(std::string_view blob, const std::vector<std::string>& block_ids,
                        std::string_view content_type);

    /// `<account>/<container>` for messages and fingerprints.
    [[nodiscard]] std::string where() const;

  private:
    struct request;
    struct connection;
    void send(const request& what);

    storage_account account_;
    std::string container_;
    blob_retry_policy policy_;
    std::unique_ptr<connection> connection_;
};

}  // namespace streamcp::adapters
