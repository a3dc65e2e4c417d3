// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "partition_row.hpp"

struct sqlite3;

namespace streamcp::pipeline {

/// One checkpoint: where each stream stood and the job's whole state at that moment.
struct checkpoint {
    std::string fingerprint;  ///< the query and input it belongs to
    std::uint64_t input_offset = 0;
    std::uint64_t line = 0;  ///< lines read before `input_offset`
    std::uint64_t output_offset = 0;
    std::uint64_t rejects_offset = 0;
    std::uint64_t archive_offset = 0;  ///< bytes archived (informational)
    std::vector<std::byte> state;
    std::vector<std::byte> archive_state;  ///< the archive's open files and sequence numbers
    /// The source's `save_position` (one offset per broker partition); empty: `input_offset`.
    std::vector<std::byte> input_state;
    /// `state` is an incremental checkpoint's head and `partitions` its rows: on save the rows
    /// that changed (an empty state deletes its row), on load every row. False: `state` is
    /// the whole state, as checkpoints before incremental ones hold it.
    bool incremental = false;
    std::vector<partition_row> partitions;
    /// On save: `partitions` holds every key, and the rows stored before are dropped (the
    /// store asks for this with `rewrite_due`).
    bool every_key = false;
    /// What identifies the input's consumed bytes (`input_identity`); empty in checkpoints of
    /// older releases and for inputs identified by name.
    std::vector<std::byte> input_identity;
};

/// Checkpoints in one SQLite file (WAL; one transaction per checkpoint; the newest replaces
/// the previous one). An incremental checkpoint appends the rows it is given, packed into a few
/// blobs (table `segment`), so it writes what changed since the previous one and no page of
/// unchanged keys; a later row of a key replaces an earlier one. Once the appended bytes reach
/// twice what the last full write held, the next checkpoint writes every key afresh: the file
/// stays within about three times the state, and rewrites cost at most half what was appended.
class checkpoint_store {
  public:
    /// Opens or creates `path`. Throws `std::runtime_error` naming the path on failure.
    explicit checkpoint_store(const std::string& path);
    ~checkpoint_store();
    checkpoint_store(const checkpoint_store&) = delete;
    checkpoint_store& operator=(const checkpoint_store&) = delete;

    /// The last committed checkpoint, if any.
    [[nodiscard]] std::optional<checkpoint> load();

    /// Commits `point` atomically.
    void save(const checkpoint& point);

    /// Whether the next incremental checkpoint should hold every key (`checkpoint::every_key`)
    /// so that the rows it replaces are dropped.
    [[nodiscard]] bool rewrite_due() const noexcept;

  private:
    void exec(const char* sql);
    /// The one-row side tables (`archive`, `input`, `input_identity`): checkpoints written before a
    /// table existed still load.
    std::vector<std::byte> load_blob(const char* sql);
    void save_blob(const char* table, const std::vector<std::byte>& blob);
    void save_partitions(const checkpoint& point);
    void append_segment(const std::vector<std::byte>& rows);
    std::vector<partition_row> load_partitions();

    std::string path_;
    sqlite3* db_ = nullptr;
    /// Bytes of rows in the file after its last full write (or load), and appended since.
    std::uint64_t base_bytes_ = 0;
    std::uint64_t appended_bytes_ = 0;
};

}  // namespace streamcp::pipeline
