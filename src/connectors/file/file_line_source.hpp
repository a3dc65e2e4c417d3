// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "line_source.hpp"
#include "stop_token.hpp"

namespace streamcp::adapters {

/// `--follow`: tail a file that is still being written.
struct follow_options {
    bool enabled = false;
    /// End after this long without new data; zero: only a stop request ends the run.
    std::chrono::nanoseconds idle_exit{0};
};

/// JSON Lines from a file or stdin, read in large blocks; each line is handed out in place with
/// simdjson's padding after it, so decoding copies nothing.
class file_line_source final : public pipeline::line_source {
  public:
    /// Opens `path`; "-" reads stdin. Throws `std::runtime_error` naming the path on failure
    /// or when it is a directory. Once `stop` is requested, `next` returns false (a read
    /// interrupted by the signal included) and never hands out a partial line. With `follow`
    /// the end of the file waits for more: a line counts only with its newline, and
    /// `pipeline::input_changed` is thrown when the file is replaced or truncated.
    explicit file_line_source(const std::string& path, pipeline::stop_token stop = {},
                              follow_options follow = {});
    ~file_line_source() override;
    file_line_source(const file_line_source&) = delete;
    file_line_source& operator=(const file_line_source&) = delete;

    bool next(std::string_view& line) override;
    [[nodiscard]] std::uint64_t position() const override { return position_; }
    [[nodiscard]] bool seekable() const override { return seekable_; }
    void seek(std::uint64_t offset) override;
    [[nodiscard]] std::string name() const override { return name_; }
    [[nodiscard]] std::optional<std::uint64_t> content_size() const override;
    [[nodiscard]] std::size_t read_at(std::uint64_t offset, std::span<char> into) const override;
    /// A followed file has no end: checkpoints and progress then run on the clock.
    [[nodiscard]] bool unbounded() const override { return follow_.enabled; }

  private:
    /// Reads more bytes after the unconsumed tail; false at the end of the input or on a stop.
    bool fill();
    /// The next line, the byte-order mark left in.
    bool next_line(std::string_view& line);
    /// Following at the end of the file: waits a moment for it to grow. False once
    /// `idle_exit` passed without data; throws `input_changed` for a replaced or truncated file.
    bool wait_for_growth();

    std::string name_;
    pipeline::stop_token stop_;
    follow_options follow_;
    std::chrono::steady_clock::time_point last_data_;
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
