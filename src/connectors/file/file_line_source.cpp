// SPDX-License-Identifier: MIT
#include "file_line_source.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string_view>

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

namespace streamcp::adapters {
namespace {

constexpr std::size_t block_size = std::size_t{1} << 20;
/// How often a followed file is checked for growth.
constexpr auto follow_poll = std::chrono::milliseconds{50};
/// A UTF-8 byte-order mark, which some Windows tools put before the first line.
constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";

[[noreturn]] void io_error(const std::string& what, const std::string& name) {
    throw std::runtime_error(what + " " + name + ": " + std::strerror(errno));
}

}  // namespace

file_line_source::file_line_source(const std::string& path, pipeline::stop_token stop,
                                   follow_options follow)
    : name_(path == "-" ? "stdin" : path),
      stop_(stop),
      follow_(follow),
      last_data_(std::chrono::steady_clock::now()),
      buffer_(block_size + simdjson::SIMDJSON_PADDING) {
    if (path == "-") {
        fd_ = STDIN_FILENO;
    } else {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) {
            io_error("cannot open input", path);
        }
        owns_fd_ = true;
    }
    struct stat info {};
    const bool known = ::fstat(fd_, &info) == 0;
    if (known && S_ISDIR(info.st_mode)) {
        if (owns_fd_) {
            ::close(fd_);
        }
        throw std::runtime_error("input " + name_ + " is a directory, not a JSON Lines file");
    }
    seekable_ = known && S_ISREG(info.st_mode);
    if (follow_.enabled && !seekable_) {
        if (owns_fd_) {
            ::close(fd_);
        }
        throw std::invalid_argument("--follow needs a regular --input file; " + name_ +
                                    " is not one");
    }
}

bool file_line_source::wait_for_growth() {
    struct stat now {};
    struct stat open {};
    if (::fstat(fd_, &open) != 0) {
        io_error("cannot stat input", name_);
    }
    if (::stat(name_.c_str(), &now) != 0 || now.st_ino != open.st_ino ||
        now.st_dev != open.st_dev) {
        throw pipeline::input_changed("input " + name_ +
                                      " was replaced or removed while followed; start again "
                                      "on the new file");
    }
    const off_t read_so_far = ::lseek(fd_, 0, SEEK_CUR);
    if (read_so_far >= 0 && open.st_size < read_so_far) {
        throw pipeline::input_changed("input " + name_ + " was truncated while followed (to " +
                                      std::to_string(open.st_size) + " bytes, " +
                                      std::to_string(read_so_far) + " read); start again");
    }
    if (follow_.idle_exit.count() > 0 &&
        std::chrono::steady_clock::now() - last_data_ >= follow_.idle_exit) {
        return false;
    }
    // One nanosleep: a signal ends it early, and the caller then sees the stop request.
    const auto nanoseconds = std::chrono::nanoseconds{follow_poll}.count();
    const timespec pause{.tv_sec = 0, .tv_nsec = static_cast<long>(nanoseconds)};
    ::nanosleep(&pause, nullptr);
    return true;
}

file_line_source::~file_line_source() {
    if (owns_fd_) {
        ::close(fd_);
    }
}

bool file_line_source::fill() {
    if (at_end_) {
        return false;
    }
    if (begin_ > 0) {  // move the partial line to the front
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (buffer_.size() - end_ < block_size / 2 + simdjson::SIMDJSON_PADDING) {
        buffer_.resize(buffer_.size() * 2);  // a line longer than the buffer
    }
    const std::size_t room = buffer_.size() - end_ - simdjson::SIMDJSON_PADDING;
    ssize_t got = 0;
    while (true) {
        got = ::read(fd_, buffer_.data() + end_, room);
        if (stop_.stop_requested()) {
            return false;  // a stop, even while waiting for a pipe: not the end of the input
        }
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            io_error("cannot read input", name_);
        }
        if (got > 0 || !follow_.enabled || !wait_for_growth()) {
            break;
        }
    }
    if (got > 0) {
        last_data_ = std::chrono::steady_clock::now();
    }
    if (got == 0) {
        at_end_ = true;
        return false;
    }
    end_ += static_cast<std::size_t>(got);
    return true;
}

bool file_line_source::next(std::string_view& line) {
    if (stop_.stop_requested()) {
        return false;
    }
    const bool first = position_ == 0;
    const bool got = next_line(line);
    if (got && first && line.starts_with(byte_order_mark)) {
        line.remove_prefix(byte_order_mark.size());  // position_ still counts its bytes
    }
    return got;
}

bool file_line_source::next_line(std::string_view& line) {
    std::size_t scanned = begin_;
    while (true) {
        const void* newline = std::memchr(buffer_.data() + scanned, '\n', end_ - scanned);
        if (newline != nullptr) {
            const auto at =
                static_cast<std::size_t>(static_cast<const char*>(newline) - buffer_.data());
            line = std::string_view{buffer_.data() + begin_, at - begin_};
            position_ += at + 1 - begin_;
            begin_ = at + 1;
            return true;
        }
        const std::size_t pending = end_ - begin_;
        if (!fill()) {
            if (begin_ == end_ || !at_end_ || follow_.enabled) {
                return false;  // the end, a stop, or a followed line its writer has not ended
            }
            // The last line has no newline: hand it out as it is.
            line = std::string_view{buffer_.data() + begin_, end_ - begin_};
            position_ += end_ - begin_;
            begin_ = end_;
            return true;
        }
        scanned = begin_ + pending;  // fill() moved the pending bytes to the front
    }
}

void file_line_source::seek(std::uint64_t offset) {
    if (!seekable_) {
        throw std::runtime_error("input " + name_ + " is not seekable");
    }
    if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
        io_error("cannot seek input", name_);
    }
    begin_ = end_ = 0;
    at_end_ = false;
    position_ = offset;
}

std::optional<std::uint64_t> file_line_source::content_size() const {
    struct stat info {};
    if (!seekable_ || ::fstat(fd_, &info) != 0) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(info.st_size);
}

std::size_t file_line_source::read_at(std::uint64_t offset, std::span<char> into) const {
    std::size_t done = 0;
    while (done < into.size()) {
        const ssize_t got =
            ::pread(fd_, into.data() + done, into.size() - done, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            io_error("cannot read input", name_);
        }
        if (got == 0) {
            break;
        }
        done += static_cast<std::size_t>(got);
    }
    return done;
}

}  // namespace streamcp::adapters
