// SPDX-License-Identifier: MIT
// Test double of the Event Hubs / IoT Hub AMQP endpoints: where Azure puts a partition key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace streamcp::eventhubs_double {

/// The service's 16-bit hash code of a partition key: Bob Jenkins' lookup3 `hashlittle2` over the
/// key's UTF-8 bytes (both seeds 0), the two 32-bit results XORed, the low 16 bits as a signed
/// short. The Azure SDKs' partition resolvers reproduce the same function.
[[nodiscard]] std::int16_t partition_key_hash_code(std::string_view key);

/// The partition index Azure picks for `key` among `partition_count` partitions:
/// |hash code % count| with C#'s truncating remainder (the .NET and Java SDK resolvers).
[[nodiscard]] std::size_t partition_for_key(std::string_view key, std::size_t partition_count);

}  // namespace streamcp::eventhubs_double
