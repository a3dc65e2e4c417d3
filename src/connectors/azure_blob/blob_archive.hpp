// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "archive_sink.hpp"
#include "blob_client.hpp"
#include "blob_path_format.hpp"
#include "endpoint_config.hpp"

namespace streamcp::adapters {

class iothub_avro_encoder;  // iothub_avro.hpp (connector_avro, linked privately)

struct blob_archive_options {
    storage_account account;
    std::string container;
    bool avro = true;  ///< IoT Hub routing's Avro records; false: JSON Lines
    std::string path_format{blob_path_format::iothub_default};
    std::string hub;                                           ///< `{iothub}`
    std::chrono::seconds batch_frequency{300};                 ///< IoT Hub's 60-720 s
    std::uint64_t max_chunk_bytes = std::uint64_t{100} << 20;  ///< IoT Hub's 10-500 MiB
    /// Commit a closed batch's blob only at the checkpoint after the one that covers it (true
    /// with `[checkpoint]`); false: as soon as the batch closes.
    bool commit_after_checkpoint = true;
    /// Data is staged as a block once this much is pending (and at every checkpoint): the most
    /// an open batch holds in memory.
    std::size_t block_bytes = std::size_t{4} << 20;
    blob_retry_policy retry;
};

/// Raw messages as block blobs in Azure Blob Storage (ADLS Gen2 through the Blob API), named
/// by IoT Hub's path format. Each source partition fills one batch at a time: a batch starts at
/// its first message's event time and closes when a message is `batch_frequency` past that or
/// the blob would grow past `max_chunk_bytes`, so a replay forms the same batches and names.
/// Data is staged with Put Block under ids numbered per blob; a blob is committed (Put Block
/// List) only once a committed checkpoint covers all of its messages, so no reader sees a
/// partial blob and a restart commits or rebuilds each blob exactly once (docs/operations.md,
/// "Archive on Azure Blob Storage").
class blob_archive final : public pipeline::archive_sink {
  public:
    /// Throws `std::invalid_argument` for a bad option. With an account key it creates the
    /// container if missing; with a SAS the container must exist.
    explicit blob_archive(blob_archive_options options);
    ~blob_archive() override;
    blob_archive(const blob_archive&) = delete;
    blob_archive& operator=(const blob_archive&) = delete;

    void write(std::string_view raw, event_time time, std::uint32_t partition) override;
    /// Commits the blobs the last checkpoint covers, then stages every pending byte.
    void sync() override;
    void close() override;
    [[nodiscard]] std::uint64_t position() const override { return bytes_; }
    [[nodiscard]] std::vector<std::byte> save_state() const override;
    /// Commits the blobs the checkpoint had closed (again, harmlessly, if they were) and
    /// continues its open batches after their staged blocks.
    void restore(std::span<const std::byte> state) override;
    [[nodiscard]] std::string name() const override;

    /// Block `index`'s id: base64 of a fixed-width text, so every id of a blob has one length.
    [[nodiscard]] static std::string block_id(std::uint32_t index);

  private:
    struct batch {
        std::uint32_t partition = 0;
        event_time start{};
        std::string blob;
        std::uint32_t blocks = 0;  ///< staged so far
        std::uint64_t staged = 0;  ///< bytes staged so far
        std::uint64_t messages = 0;
        std::string pending;  ///< JSON Lines, or Avro records, not yet staged
        std::uint64_t pending_records = 0;
    };
    struct closed_blob {
        std::string blob;
        std::uint32_t blocks = 0;
    };
    /// Per partition: the last batch's start and its minute's next sequence number.
    struct partition_names {
        event_time last_start{};
        std::int64_t minute = 0;
        std::uint32_t next_seq = 0;
    };

    batch& open(std::uint32_t partition, event_time time);
    void stage(batch& open_batch);
    void close_batch(batch& open_batch);
    void commit(const closed_blob& blob);

    blob_archive_options options_;
    blob_path_format format_;
    blob_client client_;
    std::shared_ptr<iothub_avro_encoder> avro_;
    std::map<std::uint32_t, batch> open_;
    std::map<std::uint32_t, partition_names> names_;
    std::vector<closed_blob> closing_;  ///< closed since the last checkpoint
    std::vector<closed_blob> ready_;    ///< closed before the last checkpoint: it covers them
    std::uint64_t bytes_ = 0;
};

/// The archive `[archive] type = "azure_blob"` describes (options: connection_string_env,
/// container, hub, format, path_format, batch_frequency_seconds, max_chunk_bytes). Throws
/// `std::invalid_argument` naming the setting and its allowed values.
[[nodiscard]] std::unique_ptr<pipeline::archive_sink> make_blob_archive(
    const pipeline::endpoint_config& settings, bool commit_after_checkpoint);

}  // namespace streamcp::adapters
