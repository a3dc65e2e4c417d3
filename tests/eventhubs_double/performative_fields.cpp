// SPDX-License-Identifier: MIT
#include "performative_fields.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace streamcp::eventhubs_double {
namespace {

constexpr std::size_t frame_header_size = 8;
constexpr std::uint8_t open_code = 0x10;
constexpr std::size_t max_frame_size_field = 2;
constexpr std::uint8_t begin_code = 0x11;
constexpr std::size_t handle_max_field = 4;
constexpr std::uint32_t service_handle_max = 255;

/// A described type's descriptor code and how many fields its list has.
struct field_count_entry {
    std::uint8_t code;
    std::size_t fields;
};

template <std::size_t N>
std::optional<std::size_t> lookup_field_count(const std::array<field_count_entry, N>& table,
                                              std::uint8_t code) {
    const auto found = std::find_if(table.begin(), table.end(),
                                    [code](const field_count_entry& e) { return e.code == code; });
    return found == table.end() ? std::nullopt : std::optional<std::size_t>{found->fields};
}

// Field counts of the AMQP 1.0 performatives (part 2, section 2.7) and SASL frames (part 5).
constexpr std::array<field_count_entry, 14> performative_fields{{
    {0x10, 10},  // open
    {0x11, 8},   // begin
    {0x12, 14},  // attach
    {0x13, 11},  // flow
    {0x14, 11},  // transfer
    {0x15, 6},   // disposition
    {0x16, 3},   // detach
    {0x17, 1},   // end
    {0x18, 1},   // close
    {0x40, 1},   // sasl-mechanisms
    {0x41, 3},   // sasl-init
    {0x42, 1},   // sasl-challenge
    {0x43, 1},   // sasl-response
    {0x44, 2},   // sasl-outcome
}};

std::optional<std::size_t> field_count(std::uint8_t code) {
    return lookup_field_count(performative_fields, code);
}

std::uint32_t read_u32(std::string_view bytes) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    }
    return value;
}

void put_u32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>(value >> shift));
    }
}

// Byte length of the encoded AMQP value at the start of `bytes`; 0 when it is not whole.
std::size_t value_size(std::string_view bytes) {
    if (bytes.empty()) {
        return 0;
    }
    const auto code = static_cast<unsigned char>(bytes[0]);
    std::size_t size = 0;
    if (code == 0x00) {  // described: descriptor, then value
        const std::size_t descriptor = value_size(bytes.substr(1));
        const std::size_t value = descriptor == 0 ? 0 : value_size(bytes.substr(1 + descriptor));
        return value == 0 ? 0 : 1 + descriptor + value;
    }
    switch (code >> 4) {  // the constructor's subcategory gives the width (part 1, 1.6)
        case 0x4:
            size = 1;
            break;
        case 0x5:
            size = 2;
            break;
        case 0x6:
            size = 3;
            break;
        case 0x7:
            size = 5;
            break;
        case 0x8:
            size = 9;
            break;
        case 0x9:
            size = 17;
            break;
        case 0xa:
        case 0xc:
        case 0xe:
            size = bytes.size() >= 2 ? 2 + static_cast<unsigned char>(bytes[1]) : 0;
            break;
        case 0xb:
        case 0xd:
        case 0xf:
            size = bytes.size() >= 5 ? 5 + read_u32(bytes.substr(1)) : 0;
            break;
        default:
            return 0;
    }
    return size <= bytes.size() ? size : 0;
}

// `items` (encoded list elements) with element `index` replaced by `replacement`.
std::string replace_item(std::string_view items, std::size_t index, std::string_view replacement) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < index; ++i) {
        const std::size_t size = value_size(items.substr(start));
        if (size == 0) {
            return std::string(items);
        }
        start += size;
    }
    const std::size_t size = value_size(items.substr(start));
    if (size == 0) {
        return std::string(items);
    }
    return std::string(items.substr(0, start)) + std::string(replacement) +
           std::string(items.substr(start + size));
}

std::string encoded_uint(std::uint32_t value) {
    std::string out{'\x70'};
    put_u32(out, value);
    return out;
}

// A described list: `0x00 0x53 code` then list0, list8 or list32; `rest` is what follows it.
struct described_list {
    std::uint8_t code = 0;
    std::size_t count = 0;
    std::string_view items;
    std::string_view rest;
};

std::optional<described_list> read_described_list(std::string_view bytes) {
    if (bytes.size() < 4 || bytes[0] != '\0' || bytes[1] != '\x53') {
        return std::nullopt;
    }
    described_list list;
    list.code = static_cast<std::uint8_t>(bytes[2]);
    const std::string_view value = bytes.substr(3);
    const auto list_code = static_cast<unsigned char>(value[0]);
    if (list_code == 0x45) {
        list.rest = value.substr(1);
    } else if (list_code == 0xc0 && value.size() >= 3) {
        const std::size_t size = static_cast<unsigned char>(value[1]);
        if (size < 1 || 2 + size > value.size()) {
            return std::nullopt;
        }
        list.count = static_cast<unsigned char>(value[2]);
        list.items = value.substr(3, size - 1);
        list.rest = value.substr(2 + size);
    } else if (list_code == 0xd0 && value.size() >= 9) {
        const std::size_t size = read_u32(value.substr(1));
        if (size < 4 || 5 + size > value.size()) {
            return std::nullopt;
        }
        list.count = read_u32(value.substr(5));
        list.items = value.substr(9, size - 4);
        list.rest = value.substr(5 + size);
    } else {
        return std::nullopt;
    }
    return list;
}

std::string write_described_list(std::uint8_t code, std::size_t count, std::string_view items) {
    std::string out{'\0', '\x53', static_cast<char>(code), '\xd0'};
    put_u32(out, static_cast<std::uint32_t>(items.size() + 4));
    put_u32(out, static_cast<std::uint32_t>(count));
    out += items;
    return out;
}

// Field counts of the composite values inside performatives (part 2, 2.8 and part 3, 3.4/3.5):
// error (in close, end, detach and the rejected outcome), delivery states, source and target.
constexpr std::array<field_count_entry, 6> nested_fields{{
    {0x1d, 3},   // error
    {0x23, 2},   // received
    {0x25, 1},   // rejected
    {0x27, 3},   // modified
    {0x28, 11},  // source
    {0x29, 7},   // target
}};

std::optional<std::size_t> nested_field_count(std::uint8_t code) {
    return lookup_field_count(nested_fields, code);
}

std::string complete_items(std::string_view items);

// A list element, with the composite values it holds completed as well.
std::string complete_value(std::string_view value) {
    const std::optional<described_list> list = read_described_list(value);
    const std::optional<std::size_t> wanted =
        list ? nested_field_count(list->code) : std::optional<std::size_t>();
    if (!wanted) {
        return std::string(value);
    }
    std::string fields = complete_items(list->items);
    std::size_t count = list->count;
    for (; count < *wanted; ++count) {
        fields.push_back('\x40');  // null
    }
    return write_described_list(list->code, count, fields);
}

std::string complete_items(std::string_view items) {
    std::string out;
    while (!items.empty()) {
        const std::size_t size = value_size(items);
        if (size == 0) {
            return out + std::string(items);  // not understood: keep as it is
        }
        out += complete_value(items.substr(0, size));
        items.remove_prefix(size);
    }
    return out;
}

// The frame with its performative's list completed; the frame unchanged when it is not one.
std::string complete_frame(std::string_view frame, std::uint32_t advertised_max_frame_size) {
    const std::size_t body_start =
        static_cast<std::size_t>(static_cast<unsigned char>(frame[4])) * 4;
    if (body_start < frame_header_size || body_start > frame.size()) {
        return std::string(frame);
    }
    const std::optional<described_list> performative =
        read_described_list(frame.substr(body_start));
    const std::optional<std::size_t> wanted =
        performative ? field_count(performative->code) : std::optional<std::size_t>();
    if (!wanted) {
        return std::string(frame);
    }
    std::string fields = complete_items(performative->items);
    std::size_t count = performative->count;
    if (performative->code == open_code && count > max_frame_size_field) {
        fields =
            replace_item(fields, max_frame_size_field, encoded_uint(advertised_max_frame_size));
    }
    if (performative->code == begin_code && count <= handle_max_field) {
        for (; count < handle_max_field; ++count) {
            fields.push_back('\x40');
        }
        fields += encoded_uint(service_handle_max);
        ++count;
    }
    for (; count < *wanted; ++count) {
        fields.push_back('\x40');  // null
    }

    std::string out(frame.substr(0, body_start));
    out += write_described_list(performative->code, count, fields);
    out += performative->rest;  // a transfer's message bytes follow its performative
    const auto size = static_cast<std::uint32_t>(out.size());
    for (std::size_t i = 0; i < 4; ++i) {
        out[i] = static_cast<char>(size >> (24 - 8 * i));
    }
    return out;
}

}  // namespace

std::string complete_performatives(std::string_view stream, std::size_t& consumed,
                                   std::uint32_t advertised_max_frame_size) {
    std::string out;
    consumed = 0;
    while (stream.size() - consumed >= frame_header_size) {
        const std::string_view rest = stream.substr(consumed);
        if (rest.starts_with("AMQP")) {  // a protocol header: AMQP or SASL
            out += rest.substr(0, frame_header_size);
            consumed += frame_header_size;
            continue;
        }
        const std::uint32_t size = read_u32(rest);
        if (size < frame_header_size) {  // not AMQP framing: pass the rest through untouched
            out += rest;
            consumed = stream.size();
            break;
        }
        if (rest.size() < size) {
            break;
        }
        out += size == frame_header_size
                   ? std::string(rest.substr(0, size))
                   : complete_frame(rest.substr(0, size), advertised_max_frame_size);
        consumed += size;
    }
    return out;
}

}  // namespace streamcp::eventhubs_double
