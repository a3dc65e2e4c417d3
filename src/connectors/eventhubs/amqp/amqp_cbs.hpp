// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "amqp_request_link.hpp"

namespace streamcp::adapters {

/// The outcome of a `$cbs` put-token: HTTP-style status (200/202 = authorised; 0 when the link
/// failed before a reply) and the service's description.
struct cbs_result {
    std::int64_t status = 0;
    std::string description;

    [[nodiscard]] bool authorised() const noexcept { return status == 200 || status == 202; }
    /// The service refused the token (wrong key, wrong audience, expired): retrying cannot help.
    [[nodiscard]] bool refused() const noexcept {
        return status == 401 || status == 403 || status == 404;
    }
};

/// Sends a put-token request for `audience` with a SAS `token` over `cbs` (a link pair on the
/// `$cbs` node) and calls `done` with the result. Event-loop thread only.
void cbs_put_token(amqp_request_link& cbs, const std::string& audience, const std::string& token,
                   std::function<void(const cbs_result&)> done);

}  // namespace streamcp::adapters
