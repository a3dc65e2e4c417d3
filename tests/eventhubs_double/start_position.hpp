// SPDX-License-Identifier: MIT
// Test double of the Event Hubs AMQP endpoint: where a partition receiver starts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "event_store.hpp"

namespace streamcp::eventhubs_double {

/// The start of a receiver, from the `apache.org:selector-filter:string` source filter.
struct start_position {
    enum class kind { stream_start, latest, offset, sequence_number, enqueued_time };
    kind what = kind::stream_start;
    std::int64_t value = 0;  // offset, sequence number or ms since the epoch
    bool inclusive = false;  // `>=` rather than `>`
};

/// Parses the expressions the Azure SDKs send:
/// `amqp.annotation.x-opt-offset > '<o>'` (or `>=`; `'-1'` = start, `'@latest'` = only new),
/// `amqp.annotation.x-opt-sequence-number > '<n>'`, `amqp.annotation.x-opt-enqueued-time > '<ms>'`.
/// Quotes around the value are optional. nullopt: not one of these.
[[nodiscard]] std::optional<start_position> parse_selector(std::string_view expression);

/// Index of the first event of `log` that the position selects (log.size() = only new events).
[[nodiscard]] std::size_t first_index(const partition_log& log, const start_position& position);

}  // namespace streamcp::eventhubs_double
