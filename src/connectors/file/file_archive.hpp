// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "archive_sink.hpp"

namespace streamcp::adapters {

class iothub_avro_encoder;  // iothub_avro.hpp (connector_avro, linked privately)

/// How archive file names are built from a message's minute, partition and sequence number.
enum class archive_layout {
    /// `{dir}/{YYYY}/{MM}/{DD}/{HH}/{mm}-{partition}-{seq}.jsonl`: the seed's data-lake layout.
    date_path,
    /// `{dir}/{hub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}-{seq}.jsonl`: IoT Hub routing's default
    /// file name format `{iothub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}`.
    iothub,
};

/// Parses "date" or "iothub"; throws `std::invalid_argument` otherwise.
[[nodiscard]] archive_layout parse_archive_layout(std::string_view name);

/// What the archive files hold.
enum class archive_format {
    json,  ///< `.jsonl`: each raw message and a newline
    avro,  ///< `.avro`: IoT Hub message routing's Avro records (docs/operations.md)
};

/// Parses "json" or "avro"; throws `std::invalid_argument` otherwise (or for avro in a build
/// without Avro C).
[[nodiscard]] archive_format parse_archive_format(std::string_view name);

struct archive_options {
    std::string directory;
    archive_layout layout = archive_layout::date_path;
    archive_format format = archive_format::json;
    std::string hub;  ///< the `{hub}` of the iothub layout
    /// A file is completed before it would grow past this many bytes (0: no limit).
    std::uint64_t max_bytes = std::uint64_t{64} << 20;
    /// A minute's file is completed once an event of its partition is this much past the
    /// minute's end (the query's out-of-order tolerance).
    std::chrono::nanoseconds grace{0};
};

/// Raw messages in date-partitioned JSON Lines or Avro files. Each file is written under a
/// dot-prefixed temporary name in its final directory (`.{name}.tmp`) and renamed when complete, so
/// readers listing `*.jsonl` never see a partial file. Names come from the event time and a
/// per-minute sequence number (4 digits, from 0000), so a replay of the same input writes the same
/// names.
class file_archive final : public pipeline::archive_sink {
  public:
    /// Throws `std::invalid_argument` for a bad option.
    explicit file_archive(archive_options options);
    ~file_archive() override;
    file_archive(const file_archive&) = delete;
    file_archive& operator=(const file_archive&) = delete;

    void prepare() override;
    void write(std::string_view raw, event_time time, std::uint32_t partition) override;
    void sync() override;
    void close() override;
    [[nodiscard]] std::uint64_t position() const override { return bytes_; }
    [[nodiscard]] std::vector<std::byte> save_state() const override;
    void restore(std::span<const std::byte> state) override;
    [[nodiscard]] std::string name() const override;

    /// The final path of a file (for tests and tools).
    [[nodiscard]] std::string final_path(std::int64_t minute, std::uint32_t partition,
                                         std::uint32_t seq) const;
    /// Its temporary path while it is being written.
    [[nodiscard]] std::string temp_path(std::int64_t minute, std::uint32_t partition,
                                        std::uint32_t seq) const;

  private:
    struct open_file {
        std::int64_t minute = 0;  ///< minutes since the Unix epoch
        std::uint32_t partition = 0;
        std::uint32_t seq = 0;
        std::uint64_t length = 0;  ///< bytes written, buffered ones included
        int fd = -1;
        std::string buffer;
        std::string block;  ///< avro: records encoded since the last block was written
        std::uint64_t block_records = 0;
    };

    /// (directory, file name) of a file; the temporary name is "." + name + ".tmp".
    [[nodiscard]] std::pair<std::string, std::string> place(std::int64_t minute,
                                                            std::uint32_t partition,
                                                            std::uint32_t seq) const;
    std::uint32_t take_seq(std::int64_t minute, std::uint32_t partition);
    open_file& open(std::int64_t minute, std::uint32_t partition);
    void flush(open_file& file) const;
    /// Avro: writes the pending records as a block, so the file ends on a block boundary.
    void seal(open_file& file);
    /// The bytes of `file` once its pending records are written.
    [[nodiscard]] static std::uint64_t pending_length(const open_file& file);
    void complete(open_file& file);
    void abandon();

    archive_options options_;
    /// Format avro only. shared_ptr: its deleter comes from where it is made, so builds without
    /// Avro C need no encoder code.
    std::shared_ptr<iothub_avro_encoder> avro_;
    std::vector<open_file> open_;
    /// The next sequence number of each (partition, minute) that has had a file, for the last
    /// `seq_retention` of each partition; older minutes scan their directory.
    std::map<std::pair<std::uint32_t, std::int64_t>, std::uint32_t> next_seq_;
    std::map<std::uint32_t, event_time> latest_;  ///< newest event time per partition
    std::uint64_t bytes_ = 0;
};

}  // namespace streamcp::adapters
