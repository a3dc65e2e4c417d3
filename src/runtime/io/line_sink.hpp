// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace streamcp::pipeline {

/// Where output lines go. File and stdout sinks live in src/connectors/file; broker sinks implement
/// the same interface.
class line_sink {
  public:
    virtual ~line_sink() = default;

    /// Appends bytes (whole lines, newline included). May buffer. Throws `std::runtime_error`
    /// on an I/O error.
    virtual void write(std::string_view bytes) = 0;

    /// Hands everything buffered to the operating system.
    virtual void flush() = 0;

    /// Flushes and makes the data durable (before a checkpoint records its position).
    virtual void sync() = 0;

    /// Bytes in the sink: where a checkpoint says a restart must cut it back to.
    [[nodiscard]] virtual std::uint64_t position() const = 0;

    /// Whether `truncate` works. Sinks that cannot (stdout, pipes, brokers) are at-least-once.
    [[nodiscard]] virtual bool truncatable() const = 0;

    /// Cuts the sink back to `size` bytes and continues writing there.
    virtual void truncate(std::uint64_t size) = 0;

    /// A name for messages: the path, or "stdout".
    [[nodiscard]] virtual std::string name() const = 0;

    /// Told before the first write whether checkpoints cover this sink (a restart resends what
    /// was not acknowledged), so that its messages never mention a checkpoint there is none of.
    virtual void set_checkpointed(bool /*checkpointed*/) {}
};

}  // namespace streamcp::pipeline
