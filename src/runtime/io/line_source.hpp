// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamcp::pipeline {

/// The input was replaced or truncated while it was followed (`--follow`): the command stops
/// with its own exit status (3), since continuing would read another file's bytes.
class input_changed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Where input messages come from: one message per line. File and stdin sources live in
/// src/connectors/file; broker sources implement the same interface.
class line_source {
  public:
    virtual ~line_source() = default;

    /// The next line without its newline, followed by at least `simdjson::SIMDJSON_PADDING`
    /// readable bytes (so it can be parsed in place). Valid until the next call. False at the
    /// end of the input (for brokers: a stop was requested). Throws `std::runtime_error` on an
    /// I/O error.
    virtual bool next(std::string_view& line) = 0;

    /// Byte position just after the last line returned: where a restart resumes. Brokers:
    /// messages read (informational).
    [[nodiscard]] virtual std::uint64_t position() const = 0;

    /// Whether a checkpoint can resume this input (a regular file or a broker; not a pipe).
    [[nodiscard]] virtual bool seekable() const = 0;

    /// Continues reading at byte `offset`, which must be a line start returned by `position`.
    virtual void seek(std::uint64_t offset) = 0;

    /// A name for messages and checkpoints: the path, "stdin", or the broker address.
    [[nodiscard]] virtual std::string name() const = 0;

    /// Where a restart resumes, for a checkpoint. Sources with several positions (one per
    /// broker partition) encode them all; the default is `position()`.
    [[nodiscard]] virtual std::vector<std::byte> save_position() const;

    /// Continues after `save_position`'s bytes. Throws `std::runtime_error` when they do not
    /// belong to this source.
    virtual void restore_position(std::span<const std::byte> bytes);

    /// A checkpoint covering every line returned so far is durable: a queue broker's source may
    /// now settle (accept) those messages.
    virtual void committed() {}

    /// The source partition of the last line (the archive's `{partition}`).
    [[nodiscard]] virtual std::uint32_t partition() const { return 0; }

    /// (source partition, events it holds that were not read yet) for each partition whose
    /// backlog is known (`streamcp_backlogged_input_events`). Called from the metrics server's
    /// thread, so implementations only read atomics; the default (files, stdin) knows none.
    [[nodiscard]] virtual std::vector<std::pair<std::uint32_t, std::uint64_t>> backlog() const {
        return {};
    }

    /// True for streams without an end (brokers): the runner then checks its checkpoint clock on
    /// every message, since they may arrive seconds apart.
    [[nodiscard]] virtual bool unbounded() const { return false; }

    /// The input's size in bytes when a checkpoint identifies it by content (a regular file):
    /// then the same file resumes under any spelling of its path, and a replaced or shortened one
    /// is refused. Empty for inputs identified by name (brokers, pipes).
    [[nodiscard]] virtual std::optional<std::uint64_t> content_size() const { return std::nullopt; }

    /// For inputs with a `content_size`: up to `into.size()` bytes at `offset`, without moving
    /// the read position; returns how many were read. Throws `std::runtime_error` on an I/O error.
    [[nodiscard]] virtual std::size_t read_at(std::uint64_t offset, std::span<char> into) const;
};

}  // namespace streamcp::pipeline
