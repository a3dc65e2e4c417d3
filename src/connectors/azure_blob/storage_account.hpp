// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamcp::adapters {

/// A storage account from its connection string: where its Blob service is and how requests
/// are authorised. Holds the secret in memory only; nothing here ever prints it.
struct storage_account {
    std::string name;  ///< AccountName (`devstoreaccount1` for Azurite)
    std::string
        blob_endpoint;  ///< `https://<account>.blob.<suffix>` or BlobEndpoint, no '/' at the end
    std::string key;    ///< AccountKey, base64-decoded; empty with a SAS
    std::string sas;    ///< SharedAccessSignature (a query string without '?'); empty with a key
};

/// Parses an Azure Storage connection string: `DefaultEndpointsProtocol=..;AccountName=..;
/// AccountKey=..;EndpointSuffix=..` (or `BlobEndpoint=..`), `BlobEndpoint=..;
/// SharedAccessSignature=..`, or `UseDevelopmentStorage=true` (Azurite's well-known account on
/// 127.0.0.1:10000). Throws `std::invalid_argument` starting with `what` and naming the missing
/// part; never echoing a value.
[[nodiscard]] storage_account parse_storage_connection_string(std::string_view text,
                                                              std::string_view what);

/// One header of a request: name and value.
using http_header = std::pair<std::string, std::string>;

/// The Blob service's SharedKey `Authorization` header value for a request: `SharedKey
/// <account>:<signature>`, the signature an HMAC-SHA256 under the account key of the verb, the
/// standard headers, the `x-ms-` headers and the canonical resource (`path`: the URL's path as
/// sent, percent-encoded; `query`: its parameters, decoded). `content_length` 0 signs as empty.
[[nodiscard]] std::string shared_key_authorization(const storage_account& account,
                                                   std::string_view verb, std::string_view path,
                                                   const std::vector<http_header>& query,
                                                   const std::vector<http_header>& headers,
                                                   std::size_t content_length);

}  // namespace streamcp::adapters
