// SPDX-License-Identifier: MIT
#include "amqp_cbs.hpp"

#include <utility>

#include <proton/message.hpp>
#include <proton/scalar.hpp>

namespace streamcp::adapters {

void cbs_put_token(amqp_request_link& cbs, const std::string& audience, const std::string& token,
                   std::function<void(const cbs_result&)> done) {
    proton::message request;
    request.body(token);  // an AMQP string value, as the CBS draft specifies
    request.properties().put("operation", "put-token");
    request.properties().put("type", "servicebus.windows.net:sastoken");
    request.properties().put("name", audience);
    cbs.request(std::move(request),
                [done = std::move(done)](const proton::message* reply, const std::string& error) {
                    cbs_result result;
                    if (reply == nullptr) {
                        result.description = error;
                    } else {
                        result.status = property_int(*reply, "status-code", 0);
                        result.description = property_text(*reply, "status-description");
                    }
                    done(result);
                });
}

}  // namespace streamcp::adapters
