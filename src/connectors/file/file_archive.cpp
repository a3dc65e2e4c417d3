// SPDX-License-Identifier: MIT
#include "file_archive.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <tuple>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <streamcp/state/byte_codec.hpp>

#if STREAMCP_WITH_AVRO
#include "iothub_avro.hpp"
#endif

namespace streamcp::adapters {
namespace {

constexpr std::size_t flush_at = std::size_t{1} << 18;
constexpr std::int64_t seq_retention_minutes = std::int64_t{24} * 60;
/// 2: times in 100 ns ticks; 1 (before event times covered years 1..9999): nanoseconds.
constexpr std::uint32_t state_version = 2;
constexpr std::uint32_t nanosecond_state_version = 1;
/// Beyond this many open files (a timestamp far in the future holds every minute open), the
/// oldest minute's file is completed.
constexpr std::size_t max_open_files = 64;
/// Avro records are written out as a block once they reach this size (or at a sync).
constexpr std::size_t avro_block_bytes = std::size_t{64} << 10;

[[noreturn]] void io_error(const std::string& what, const std::string& name) {
    throw std::runtime_error(what + " " + name + ": " + std::strerror(errno));
}

std::int64_t minute_of(event_time time) {
    return std::chrono::floor<std::chrono::minutes>(time).time_since_epoch().count();
}

event_time minute_end(std::int64_t minute) { return event_time{std::chrono::minutes{minute + 1}}; }

std::string two(unsigned value) {
    std::array<char, 4> text{};
    std::snprintf(text.data(), text.size(), "%02u", value % 100U);
    return text.data();
}

}  // namespace

archive_layout parse_archive_layout(std::string_view name) {
    if (name == "date") {
        return archive_layout::date_path;
    }
    if (name == "iothub") {
        return archive_layout::iothub;
    }
    throw std::invalid_argument("archive layout '" + std::string(name) +
                                "' is unknown: allowed date, iothub");
}

archive_format parse_archive_format(std::string_view name) {
    if (name == "json") {
        return archive_format::json;
    }
    if (name == "avro") {
#if STREAMCP_WITH_AVRO
        return archive_format::avro;
#else
        throw std::invalid_argument("archive format avro needs a build with Avro C (libavro-dev)");
#endif
    }
    throw std::invalid_argument("archive format '" + std::string(name) +
                                "' is unknown: allowed json, avro");
}

file_archive::file_archive(archive_options options) : options_(std::move(options)) {
#if STREAMCP_WITH_AVRO
    if (options_.format == archive_format::avro) {
        avro_ = std::make_shared<iothub_avro_encoder>();
    }
#endif
    if (options_.format == archive_format::avro && !avro_) {
        throw std::invalid_argument("archive format avro needs a build with Avro C (libavro-dev)");
    }
    if (options_.directory.empty()) {
        throw std::invalid_argument("the archive directory must be named");
    }
    if (options_.layout == archive_layout::iothub &&
        (options_.hub.empty() || options_.hub.find('/') != std::string::npos)) {
        throw std::invalid_argument(
            "the iothub archive layout needs a hub name without '/' (--archive-hub)");
    }
    if (options_.grace.count() < 0) {
        throw std::invalid_argument("the archive grace must not be negative");
    }
}

file_archive::~file_archive() {
    // A run that stops early (an error) leaves its open files under their temporary names: they
    // are incomplete, and a checkpointed restart continues them.
    for (open_file& file : open_) {
        try {
            flush(file);
        } catch (const std::exception& error) {
            std::fprintf(stderr, "streamcp: %s\n", error.what());
        }
        ::close(file.fd);
    }
}

void file_archive::prepare() {
    const std::string& dir = options_.directory;
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error || !std::filesystem::is_directory(dir)) {
        throw std::runtime_error("cannot use archive directory " + dir + ": " +
                                 (error ? error.message() : std::string("not a directory")));
    }
    // Permissions alone do not tell (root, read-only mounts): creating a file does. An unnamed
    // file first, so a kill -9 during the probe leaves nothing in the archive.
    int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    if (errno != EOPNOTSUPP && errno != EISDIR) {
        io_error("cannot write in archive directory", dir);
    }
    // The file system has no unnamed files: a named one, created and removed.
    const std::string probe = dir + "/.streamcp-probe-" + std::to_string(::getpid()) + ".tmp";
    fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        io_error("cannot write in archive directory", dir);
    }
    ::close(fd);
    ::unlink(probe.c_str());
}

std::string file_archive::name() const {
    return "archive(" + options_.directory + "," +
           (options_.layout == archive_layout::iothub ? "iothub:" + options_.hub : "date") + "," +
           std::to_string(options_.max_bytes) + "," + std::to_string(options_.grace.count()) +
           "ns" + (options_.format == archive_format::avro ? ",avro" : "") + ")";
}

std::pair<std::string, std::string> file_archive::place(std::int64_t minute,
                                                        std::uint32_t partition,
                                                        std::uint32_t seq) const {
    const auto at = std::chrono::sys_seconds{std::chrono::minutes{minute}};
    const auto day = std::chrono::floor<std::chrono::days>(at);
    const std::chrono::year_month_day date{day};
    const std::chrono::hh_mm_ss clock{at - day};
    std::array<char, 16> year{};
    std::snprintf(year.data(), year.size(), "%04d", static_cast<int>(date.year()));
    const std::string month = two(static_cast<unsigned>(date.month()));
    const std::string mday = two(static_cast<unsigned>(date.day()));
    const std::string hour = two(static_cast<unsigned>(clock.hours().count()));
    const std::string mm = two(static_cast<unsigned>(clock.minutes().count()));
    std::array<char, 48> tail{};
    const char* extension = options_.format == archive_format::avro ? "avro" : "jsonl";
    if (options_.layout == archive_layout::iothub) {
        // IoT Hub routing's default name, {iothub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}, and a
        // sequence number for a minute's further files.
        std::snprintf(tail.data(), tail.size(), "-%04u.%s", seq, extension);
        return {options_.directory + "/" + options_.hub + "/" + std::to_string(partition) + "/" +
                    year.data() + "/" + month + "/" + mday + "/" + hour,
                mm + tail.data()};
    }
    std::snprintf(tail.data(), tail.size(), "-%u-%04u.%s", partition, seq, extension);
    return {options_.directory + "/" + year.data() + "/" + month + "/" + mday + "/" + hour,
            mm + tail.data()};
}

std::string file_archive::final_path(std::int64_t minute, std::uint32_t partition,
                                     std::uint32_t seq) const {
    const auto [dir, file] = place(minute, partition, seq);
    return dir + "/" + file;
}

std::string file_archive::temp_path(std::int64_t minute, std::uint32_t partition,
                                    std::uint32_t seq) const {
    const auto [dir, file] = place(minute, partition, seq);
    return dir + "/." + file + ".tmp";
}

std::uint32_t file_archive::take_seq(std::int64_t minute, std::uint32_t partition) {
    const auto key = std::make_pair(partition, minute);
    if (auto found = next_seq_.find(key); found != next_seq_.end()) {
        return found->second++;
    }
    std::uint32_t seq = 0;
    const auto latest = latest_.find(partition);
    if (latest != latest_.end() && minute < minute_of(latest->second) - seq_retention_minutes) {
        // A minute older than the counters kept: continue after the files already there.
        const auto [dir, first] = place(minute, partition, 0);
        const std::string extension = first.substr(first.rfind('.'));
        const std::string stem = first.substr(0, first.size() - 4 - extension.size());
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator{dir, error}) {
            std::string file = entry.path().filename().string();
            if (file.starts_with(".") && file.ends_with(".tmp")) {
                file = file.substr(1, file.size() - 5);
            }
            if (file.starts_with(stem) && file.ends_with(extension)) {
                const std::string digits =
                    file.substr(stem.size(), file.size() - stem.size() - extension.size());
                if (!digits.empty() && std::all_of(digits.begin(), digits.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; })) {
                    seq = std::max(seq, static_cast<std::uint32_t>(std::stoul(digits) + 1));
                }
            }
        }
    }
    next_seq_[key] = seq + 1;
    return seq;
}

file_archive::open_file& file_archive::open(std::int64_t minute, std::uint32_t partition) {
    if (open_.size() >= max_open_files) {
        const auto oldest = std::min_element(open_.begin(), open_.end(),
                                             [](const open_file& a, const open_file& b) {
                                                 return std::tie(a.minute, a.partition, a.seq) <
                                                        std::tie(b.minute, b.partition, b.seq);
                                             });
        complete(*oldest);
        open_.erase(oldest);
    }
    const std::uint32_t seq = take_seq(minute, partition);
    const auto [dir, file] = place(minute, partition, seq);
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
        throw std::runtime_error("cannot create archive directory " + dir + ": " + error.message());
    }
    const std::string temp = dir + "/." + file + ".tmp";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        io_error("cannot create archive file", temp);
    }
    open_file& added = open_.emplace_back();
    added.minute = minute;
    added.partition = partition;
    added.seq = seq;
    added.fd = fd;
#if STREAMCP_WITH_AVRO
    if (avro_) {
        added.buffer = avro_->header(avro_sync_marker_for(dir + "/" + file));
        added.length = added.buffer.size();
    }
#endif
    return added;
}

void file_archive::flush(open_file& file) const {
    std::size_t done = 0;
    while (done < file.buffer.size()) {
        const ssize_t wrote =
            ::write(file.fd, file.buffer.data() + done, file.buffer.size() - done);
        if (wrote < 0) {
            if (errno == EINTR) {
                continue;
            }
            file.buffer.clear();
            io_error("cannot write archive file", temp_path(file.minute, file.partition, file.seq));
        }
        done += static_cast<std::size_t>(wrote);
    }
    file.buffer.clear();
}

void file_archive::seal([[maybe_unused]] open_file& file) {
#if STREAMCP_WITH_AVRO
    if (avro_ && file.block_records > 0) {
        const std::string block =
            avro_->block(file.block, file.block_records,
                         avro_sync_marker_for(final_path(file.minute, file.partition, file.seq)));
        file.buffer += block;
        file.length += block.size();
        file.block.clear();
        file.block_records = 0;
    }
#endif
}

std::uint64_t file_archive::pending_length(const open_file& file) {
    return file.length + file.block.size();
}

void file_archive::complete(open_file& file) {
    seal(file);
    flush(file);
    const std::string temp = temp_path(file.minute, file.partition, file.seq);
    if (::fdatasync(file.fd) != 0) {
        io_error("cannot sync archive file", temp);
    }
    ::close(file.fd);
    file.fd = -1;
    const std::string final = final_path(file.minute, file.partition, file.seq);
    if (::rename(temp.c_str(), final.c_str()) != 0) {
        io_error("cannot rename archive file to", final);
    }
}

void file_archive::write(std::string_view raw, event_time time, std::uint32_t partition) {
    const std::int64_t minute = minute_of(time);
    const std::uint64_t size = raw.size() + 1;
    auto found = std::find_if(open_.begin(), open_.end(), [&](const open_file& file) {
        return file.minute == minute && file.partition == partition;
    });
    if (found != open_.end() && options_.max_bytes > 0 && found->length > 0 &&
        pending_length(*found) + size > options_.max_bytes) {
        complete(*found);  // rolled by size: the minute continues in its next file
        open_.erase(found);
        found = open_.end();
    }
    open_file& file = found != open_.end() ? *found : open(minute, partition);
    bytes_ += size;
#if STREAMCP_WITH_AVRO
    if (avro_) {
        avro_->append(file.block, raw, time);
        ++file.block_records;
        if (file.block.size() >= avro_block_bytes) {
            seal(file);
        }
    } else
#endif
    {
        file.buffer.append(raw);
        file.buffer.push_back('\n');
        file.length += size;
    }
    if (file.buffer.size() >= flush_at) {
        flush(file);
    }

    auto [latest, inserted] = latest_.try_emplace(partition, time);
    if (!inserted && time <= latest->second) {
        return;
    }
    const bool new_minute = inserted || minute_of(latest->second) != minute;
    latest->second = time;
    // Rolled by time: a minute is complete once its partition is `grace` past its end.
    for (auto it = open_.begin(); it != open_.end();) {
        if (it->partition == partition &&
            minute_end(it->minute) + std::chrono::ceil<tick_duration>(options_.grace) <= time) {
            complete(*it);
            it = open_.erase(it);
        } else {
            ++it;
        }
    }
    if (new_minute) {
        const std::int64_t oldest_kept = minute - seq_retention_minutes;
        std::erase_if(next_seq_, [&](const auto& entry) {
            return entry.first.first == partition && entry.first.second < oldest_kept;
        });
    }
}

void file_archive::sync() {
    for (open_file& file : open_) {
        seal(file);  // a checkpoint's length must end on a block boundary
        flush(file);
        if (::fdatasync(file.fd) != 0) {
            io_error("cannot sync archive file", temp_path(file.minute, file.partition, file.seq));
        }
    }
}

void file_archive::close() {
    // In name order, so that a reader polling the directory sees them complete in order.
    std::sort(open_.begin(), open_.end(), [](const open_file& a, const open_file& b) {
        return std::tie(a.minute, a.partition, a.seq) < std::tie(b.minute, b.partition, b.seq);
    });
    for (open_file& file : open_) {
        complete(file);
    }
    open_.clear();
}

std::vector<std::byte> file_archive::save_state() const {
    byte_writer out;
    out.u32(state_version);
    out.u64(bytes_);
    out.u64(latest_.size());
    for (const auto& [partition, time] : latest_) {
        out.u32(partition);
        out.i64(time.time_since_epoch().count());
    }
    out.u64(next_seq_.size());
    for (const auto& [key, seq] : next_seq_) {
        out.u32(key.first);
        out.i64(key.second);
        out.u32(seq);
    }
    out.u64(open_.size());
    for (const open_file& file : open_) {
        out.u32(file.partition);
        out.i64(file.minute);
        out.u32(file.seq);
        out.u64(file.length);
    }
    return {out.bytes().begin(), out.bytes().end()};
}

void file_archive::abandon() {
    for (open_file& file : open_) {
        ::close(file.fd);
    }
    open_.clear();
}

void file_archive::restore(std::span<const std::byte> state) {
    abandon();
    byte_reader in{state};
    const std::uint32_t version = in.u32();
    if (version != state_version && version != nanosecond_state_version) {
        throw std::runtime_error("archive state of an unknown version in the checkpoint");
    }
    bytes_ = in.u64();
    latest_.clear();
    for (std::size_t n = in.length(12); n > 0; --n) {
        const std::uint32_t partition = in.u32();
        const std::int64_t count = in.i64();
        // Version 1 held nanoseconds: truncated to ticks, as every event time was.
        latest_[partition] = version == nanosecond_state_version
                                 ? to_event_time(std::chrono::sys_time<std::chrono::nanoseconds>{
                                       std::chrono::nanoseconds{count}})
                                 : event_time{tick_duration{count}};
    }
    next_seq_.clear();
    for (std::size_t n = in.length(16); n > 0; --n) {
        const std::uint32_t partition = in.u32();
        const std::int64_t minute = in.i64();
        next_seq_[{partition, minute}] = in.u32();
    }
    std::vector<open_file> files;
    for (std::size_t n = in.length(24); n > 0; --n) {
        open_file file;
        file.partition = in.u32();
        file.minute = in.i64();
        file.seq = in.u32();
        file.length = in.u64();
        files.push_back(std::move(file));
    }
    in.expect_end();
    for (open_file& file : files) {
        const std::string temp = temp_path(file.minute, file.partition, file.seq);
        const std::string final = final_path(file.minute, file.partition, file.seq);
        struct stat info {};
        if (::stat(temp.c_str(), &info) != 0) {
            // Completed after the checkpoint: take it back; the replay completes it again with
            // the same bytes.
            if (::rename(final.c_str(), temp.c_str()) != 0) {
                io_error("archive file of the checkpoint is missing:", final);
            }
        }
        file.fd = ::open(temp.c_str(), O_WRONLY | O_CLOEXEC);
        if (file.fd < 0) {
            io_error("cannot open archive file", temp);
        }
        open_.push_back(std::move(file));
        open_file& reopened = open_.back();
        if (::fstat(reopened.fd, &info) != 0) {
            io_error("cannot stat archive file", temp);
        }
        if (static_cast<std::uint64_t>(info.st_size) < reopened.length) {
            throw std::runtime_error(
                "archive file " + temp + " holds " + std::to_string(info.st_size) +
                " bytes, fewer than the checkpoint's " + std::to_string(reopened.length) +
                ": it was changed since; remove the checkpoint to start afresh");
        }
        if (::ftruncate(reopened.fd, static_cast<off_t>(reopened.length)) != 0 ||
            ::lseek(reopened.fd, static_cast<off_t>(reopened.length), SEEK_SET) < 0) {
            io_error("cannot truncate archive file", temp);
        }
    }
}

}  // namespace streamcp::adapters
