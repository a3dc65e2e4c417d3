// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace streamcp::test {

/// A child process with its stdin and stdout on pipes (the test double's control channel).
class child_process {
  public:
    /// Starts `argv[0]` with `argv`, adding `environment` (NAME=VALUE) to the current one.
    child_process(const std::vector<std::string>& argv,
                  const std::vector<std::string>& environment);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// The next stdout line, or nothing at end of output.
    std::optional<std::string> read_line();
    /// Writes `line` and a newline to its stdin.
    void write_line(const std::string& line);
    /// Closes stdin, waits for the exit (SIGKILL if it does not end) and returns the status.
    int finish();

  private:
    pid_t pid_ = -1;
    int in_ = -1;
    int out_ = -1;
    std::string buffer_;
};

}  // namespace streamcp::test
