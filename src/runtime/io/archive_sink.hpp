// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <streamcp/function/event_time.hpp>

namespace streamcp::pipeline {

/// Where raw input messages are archived (the seed's data-lake copy). The file archive lives
/// in src/connectors/file; object-store archives implement the same interface.
class archive_sink {
  public:
    virtual ~archive_sink() = default;

    /// Checks at start-up, before any output is opened for writing, that the archive can be
    /// written (a file archive creates its directory). Throws `std::runtime_error` naming it.
    virtual void prepare() {}

    /// Archives one raw message (without its newline) under its event time (the enqueued time
    /// for broker sources) and source partition. Throws `std::runtime_error` on an I/O error.
    virtual void write(std::string_view raw, event_time time, std::uint32_t partition) = 0;

    /// Makes everything written so far durable (before a checkpoint records `save_state`).
    virtual void sync() = 0;

    /// Completes every open file: the end of the input.
    virtual void close() = 0;

    /// Bytes archived since the start of the run (restored from a checkpoint).
    [[nodiscard]] virtual std::uint64_t position() const = 0;

    /// What a restart needs to continue without duplicating or losing a message.
    [[nodiscard]] virtual std::vector<std::byte> save_state() const = 0;

    /// Continues from `save_state`'s bytes: cuts open files back to their recorded lengths.
    /// Throws `std::runtime_error` when the archive was changed since.
    virtual void restore(std::span<const std::byte> state) = 0;

    /// The settings in one line, for the checkpoint's fingerprint.
    [[nodiscard]] virtual std::string name() const = 0;
};

}  // namespace streamcp::pipeline
