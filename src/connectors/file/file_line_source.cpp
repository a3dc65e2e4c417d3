// SPDX-License-Identifier: MIT
#include "file_line_source.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

namespace streamcp::adapters {
namespace {

constexpr std::size_t block_size = std::size_t{1} << 20;

[[noreturn]] void io_error(const std::string& what, const std::string& name) {
    throw std::runtime_error(what + " " + name + ": " + std::strerror(errno));
}

}  // namespace

file_line_source::file_line_source(const std::string& path)
    : name_(path == "-" ? "stdin" : path), buffer_(block_size + simdjson::SIMDJSON_PADDING) {
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
    seekable_ = ::fstat(fd_, &info) == 0 && S_ISREG(info.st_mode);
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
    do {
        got = ::read(fd_, buffer_.data() + end_, room);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        io_error("cannot read input", name_);
    }
    if (got == 0) {
        at_end_ = true;
        return false;
    }
    end_ += static_cast<std::size_t>(got);
    return true;
}

bool file_line_source::next(std::string_view& line) {
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
            if (begin_ == end_) {
                return false;
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

}  // namespace streamcp::adapters
