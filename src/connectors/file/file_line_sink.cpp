// SPDX-License-Identifier: MIT
#include "file_line_sink.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace streamcp::adapters {
namespace {

constexpr std::size_t buffer_size = std::size_t{1} << 18;

[[noreturn]] void io_error(const std::string& what, const std::string& name) {
    throw std::runtime_error(what + " " + name + ": " + std::strerror(errno));
}

}  // namespace

file_line_sink::file_line_sink(const std::string& path, std::string role)
    : name_(path == "-" ? "stdout" : path), role_(std::move(role)), buffer_(buffer_size) {
    if (path == "-") {
        fd_ = STDOUT_FILENO;
    } else {
        fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) {
            io_error("cannot open " + role_, path);
        }
        owns_fd_ = true;
    }
    struct stat info {};
    truncatable_ = owns_fd_ && ::fstat(fd_, &info) == 0 && S_ISREG(info.st_mode);
    if (truncatable_) {
        // Append after whatever is there until the pipeline truncates.
        const off_t end = ::lseek(fd_, 0, SEEK_END);
        position_ = end < 0 ? 0 : static_cast<std::uint64_t>(end);
    }
}

file_line_sink::~file_line_sink() {
    try {
        flush();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "streamcp: %s\n", error.what());
    }
    if (owns_fd_) {
        ::close(fd_);
    }
}

void file_line_sink::write(std::string_view bytes) {
    if (bytes.size() > buffer_.size() - used_) {
        flush();
        if (bytes.size() > buffer_.size()) {
            buffer_.resize(bytes.size());
        }
    }
    std::memcpy(buffer_.data() + used_, bytes.data(), bytes.size());
    used_ += bytes.size();
    position_ += bytes.size();
}

void file_line_sink::flush() {
    std::size_t done = 0;
    while (done < used_) {
        const ssize_t wrote = ::write(fd_, buffer_.data() + done, used_ - done);
        if (wrote < 0) {
            if (errno == EINTR) {
                continue;
            }
            used_ = 0;  // a broken sink does not get the same bytes again from the destructor
            io_error("cannot write " + role_, name_);
        }
        done += static_cast<std::size_t>(wrote);
    }
    used_ = 0;
}

void file_line_sink::sync() {
    flush();
    if (truncatable_ && ::fdatasync(fd_) != 0) {
        io_error("cannot sync " + role_, name_);
    }
}

void file_line_sink::truncate(std::uint64_t size) {
    if (!truncatable_) {
        throw std::runtime_error(role_ + " " + name_ + " cannot be truncated");
    }
    flush();
    struct stat info {};
    if (::fstat(fd_, &info) != 0) {
        io_error("cannot stat " + role_, name_);
    }
    if (static_cast<std::uint64_t>(info.st_size) < size) {
        throw std::runtime_error(role_ + " " + name_ + " holds " + std::to_string(info.st_size) +
                                 " bytes, fewer than the checkpoint's " + std::to_string(size) +
                                 ": it was changed since; remove the checkpoint to start afresh");
    }
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0 ||
        ::lseek(fd_, static_cast<off_t>(size), SEEK_SET) < 0) {
        io_error("cannot truncate " + role_, name_);
    }
    position_ = size;
}

}  // namespace streamcp::adapters
