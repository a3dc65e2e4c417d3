// SPDX-License-Identifier: MIT
#include "webhook_format.hpp"

#include <charconv>
#include <ctime>

#include "json_text.hpp"
#include "record_id.hpp"

namespace streamcp::adapters {
namespace {

// A field's text for a human: strings without their quotes, other values as written.
std::string_view field_text(const std::vector<pipeline::json_member>& members,
                            std::string_view key) {
    for (const pipeline::json_member& member : members) {
        if (member.key == key) {
            const std::string_view value = member.value;
            if (value.size() >= 2 && value.front() == '"') {
                return value.substr(1, value.size() - 2);
            }
            return value;
        }
    }
    return "?";
}

std::string slack_text(const std::vector<std::string>& records, const slack_fields& fields) {
    std::string text = "streamcp: " + std::to_string(records.size()) +
                       (records.size() == 1 ? " anomaly" : " anomalies");
    std::vector<pipeline::json_member> members;
    for (const std::string& record : records) {
        members.clear();
        pipeline::split_json_members(pipeline::trim_json_whitespace(record), members);
        text.append("\n- ")
            .append(field_text(members, fields.device))
            .append(" at ")
            .append(field_text(members, fields.time))
            .append(": ")
            .append(fields.value)
            .append(" ")
            .append(field_text(members, fields.value))
            .append(", score ")
            .append(field_text(members, fields.score));
    }
    return text;
}

}  // namespace

std::string webhook_body(webhook_format format, const std::vector<std::string>& records,
                         const slack_fields& fields) {
    std::string body;
    if (format == webhook_format::slack) {
        body = "{\"text\":";
        pipeline::append_json_string(body, slack_text(records, fields));
        body += '}';
        return body;
    }
    body = "[";
    for (const std::string& record : records) {
        body.append(body.size() == 1 ? "" : ",").append(record);
    }
    body += ']';
    return body;
}

std::string webhook_record_ids(const std::vector<std::string>& records) {
    std::string ids;
    for (const std::string& record : records) {
        ids.append(ids.empty() ? "" : ",").append(pipeline::record_id(record));
    }
    return ids;
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
    value = pipeline::trim_json_whitespace(value);
    if (value.empty()) {
        return std::nullopt;
    }
    std::uint32_t seconds = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error == std::errc{} && end == value.data() + value.size()) {
        return std::chrono::seconds(seconds);
    }
    // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (the form RFC 9110 says to send).
    std::tm parts{};
    const std::string text(value);
    const char* rest = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
    if (rest == nullptr || *rest != '\0') {
        return std::nullopt;
    }
    const auto when = std::chrono::system_clock::from_time_t(timegm(&parts));
    if (when <= now) {
        return std::chrono::milliseconds(0);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
}

}  // namespace streamcp::adapters
