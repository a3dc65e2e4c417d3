// SPDX-License-Identifier: MIT
#include "output_encoder.hpp"

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

void append_added_fields(std::string& out, const std::optional<record>& result) {
    out += "\"Score\":";
    append_score(out, result);
    out += ",\"IsAnomaly\":";
    append_is_anomaly(out, result);
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
        out += ',';
        append_added_fields(out, result);
        out += '}';
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
    for (std::size_t i = 0; i < path.segments.size(); ++i) {
        split_json_members(current, nested_members_);
        std::optional<std::string_view> found;
        for (const json_member& member : nested_members_) {
            if (member.key == path.segments[i]) {
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
