// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "line_sink.hpp"

namespace streamcp::adapters {

/// Lines to a file or stdout through a large buffer. A regular file can be truncated (for
/// checkpoint restarts); stdout, pipes and devices cannot.
class file_line_sink final : public pipeline::line_sink {
  public:
    /// Opens `path` for writing without truncating it (the pipeline decides where to cut); "-"
    /// writes stdout. Throws `std::runtime_error` naming the path on failure; `role` says what
    /// the file is in messages ("output", "rejects file").
    explicit file_line_sink(const std::string& path, std::string role = "output");
    ~file_line_sink() override;
    file_line_sink(const file_line_sink&) = delete;
    file_line_sink& operator=(const file_line_sink&) = delete;

    void write(std::string_view bytes) override;
    void flush() override;
    void sync() override;
    [[nodiscard]] std::uint64_t position() const override { return position_; }
    [[nodiscard]] bool truncatable() const override { return truncatable_; }
    void truncate(std::uint64_t size) override;
    [[nodiscard]] std::string name() const override { return name_; }

  private:
    std::string name_;
    std::string role_;
    int fd_ = -1;
    bool owns_fd_ = false;
    bool truncatable_ = false;
    std::vector<char> buffer_;
    std::size_t used_ = 0;
    std::uint64_t position_ = 0;
};

}  // namespace streamcp::adapters
