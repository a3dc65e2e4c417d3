// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace streamcp::pipeline {

/// Where input messages come from: one message per line. File and stdin sources live in
/// src/adapters; broker sources implement the same interface.
class line_source {
  public:
    virtual ~line_source() = default;

    /// The next line without its newline, followed by at least `simdjson::SIMDJSON_PADDING`
    /// readable bytes (so it can be parsed in place). Valid until the next call. False at the
    /// end of the input. Throws `std::runtime_error` on an I/O error.
    virtual bool next(std::string_view& line) = 0;

    /// Byte position just after the last line returned: where a restart resumes.
    [[nodiscard]] virtual std::uint64_t position() const = 0;

    /// Whether `seek` works (a regular file; not a pipe or a terminal).
    [[nodiscard]] virtual bool seekable() const = 0;

    /// Continues reading at byte `offset`, which must be a line start returned by `position`.
    virtual void seek(std::uint64_t offset) = 0;

    /// A name for messages and checkpoints: the path, or "stdin".
    [[nodiscard]] virtual std::string name() const = 0;
};

}  // namespace streamcp::pipeline
