// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace streamcp::pipeline {

/// Appends `text` as a JSON string literal. Bytes that are not valid UTF-8 are written as
/// `\u00XX` so that a rejected line of any bytes still yields valid JSON.
void append_json_string(std::string& out, std::string_view text);

/// Appends `value` in the shortest form that reads back to the same double, or `null` when it
/// is not finite (JSON cannot carry infinity; semantics.md#decision-11).
void append_json_number(std::string& out, double value);

/// The most characters `write_json_number` writes (`-1.2345678901234567e-308`).
inline constexpr std::size_t max_json_number_size = 24;

/// Writes `value` as `append_json_number` appends it to `out`, which has room for
/// `max_json_number_size` characters; returns the end of what it wrote.
char* write_json_number(char* out, double value) noexcept;

/// One top-level member of a JSON object, as byte ranges of the object's text.
struct json_member {
    /// The key as written, without its quotes (escapes not decoded).
    std::string_view key;
    /// The value's exact text.
    std::string_view value;
    /// From the key's opening quote to the value's end.
    std::string_view whole;
};

/// Splits the text of a JSON object that a validating parser has already accepted into its
/// top-level members, in order. Used where output must keep the input's exact bytes.
void split_json_members(std::string_view object, std::vector<json_member>& members);

/// `trim_json_whitespace` for text that starts or ends with whitespace.
[[nodiscard]] std::string_view trim_json_whitespace_ends(std::string_view text) noexcept;

/// Trims JSON whitespace (space, tab, CR, LF) from both ends. Inline: nearly every line is an
/// object with nothing around it, and then a two-byte check suffices.
[[nodiscard]] inline std::string_view trim_json_whitespace(std::string_view text) noexcept {
    if (!text.empty() && text.front() == '{' && text.back() == '}') {
        return text;
    }
    return trim_json_whitespace_ends(text);
}

}  // namespace streamcp::pipeline
