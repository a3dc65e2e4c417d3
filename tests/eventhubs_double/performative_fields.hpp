// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: performatives with every field, as the
// service sends them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace streamcp::eventhubs_double {

/// Rewrites a stream of whole AMQP protocol headers and frames (a prefix of what a server
/// writes) so each performative lists all of its fields: trailing fields Proton leaves out become
/// nulls, begin's absent handle-max becomes 255 (the service's value) and open's max-frame-size
/// becomes `advertised_max_frame_size`. Azure sends every field and Microsoft's clients index
/// them. Returns the rewritten units; `consumed` is how many input bytes they came from (an
/// incomplete last unit is left for the next call).
[[nodiscard]] std::string complete_performatives(std::string_view stream, std::size_t& consumed,
                                                 std::uint32_t advertised_max_frame_size);

}  // namespace streamcp::eventhubs_double
