// SPDX-License-Identifier: MIT
#include "output_encoder.hpp"

#include <array>
#include <cstring>
#include <string_view>
#include <utility>

namespace streamcp::pipeline {
namespace {

void append_score(std::string& out, const std::optional<record>& result) {
    if (result && result->score) {
        append_json_number(out, *result->score);
    } else {
        out += "null";
    }
}

void append_is_anomaly(std::string& out, const std::optional<record>& result) {
    if (result) {
        out += result->is_anomaly ? '1' : '0';
    } else {
        out += "null";
    }
}

/// The most characters `write_added_fields` writes.
constexpr std::size_t max_added_fields_size = 8 + max_json_number_size + 13 + 4;

/// Writes `"Score":…,"IsAnomaly":…` at `p` (room for max_added_fields_size characters) and
/// returns its end: one append per line instead of one per piece.
char* write_added_fields(char* p, const std::optional<record>& result) noexcept {
    const auto copy = [&p](std::string_view text) {
        std::memcpy(p, text.data(), text.size());
        p += text.size();
    };
    copy("\"Score\":");
    if (result && result->score) {
        p = write_json_number(p, *result->score);
    } else {
        copy("null");
    }
    copy(",\"IsAnomaly\":");
    if (result) {
        *p++ = result->is_anomaly ? '1' : '0';
    } else {
        copy("null");
    }
    return p;
}

void append_added_fields(std::string& out, const std::optional<record>& result) {
    std::array<char, max_added_fields_size> buffer{};
    out.append(buffer.data(), write_added_fields(buffer.data(), result));
}

}  // namespace

output_encoder::output_encoder(event_fields fields, output_shape shape)
    : fields_(std::move(fields)), shape_(shape) {}

void output_encoder::encode(std::string& out, const released_event& event,
                            const std::optional<record>& result) {
    if (shape_.project) {
        encode_projection(out, event, result);
    } else {
        encode_whole(out, event, result);
    }
    out += '\n';
}

void output_encoder::encode_whole(std::string& out, const released_event& event,
                                  const std::optional<record>& result) {
    const std::string_view raw = event.raw;
    if (event.event.empty_object) {
        out += '{';
        append_added_fields(out, result);
        out += '}';
        return;
    }
    if (!event.event.has_output_names) {
        // The common case: the object's bytes up to its closing brace, untouched.
        out.append(raw.substr(0, raw.rfind('}')));
        std::array<char, 2 + max_added_fields_size> tail{};
        tail[0] = ',';
        char* end = write_added_fields(tail.data() + 1, result);
        *end++ = '}';
        out.append(tail.data(), end);
        return;
    }
    // Members named like the added fields are replaced: ASA's SELECT *, cp.* has one of each.
    split_json_members(raw, members_);
    out += '{';
    for (const json_member& member : members_) {
        if (member.key == score_field || member.key == is_anomaly_field) {
            continue;
        }
        out.append(member.whole);
        out += ',';
    }
    append_added_fields(out, result);
    out += '}';
}

std::optional<std::string_view> output_encoder::raw_field(std::string_view object,
                                                          const field_path& path) {
    for (const json_member& member : members_) {
        if (member.key == path.text) {
            return member.value;
        }
    }
    std::string_view current = object;
    for (const std::string& segment : path.segments) {
        split_json_members(current, nested_members_);
        std::optional<std::string_view> found;
        for (const json_member& member : nested_members_) {
            if (member.key == segment) {
                found = member.value;
                break;
            }
        }
        if (!found) {
            return std::nullopt;
        }
        current = *found;
    }
    return path.segments.size() > 1 ? std::optional{current} : std::nullopt;
}

void output_encoder::encode_projection(std::string& out, const released_event& event,
                                       const std::optional<record>& result) {
    split_json_members(event.raw, members_);  // once; raw_field looks up in it
    out += '{';
    auto append_field = [&](const field_path& path) {
        if (path.empty()) {
            return;
        }
        append_json_string(out, path.output_name());
        out += ':';
        const auto raw = raw_field(event.raw, path);
        out.append(raw ? *raw : std::string_view{"null"});
        out += ',';
    };
    append_field(fields_.timestamp);
    append_field(fields_.partition);
    append_field(fields_.value);
    out += '"';
    out += projected_score_field;
    out += "\":";
    append_score(out, result);
    if (!shape_.only_anomalies) {
        out += ",\"IsAnomaly\":";
        append_is_anomaly(out, result);
    }
    out += '}';
}

}  // namespace streamcp::pipeline
