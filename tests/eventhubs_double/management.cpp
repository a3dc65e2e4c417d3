// SPDX-License-Identifier: MIT
#include "management.hpp"

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include <proton/codec/map.hpp>
#include <proton/codec/vector.hpp>
#include <proton/timestamp.hpp>

#include "node_reply.hpp"

namespace streamcp::eventhubs_double {
namespace {

constexpr std::string_view hub_type = "com.microsoft:eventhub";
constexpr std::string_view partition_type = "com.microsoft:partition";

std::optional<std::size_t> partition_index(const event_hub& hub, const std::string& text) {
    std::size_t index = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), index);
    if (error != std::errc{} || end != text.data() + text.size() ||
        index >= hub.partitions.size()) {
        return std::nullopt;
    }
    return index;
}

proton::value hub_description(const event_hub& hub) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < hub.partitions.size(); ++i) ids.push_back(std::to_string(i));
    std::map<std::string, proton::value> body;
    body["name"] = hub.name;
    body["type"] = std::string(hub_type);
    body["partition_count"] = static_cast<std::int32_t>(hub.partitions.size());
    body["partition_ids"] = ids;  // std::vector encodes as an AMQP array
    body["created_at"] = proton::timestamp(hub.created_ms);
    return body;
}

proton::value partition_description(const event_hub& hub, std::size_t index) {
    const partition_log& log = hub.partitions[index];
    std::map<std::string, proton::value> body;
    body["name"] = hub.name;
    body["type"] = std::string(partition_type);
    body["partition"] = std::to_string(index);
    body["begin_sequence_number"] = std::int64_t{0};
    body["is_partition_empty"] = log.empty();
    if (log.empty()) {
        body["last_enqueued_sequence_number"] = std::int64_t{-1};
        body["last_enqueued_offset"] = std::string("-1");
        body["last_enqueued_time_utc"] = proton::timestamp(0);
    } else {
        const stored_event& last = log.at(log.size() - 1);
        body["last_enqueued_sequence_number"] = last.sequence_number;
        body["last_enqueued_offset"] = std::to_string(last.offset);
        body["last_enqueued_time_utc"] = proton::timestamp(last.enqueued_ms);
    }
    return body;
}

}  // namespace

management_outcome read_entity(const proton::message& request, event_store& store) {
    if (property_text(request, "operation") != "READ") {
        return {400, "only operation READ is supported by the test double", {}};
    }
    const std::string name = property_text(request, "name");
    event_hub* hub = store.find(name);
    if (hub == nullptr) return {404, "no event hub named '" + name + "'", {}};
    const std::string type = property_text(request, "type");
    if (type == hub_type) return {200, "OK", hub_description(*hub)};
    if (type == partition_type) {
        const std::string partition = property_text(request, "partition");
        const std::optional<std::size_t> index = partition_index(*hub, partition);
        if (!index) return {404, "no partition '" + partition + "' in " + hub->name, {}};
        return {200, "OK", partition_description(*hub, *index)};
    }
    return {400, "type must be com.microsoft:eventhub or com.microsoft:partition", {}};
}

}  // namespace streamcp::eventhubs_double
