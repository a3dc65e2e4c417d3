// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <streamcp/function/event_time.hpp>

namespace streamcp::adapters {

/// IoT Hub routing's file name format: the tokens `{iothub}`, `{partition}`, `{YYYY}`, `{MM}`,
/// `{DD}`, `{HH}` and `{mm}`, each exactly once in any order, between literal text.
class blob_path_format {
  public:
    /// IoT Hub's default.
    static constexpr std::string_view iothub_default =
        "{iothub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}";

    /// Throws `std::invalid_argument` naming the missing, repeated or unknown token, or a hub
    /// name that is empty or holds '/', '{' or '}'.
    blob_path_format(std::string_view format, std::string hub);

    /// The name for a batch of `partition` that starts at `start`.
    [[nodiscard]] std::string render(std::uint32_t partition, event_time start) const;

    [[nodiscard]] const std::string& text() const { return format_; }

  private:
    std::string format_;
    std::string hub_;
};

}  // namespace streamcp::adapters
