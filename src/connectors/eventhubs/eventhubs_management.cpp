// SPDX-License-Identifier: MIT
#include "eventhubs_management.hpp"

#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include <proton/codec/map.hpp>
#include <proton/codec/vector.hpp>
#include <proton/map.hpp>
#include <proton/message.hpp>
#include <proton/scalar.hpp>
#include <proton/types.hpp>
#include <proton/value.hpp>

#include "amqp_text.hpp"

namespace streamcp::adapters {
namespace {

// The reply body is a map keyed by strings (Event Hubs) or symbols; partition_ids is an array
// (or list) of strings.
std::vector<std::string> partition_ids_of(const proton::value& body) {
    std::map<proton::value, proton::value> fields;
    proton::get(body, fields);
    for (const auto& [key, value] : fields) {
        if (text_of(key) != "partition_ids") {
            continue;
        }
        std::vector<proton::value> items;
        proton::get(value, items);
        std::vector<std::string> ids;
        ids.reserve(items.size());
        for (const proton::value& item : items) {
            ids.push_back(text_of(item));
        }
        return ids;
    }
    return {};
}

/// An integer field of a reply map (long or int), or nullopt.
std::optional<std::int64_t> integer_field(const proton::value& body, std::string_view name) {
    std::map<proton::value, proton::value> fields;
    proton::get(body, fields);
    for (const auto& [key, value] : fields) {
        if (text_of(key) == name) {
            return proton::coerce<std::int64_t>(value);
        }
    }
    return std::nullopt;
}

}  // namespace

void read_partition_range(amqp_request_link& management, const std::string& hub,
                          const std::string& partition_id,
                          std::function<void(std::optional<partition_sequence_range>)> done) {
    proton::message request;
    request.properties().put("operation", "READ");
    request.properties().put("type", "com.microsoft:partition");
    request.properties().put("name", hub);
    request.properties().put("partition", partition_id);
    management.request(std::move(request), [done = std::move(done)](const proton::message* reply,
                                                                    const std::string& /*error*/) {
        if (reply == nullptr || property_int(*reply, "status-code", 0) != 200) {
            done(std::nullopt);
            return;
        }
        try {
            const auto begin = integer_field(reply->body(), "begin_sequence_number");
            const auto last = integer_field(reply->body(), "last_enqueued_sequence_number");
            if (!last) {
                done(std::nullopt);
                return;
            }
            done(partition_sequence_range{.begin = begin.value_or(0), .last_enqueued = *last});
        } catch (const proton::conversion_error&) {
            done(std::nullopt);
        }
    });
}

void read_partition_ids(
    amqp_request_link& management, const std::string& hub,
    std::function<void(std::vector<std::string> ids, const std::string& error, std::int64_t status)>
        done) {
    proton::message request;
    request.properties().put("operation", "READ");
    request.properties().put("type", "com.microsoft:eventhub");
    request.properties().put("name", hub);
    management.request(std::move(request), [hub, done = std::move(done)](
                                               const proton::message* reply,
                                               const std::string& error) {
        if (reply == nullptr) {
            done({}, "$management READ of '" + hub + "': " + error, 0);
            return;
        }
        const std::int64_t status = property_int(*reply, "status-code", 0);
        if (status != 200) {
            done({},
                 "$management READ of '" + hub + "' answered " + std::to_string(status) + " " +
                     property_text(*reply, "status-description"),
                 status);
            return;
        }
        std::vector<std::string> ids;
        try {
            ids = partition_ids_of(reply->body());
        } catch (const proton::conversion_error& bad) {
            done({},
                 "$management READ of '" + hub + "': unexpected reply body (" + bad.what() + ")",
                 status);
            return;
        }
        if (ids.empty()) {
            done({}, "$management READ of '" + hub + "': the reply lists no partition_ids", status);
            return;
        }
        done(std::move(ids), {}, status);
    });
}

}  // namespace streamcp::adapters
