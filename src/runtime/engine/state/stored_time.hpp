// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>

#include <streamcp/function/event_time.hpp>
#include <streamcp/state/byte_codec.hpp>

namespace streamcp::pipeline {

/// The unit of the event times in a saved detect state. Checkpoints written before event times
/// covered years 1..9999 hold int64 nanoseconds since 1970; later ones 100 ns ticks.
enum class stored_time_unit { nanoseconds, ticks };

/// Reads an event time saved in `unit`; nanoseconds truncate to ticks, as every event time did.
[[nodiscard]] inline event_time read_stored_time(byte_reader& in, stored_time_unit unit) {
    const std::int64_t count = in.i64();
    if (unit == stored_time_unit::nanoseconds) {
        return to_event_time(
            std::chrono::sys_time<std::chrono::nanoseconds>{std::chrono::nanoseconds{count}});
    }
    return event_time{tick_duration{count}};
}

/// Writes an event time in ticks, the unit of every state this build saves.
inline void write_stored_time(byte_writer& out, event_time time) {
    out.i64(time.time_since_epoch().count());
}

}  // namespace streamcp::pipeline
