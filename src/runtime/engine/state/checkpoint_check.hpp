// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint_store.hpp"
#include "line_source.hpp"

namespace streamcp::pipeline {

/// An exclusive lock on a checkpoint file, held while a run uses it: a second process on the
/// same checkpoint is refused. The kernel drops it when its process dies, so a lock left by a
/// killed run never blocks the restart.
class checkpoint_lock {
  public:
    checkpoint_lock() = default;
    /// Locks `path` (creating it empty when missing). Throws `std::runtime_error` when another
    /// process holds it.
    explicit checkpoint_lock(const std::string& path);
    ~checkpoint_lock();
    checkpoint_lock(checkpoint_lock&& other) noexcept;
    checkpoint_lock& operator=(checkpoint_lock&& other) noexcept;
    checkpoint_lock(const checkpoint_lock&) = delete;
    checkpoint_lock& operator=(const checkpoint_lock&) = delete;

  private:
    int fd_ = -1;
};

/// A checkpoint opened, locked and checked against this run before any output is opened for
/// writing. The lock is released after the store is closed (member order): closing another
/// descriptor of the file while SQLite holds its own locks would drop them.
struct prepared_checkpoint {
    checkpoint_lock lock;
    std::unique_ptr<checkpoint_store> store;
    std::optional<checkpoint> last;  ///< where the run resumes; empty: a fresh start
    std::string fingerprint;         ///< this run's, recorded with every commit
};

/// Opens and locks the checkpoint at `path` and checks its last checkpoint against
/// `fingerprint` (query, input, archive and outputs as `key=value;...`) and, for an input
/// identified by content, against the bytes of `source`. Throws `std::runtime_error` saying
/// what differs, with the stored and the current value, and how to start over.
[[nodiscard]] prepared_checkpoint open_checkpoint(const std::string& path, std::string fingerprint,
                                                  line_source& source);

/// What a checkpoint records of the `consumed` bytes of an input identified by content: their
/// count and hashes of their first, middle and last 16 KiB (three preads per commit). Empty for
/// inputs identified by name.
[[nodiscard]] std::vector<std::byte> input_identity(const line_source& source,
                                                    std::uint64_t consumed);

/// The settings in which two fingerprints differ, as "name: X in the checkpoint, Y in this
/// run"; empty when they describe the same run. `input` is left out for an input identified by
/// content; `outputs` when the checkpoint predates it; confidences that truncate to the same
/// integer are equal unless the confidence is fractional.
[[nodiscard]] std::string fingerprint_difference(std::string_view recorded,
                                                 std::string_view current, bool input_by_content);

/// The confidence a checkpoint's fingerprint records, as given then. A resume with another
/// spelling of the same integer confidence runs with it: the saved models record it.
[[nodiscard]] std::optional<double> recorded_confidence(std::string_view fingerprint);

}  // namespace streamcp::pipeline
