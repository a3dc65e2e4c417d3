// SPDX-License-Identifier: MIT
#include "event_store.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <utility>

namespace streamcp::eventhubs_double {

const stored_event& partition_log::append(stored_event event) {
    event.sequence_number = static_cast<std::int64_t>(events_.size());
    event.offset = next_offset_;
    event.enqueued_ms = std::max(now_ms(), last_enqueued_ms_);
    next_offset_ += event.body.size();
    last_enqueued_ms_ = event.enqueued_ms;
    events_.push_back(std::move(event));
    return events_.back();
}

event_store::event_store(const std::vector<hub_spec>& hubs) {
    if (hubs.empty()) throw std::invalid_argument("--hub: at least one hub is required");
    for (const hub_spec& spec : hubs) {
        if (find(spec.name) != nullptr) {
            throw std::invalid_argument("--hub: '" + spec.name + "' is given twice");
        }
        event_hub hub;
        hub.name = spec.name;
        hub.partitions.resize(spec.partitions);
        hub.created_ms = now_ms();
        hubs_.push_back(std::move(hub));
    }
}

event_hub* event_store::find(std::string_view name) {
    for (event_hub& hub : hubs_) {
        if (iequals(hub.name, name)) return &hub;
    }
    return nullptr;
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool iequals(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

}  // namespace streamcp::eventhubs_double
