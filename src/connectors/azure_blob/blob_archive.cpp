// SPDX-License-Identifier: MIT
#include "blob_archive.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include <streamcp/state/byte_codec.hpp>

#include "endpoint_options.hpp"
#include "sas_token.hpp"

#if STREAMCP_WITH_AVRO
#include "iothub_avro.hpp"
#endif

namespace streamcp::adapters {
namespace {

/// 2: times in 100 ns ticks; 1 (before event times covered years 1..9999): nanoseconds.
constexpr std::uint32_t state_version = 2;
constexpr std::uint32_t nanosecond_state_version = 1;
/// What a record adds to a blob beyond its body: Avro's framing and EnqueuedTimeUtc, or a
/// newline. An upper bound, so that a blob stays within max_chunk_bytes.
constexpr std::uint64_t record_overhead = 64;
/// Room for the Avro header, staged with the first block.
constexpr std::uint64_t header_room = 1024;

std::int64_t minute_of(event_time time) {
    return std::chrono::floor<std::chrono::minutes>(time).time_since_epoch().count();
}

/// A stored time: ticks, or in a version 1 state nanoseconds (truncated to ticks as they were).
event_time read_time(byte_reader& in, std::uint32_t version) {
    const std::int64_t count = in.i64();
    return version == nanosecond_state_version
               ? to_event_time(std::chrono::sys_time<std::chrono::nanoseconds>{
                     std::chrono::nanoseconds{count}})
               : event_time{tick_duration{count}};
}

}  // namespace

blob_archive::blob_archive(blob_archive_options options)
    : options_(std::move(options)),
      format_(options_.path_format, options_.hub),
      client_(options_.account, options_.container, options_.retry) {
    if (options_.avro) {
#if STREAMCP_WITH_AVRO
        avro_ = std::make_shared<iothub_avro_encoder>();
#else
        throw std::invalid_argument(
            "config: archive.format avro needs a build with Avro C (libavro-dev)");
#endif
    }
    if (options_.container.empty()) {
        throw std::invalid_argument("config: archive.container must name the container");
    }
    // A SAS usually grants one container's blobs, not creating containers: it must exist.
    if (options_.account.sas.empty()) {
        client_.create_container();
    }
}

blob_archive::~blob_archive() = default;

std::string blob_archive::block_id(std::uint32_t index) {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "streamcp-%010u", index);
    return base64_encode(text.data());
}

std::string blob_archive::name() const {
    return "azure_blob(" + client_.where() + "," + format_.text() + "," + options_.hub + "," +
           std::to_string(options_.batch_frequency.count()) + "s," +
           std::to_string(options_.max_chunk_bytes) + (options_.avro ? ",avro" : ",json") + ")";
}

blob_archive::batch& blob_archive::open(std::uint32_t partition, event_time time) {
    partition_names& names = names_[partition];
    // Batches of a partition start in time order even when a message is older than the last
    // batch: then names never repeat and a replay makes the same ones.
    const event_time start = std::max(time, names.last_start);
    const std::int64_t minute = minute_of(start);
    if (minute != names.minute || names.next_seq == 0) {
        names.minute = minute;
        names.next_seq = 0;
    }
    const std::uint32_t seq = names.next_seq++;
    names.last_start = start;
    std::array<char, 16> suffix{};
    std::snprintf(suffix.data(), suffix.size(), "-%04u", seq);
    batch& added = open_[partition];
    added = batch{};
    added.partition = partition;
    added.start = start;
    added.blob =
        format_.render(partition, start) + suffix.data() + (options_.avro ? ".avro" : ".jsonl");
    return added;
}

void blob_archive::write(std::string_view raw, event_time time, std::uint32_t partition) {
    auto found = open_.find(partition);
    if (found != open_.end()) {
        batch& current = found->second;
        const bool time_up = time - current.start >= options_.batch_frequency;
        const bool full =
            current.staged + current.pending.size() + header_room + raw.size() + record_overhead >
            options_.max_chunk_bytes;
        if (time_up || (full && current.messages > 0)) {
            close_batch(current);
            open_.erase(found);
            found = open_.end();
        }
    }
    batch& current = found != open_.end() ? found->second : open(partition, time);
#if STREAMCP_WITH_AVRO
    if (avro_) {
        avro_->append(current.pending, raw, time);
    } else
#endif
    {
        current.pending.append(raw);
        current.pending.push_back('\n');
    }
    ++current.pending_records;
    ++current.messages;
    bytes_ += raw.size() + 1;
    if (current.pending.size() >= options_.block_bytes) {
        stage(current);
    }
}

void blob_archive::stage(batch& open_batch) {
    std::string data;
#if STREAMCP_WITH_AVRO
    if (avro_) {
        const avro_sync_marker sync = avro_sync_marker_for(open_batch.blob);
        if (open_batch.blocks == 0) {
            data = avro_->header(sync);
        }
        if (open_batch.pending_records > 0) {
            data += avro_->block(open_batch.pending, open_batch.pending_records, sync);
        }
    } else
#endif
    {
        data = std::move(open_batch.pending);
    }
    open_batch.pending.clear();
    open_batch.pending_records = 0;
    if (data.empty()) {
        return;
    }
    client_.put_block(open_batch.blob, block_id(open_batch.blocks), data);
    ++open_batch.blocks;
    open_batch.staged += data.size();
}

void blob_archive::commit(const closed_blob& blob) {
    std::vector<std::string> ids;
    ids.reserve(blob.blocks);
    for (std::uint32_t i = 0; i < blob.blocks; ++i) {
        ids.push_back(block_id(i));
    }
    client_.put_block_list(blob.blob, ids, options_.avro ? "avro/binary" : "application/x-ndjson");
}

void blob_archive::close_batch(batch& open_batch) {
    stage(open_batch);
    const closed_blob closed{.blob = open_batch.blob, .blocks = open_batch.blocks};
    if (options_.commit_after_checkpoint) {
        closing_.push_back(closed);
    } else {
        commit(closed);
    }
}

void blob_archive::sync() {
    // This runs just before a checkpoint is saved; the previous one is saved, and it covers
    // every blob in ready_.
    for (const closed_blob& blob : ready_) {
        commit(blob);
    }
    ready_.clear();
    for (auto& [partition, open_batch] : open_) {
        stage(open_batch);
    }
    ready_ = std::move(closing_);
    closing_.clear();
}

void blob_archive::close() {
    for (const std::vector<closed_blob>* list : {&ready_, &closing_}) {
        for (const closed_blob& blob : *list) {
            commit(blob);
        }
    }
    ready_.clear();
    closing_.clear();
    for (auto& [partition, open_batch] : open_) {
        stage(open_batch);
        commit({.blob = open_batch.blob, .blocks = open_batch.blocks});
    }
    open_.clear();
}

std::vector<std::byte> blob_archive::save_state() const {
    byte_writer out;
    out.u32(state_version);
    out.u64(bytes_);
    out.u64(names_.size());
    for (const auto& [partition, names] : names_) {
        out.u32(partition);
        out.i64(names.last_start.time_since_epoch().count());
        out.i64(names.minute);
        out.u32(names.next_seq);
    }
    // sync() ran first: nothing is pending, every open batch is its staged blocks.
    out.u64(open_.size());
    for (const auto& [partition, open_batch] : open_) {
        out.u32(partition);
        out.i64(open_batch.start.time_since_epoch().count());
        out.str(open_batch.blob);
        out.u32(open_batch.blocks);
        out.u64(open_batch.staged);
        out.u64(open_batch.messages);
    }
    out.u64(ready_.size() + closing_.size());
    for (const std::vector<closed_blob>* list : {&ready_, &closing_}) {
        for (const closed_blob& blob : *list) {
            out.str(blob.blob);
            out.u32(blob.blocks);
        }
    }
    return {out.bytes().begin(), out.bytes().end()};
}

void blob_archive::restore(std::span<const std::byte> state) {
    byte_reader in{state};
    const std::uint32_t version = in.u32();
    if (version != state_version && version != nanosecond_state_version) {
        throw std::runtime_error(
            "azure_blob archive state of an unknown version in the checkpoint");
    }
    bytes_ = in.u64();
    names_.clear();
    for (std::size_t n = in.length(24); n > 0; --n) {
        const std::uint32_t partition = in.u32();
        partition_names& names = names_[partition];
        names.last_start = read_time(in, version);
        names.minute = in.i64();
        names.next_seq = in.u32();
    }
    open_.clear();
    for (std::size_t n = in.length(32); n > 0; --n) {
        batch restored;
        restored.partition = in.u32();
        restored.start = read_time(in, version);
        restored.blob = in.str();
        restored.blocks = in.u32();
        restored.staged = in.u64();
        restored.messages = in.u64();
        open_[restored.partition] = std::move(restored);
    }
    std::vector<closed_blob> covered;
    for (std::size_t n = in.length(8); n > 0; --n) {
        closed_blob blob;
        blob.blob = in.str();
        blob.blocks = in.u32();
        covered.push_back(std::move(blob));
    }
    in.expect_end();
    ready_.clear();
    closing_.clear();
    for (const closed_blob& blob : covered) {
        commit(blob);
    }
}

std::unique_ptr<pipeline::archive_sink> make_blob_archive(const pipeline::endpoint_config& settings,
                                                          bool commit_after_checkpoint) {
    pipeline::reject_unknown_options(
        settings, {"connection_string_env", "container", "hub", "format", "path_format",
                   "batch_frequency_seconds", "max_chunk_bytes"});
    blob_archive_options options;
    options.account =
        parse_storage_connection_string(pipeline::secret_from_env(settings, "connection_string"),
                                        "config: " + settings.section + ".connection_string_env");
    options.container = pipeline::option_string(settings, "container");
    options.hub = pipeline::option_string(settings, "hub");
    const std::string format = pipeline::option_string(settings, "format", "avro");
    if (format != "avro" && format != "json") {
        throw std::invalid_argument("config: " + settings.section + ".format '" + format +
                                    "' is unknown: allowed avro, json");
    }
    options.avro = format == "avro";
    options.path_format = pipeline::option_string(settings, "path_format",
                                                  std::string(blob_path_format::iothub_default));
    options.batch_frequency = std::chrono::seconds{
        pipeline::option_int(settings, "batch_frequency_seconds", 300, 60, 720)};
    options.max_chunk_bytes = static_cast<std::uint64_t>(
        pipeline::option_int(settings, "max_chunk_bytes", std::int64_t{100} << 20,
                             std::int64_t{10} << 20, std::int64_t{500} << 20));
    options.commit_after_checkpoint = commit_after_checkpoint;
    return std::make_unique<blob_archive>(std::move(options));
}

}  // namespace streamcp::adapters
