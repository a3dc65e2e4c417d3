// SPDX-License-Identifier: MIT
#include "json_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace streamcp::pipeline {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_escaped_byte(std::string& out, unsigned char byte) {
    out += "\\u00";
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 0xF];
}

/// Length of the valid UTF-8 sequence starting at `pos`, or 0 when it is not valid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length = 0;
    std::uint32_t min_code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        min_code = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        min_code = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        min_code = 0x10000;
    } else {
        return 0;
    }
    if (pos + length > text.size()) {
        return 0;
    }
    std::uint32_t code = lead & (0x7Fu >> length);
    for (std::size_t i = 1; i < length; ++i) {
        const auto c = static_cast<unsigned char>(text[pos + i]);
        if ((c & 0xC0) != 0x80) {
            return 0;
        }
        code = (code << 6) | (c & 0x3Fu);
    }
    if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
        return 0;
    }
    return length;
}

std::size_t skip_whitespace(std::string_view text, std::size_t pos) noexcept {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r')) {
        ++pos;
    }
    return pos;
}

/// Position just after the string literal whose opening quote is at `pos`.
std::size_t skip_string(std::string_view text, std::size_t pos) noexcept {
    ++pos;
    while (pos < text.size() && text[pos] != '"') {
        pos += text[pos] == '\\' ? std::size_t{2} : std::size_t{1};
    }
    return pos + 1;
}

/// Position just after the value starting at `pos`.
std::size_t skip_value(std::string_view text, std::size_t pos) noexcept {
    if (pos >= text.size()) {
        return pos;
    }
    if (text[pos] == '"') {
        return skip_string(text, pos);
    }
    if (text[pos] == '{' || text[pos] == '[') {
        int depth = 0;
        while (pos < text.size()) {
            const char c = text[pos];
            if (c == '"') {
                pos = skip_string(text, pos);
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    return pos + 1;
                }
            }
            ++pos;
        }
        return pos;
    }
    while (pos < text.size() && text[pos] != ',' && text[pos] != '}' && text[pos] != ']' &&
           text[pos] != ' ' && text[pos] != '\t' && text[pos] != '\n' && text[pos] != '\r') {
        ++pos;
    }
    return pos;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (std::size_t pos = 0; pos < text.size();) {
        const auto c = static_cast<unsigned char>(text[pos]);
        if (c >= 0x80) {
            const std::size_t length = utf8_sequence_length(text, pos);
            if (length == 0) {
                append_escaped_byte(out, c);
                ++pos;
            } else {
                out.append(text.substr(pos, length));
                pos += length;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    append_escaped_byte(out, c);
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++pos;
    }
    out += '"';
}

void append_json_number(std::string& out, double value) {
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    char buffer[32];
    // Shortest form, but never a long integer: 19664131024779923456 is exact JSON, yet many
    // readers (simdjson among them) refuse integers beyond 64 bits, so large values go in
    // scientific notation.
    const auto result =
        std::abs(value) >= 1e15
            ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific)
            : std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

void split_json_members(std::string_view object, std::vector<json_member>& members) {
    members.clear();
    std::size_t pos = skip_whitespace(object, 0);
    if (pos >= object.size() || object[pos] != '{') {
        return;
    }
    pos = skip_whitespace(object, pos + 1);
    while (pos < object.size() && object[pos] == '"') {
        const std::size_t key_start = pos;
        const std::size_t key_end = skip_string(object, pos);
        pos = skip_whitespace(object, key_end);
        pos = skip_whitespace(object, pos + 1);  // the ':'
        const std::size_t value_start = pos;
        const std::size_t value_end = skip_value(object, pos);
        members.push_back({object.substr(key_start + 1, key_end - key_start - 2),
                           object.substr(value_start, value_end - value_start),
                           object.substr(key_start, value_end - key_start)});
        pos = skip_whitespace(object, value_end);
        if (pos < object.size() && object[pos] == ',') {
            pos = skip_whitespace(object, pos + 1);
        }
    }
}

std::string_view trim_json_whitespace(std::string_view text) noexcept {
    const std::size_t begin = skip_whitespace(text, 0);
    std::size_t end = text.size();
    while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' ||
                           text[end - 1] == '\r')) {
        --end;
    }
    return text.substr(begin, end - begin);
}

}  // namespace streamcp::pipeline
