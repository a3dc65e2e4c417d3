// SPDX-License-Identifier: MIT
#include "json_text.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace streamcp::pipeline {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

void append_escaped_byte(std::string& out, unsigned char byte) {
    out += "\\u00";
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 0xF];
}

/// "00" to "99": two digits per division.
constexpr std::string_view digit_pairs =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/// The 8 decimal digits of `value` (< 10^8) as byte values 0-9, the first in the lowest byte:
/// each step splits every lane in two (SWAR) instead of one division per digit.
[[nodiscard]] constexpr std::uint64_t digit_lanes(std::uint32_t value) noexcept {
    std::uint64_t x = value / 10'000 | std::uint64_t{value % 10'000} << 32;
    const std::uint64_t hundreds = (x * 10'486) >> 20 & 0x0000'007F'0000'007FULL;  // /100, < 10^4
    x = hundreds | (x - hundreds * 100) << 16;
    const std::uint64_t tens = (x * 103) >> 10 & 0x000F'000F'000F'000FULL;  // /10, < 100
    return tens | (x - tens * 10) << 8;
}

/// Writes the decimal digits of `value` (> 0, below 10^17: a double's shortest significand)
/// just before `end`, which has 24 bytes before it; returns where they start.
char* write_digits(char* end, std::uint64_t value) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        constexpr std::uint64_t ascii_zeros = 0x3030'3030'3030'3030ULL;
        while (value >= 100'000'000) {
            const std::uint64_t text =
                digit_lanes(static_cast<std::uint32_t>(value % 100'000'000)) | ascii_zeros;
            end -= 8;
            std::memcpy(end, &text, 8);
            value /= 100'000'000;
        }
        const std::uint64_t lanes = digit_lanes(static_cast<std::uint32_t>(value));
        const std::uint64_t text = lanes | ascii_zeros;
        end -= 8;
        std::memcpy(end, &text, 8);
        return end + std::countr_zero(lanes) / 8;  // past the leading zeros
    } else {
        do {
            *--end = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value != 0);
        return end;
    }
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
    std::uint32_t code = lead & (0x7FU >> length);
    for (std::size_t i = 1; i < length; ++i) {
        const auto c = static_cast<unsigned char>(text[pos + i]);
        if ((c & 0xC0) != 0x80) {
            return 0;
        }
        code = (code << 6) | (c & 0x3FU);
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

char* write_json_number(char* out, double value) noexcept {
    const auto copy_text = [out](std::string_view text) {
        std::memcpy(out, text.data(), text.size());
        return out + text.size();
    };
    if (!std::isfinite(value)) {
        return copy_text("null");
    }
    if (value == 0) {
        return copy_text(std::signbit(value) ? "-0" : "0");
    }
    // The shortest digits that read back (Dragonbox: the same digits as std::to_chars' Ryu,
    // the closest, ties to even), laid out as std::to_chars lays them: fixed or scientific,
    // whichever is shorter, fixed on a tie. Never a long integer: 19664131024779923456 is exact
    // JSON, yet many readers (simdjson among them) refuse integers beyond 64 bits, so from 1e15
    // on always scientific.
    const auto decimal = fmt::detail::dragonbox::to_decimal(std::abs(value));
    std::array<char, 24> digits{};  // the significand's (at most 17), at the end
    const char* first = write_digits(digits.data() + digits.size(), decimal.significand);
    const int count = static_cast<int>(digits.data() + digits.size() - first);
    const int exponent = decimal.exponent;  // value = significand * 10^exponent
    const int scientific_exponent = exponent + count - 1;
    const int magnitude = scientific_exponent < 0 ? -scientific_exponent : scientific_exponent;
    const int scientific_size = count + (count > 1 ? 1 : 0) + 2 + (magnitude >= 100 ? 3 : 2);
    const int fixed_size =
        exponent >= 0 ? count + exponent : (count + exponent > 0 ? count + 1 : 2 - exponent);
    char* p = out;  // at most 24 characters: the shorter form, at most the scientific one
    if (value < 0) {
        *p++ = '-';
    }
    const auto copy = [&p](const char* from, int size) {
        std::memcpy(p, from, static_cast<std::size_t>(size));
        p += size;
    };
    if (std::abs(value) >= 1e15 || fixed_size > scientific_size) {
        *p++ = first[0];
        if (count > 1) {
            *p++ = '.';
            copy(first + 1, count - 1);
        }
        *p++ = 'e';
        *p++ = scientific_exponent < 0 ? '-' : '+';
        if (magnitude >= 100) {
            *p++ = static_cast<char>('0' + magnitude / 100);
        }
        copy(digit_pairs.substr(2 * static_cast<std::size_t>(magnitude % 100), 2).data(), 2);
    } else if (exponent >= 0) {
        copy(first, count);
        std::memset(p, '0', static_cast<std::size_t>(exponent));
        p += exponent;
    } else if (count + exponent > 0) {
        copy(first, count + exponent);
        *p++ = '.';
        copy(first + count + exponent, -exponent);
    } else {
        *p++ = '0';
        *p++ = '.';
        std::memset(p, '0', static_cast<std::size_t>(-exponent - count));
        p += -exponent - count;
        copy(first, count);
    }
    return p;
}

void append_json_number(std::string& out, double value) {
    std::array<char, max_json_number_size> buffer{};
    out.append(buffer.data(), write_json_number(buffer.data(), value));
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

std::string_view trim_json_whitespace_ends(std::string_view text) noexcept {
    const std::size_t begin = skip_whitespace(text, 0);
    std::size_t end = text.size();
    while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' ||
                           text[end - 1] == '\r')) {
        --end;
    }
    return text.substr(begin, end - begin);
}

}  // namespace streamcp::pipeline
