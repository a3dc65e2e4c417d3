// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "line_source.hpp"

namespace streamcp::adapters {

/// JSON Lines from a file or stdin, read in large blocks; each line is handed out in place with
/// simdjson's padding after it, so decoding copies nothing.
class file_line_source final : public pipeline::line_source {
  public:
    /// Opens `path`; "-" reads stdin. Throws `std::runtime_error` naming the path on failure.
    explicit file_line_source(const std::string& path);
    ~file_line_source() override;
    file_line_source(const file_line_source&) = delete;
    file_line_source& operator=(const file_line_source&) = delete;

    bool next(std::string_view& line) override;
    [[nodiscard]] std::uint64_t position() const override { return position_; }
    [[nodiscard]] bool seekable() const override { return seekable_; }
    void seek(std::uint64_t offset) override;
    [[nodiscard]] std::string name() const override { return name_; }

  private:
    /// Reads more bytes after the unconsumed tail; false at the end of the input.
    bool fill();

    std::string name_;
    int fd_ = -1;
    bool owns_fd_ = false;
    bool seekable_ = false;
    bool at_end_ = false;
    std::vector<char> buffer_;
    std::size_t begin_ = 0;  ///< first unconsumed byte
    std::size_t end_ = 0;    ///< one past the last byte read
    std::uint64_t position_ = 0;
};

}  // namespace streamcp::adapters
