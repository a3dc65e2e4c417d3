// SPDX-License-Identifier: MIT
// The decoder's member lookup against the rule it implements (the first member of a name, as
// at_key finds it), and the fixed ISO-8601 shapes' remembered minute against the general grammar.
#include "event_decoder.hpp"

#include <array>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "iso8601_parse.hpp"

namespace streamcp::pipeline {
namespace {

std::string padded(std::string line) {
    line.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    return line;
}

/// One field set and the member names a line may hold: the fields' own, near misses (one byte
/// changed at the start, the middle or the end; one byte shorter or longer) and others.
struct decoder_case {
    event_fields fields;
    std::vector<std::string> pool;
};

std::vector<std::string> near_misses(const std::string& name) {
    std::vector<std::string> out;
    for (const std::size_t at : {std::size_t{0}, name.size() / 2, name.size() - 1}) {
        std::string changed = name;
        changed[at] = changed[at] == 'x' ? 'y' : 'x';
        out.push_back(changed);
    }
    out.push_back(name.substr(0, name.size() - 1));
    out.push_back(name + "x");
    return out;
}

decoder_case make_case(const std::string& value, const std::string& timestamp,
                       const std::string& partition, const std::string& when) {
    decoder_case c;
    c.fields.value = field_path{value};
    c.fields.timestamp = field_path{timestamp};
    c.fields.partition = field_path{partition};
    c.fields.when = field_path{when};
    for (const std::string& name :
         {value, timestamp, partition, when, std::string{"Score"}, std::string{"IsAnomaly"}}) {
        c.pool.push_back(name);
        for (std::string& miss : near_misses(name)) {
            c.pool.push_back(std::move(miss));
        }
    }
    c.pool.emplace_back("other");
    return c;
}

TEST(Decoder, FindsTheFirstMemberOfEachNameAndTheOutputNames) {
    const std::vector<decoder_case> cases{
        make_case("temp", "datetime", "device", "ok"),
        // 1-3, 9-16 and over 32 bytes; two fields of one length differing in one byte only.
        make_case("v", "t", "ab", "abc"),
        make_case("sensor_value", "sensor_vzlue", "a_partition_key_name", "wh"),
        make_case("a_value_name_longer_than_thirty_two_bytes_1",
                  "a_value_name_longer_than_thirty_two_bytes_2", "ts_of_16_bytes__", "when"),
    };
    std::mt19937_64 rng{15};
    for (const decoder_case& c : cases) {
        event_decoder decoder{c.fields, {"Score", "IsAnomaly"}};
        for (int i = 0; i < 4000; ++i) {
            // Members with distinct values; a field's expected value is its first member's.
            std::string line = "{";
            const std::size_t members = rng() % 8;
            std::optional<int> value;
            std::optional<int> second;
            std::optional<int> key;
            std::optional<bool> when;
            bool output_names = false;
            for (std::size_t m = 0; m < members; ++m) {
                const std::string& name = c.pool[rng() % c.pool.size()];
                const int n = static_cast<int>(m);
                line += (m == 0 ? "\"" : ",\"") + name + "\":";
                if (name == c.fields.timestamp.text) {
                    std::array<char, 32> text{};
                    std::snprintf(text.data(), text.size(), "\"2019-11-18T19:00:%02dZ\"", n);
                    line += text.data();
                    second = second.value_or(n);
                } else if (name == c.fields.when.text) {
                    line += n % 2 == 0 ? "true" : "false";
                    when = when.value_or(n % 2 == 0);
                } else if (name == c.fields.partition.text) {
                    line += std::to_string(n);
                    key = key.value_or(n);
                } else {
                    line += std::to_string(n);
                    if (name == c.fields.value.text) {
                        value = value.value_or(n);
                    }
                }
                output_names = output_names || name == "Score" || name == "IsAnomaly";
            }
            line += "}";
            const std::string text = padded(line);
            decoded_event event;
            const auto bad = decoder.decode(text, event);
            if (!second) {
                ASSERT_TRUE(bad) << line;
                EXPECT_EQ(bad->reason, reject_reason::missing_timestamp) << line;
                EXPECT_EQ(bad->detail, c.fields.timestamp.text + " is missing") << line;
                continue;
            }
            ASSERT_FALSE(bad) << line << ": " << bad->detail;
            EXPECT_EQ(event.time,
                      *parse_iso8601_time("2019-11-18T19:00:00Z") + std::chrono::seconds{*second})
                << line;
            EXPECT_EQ(event.value, value ? std::optional<double>{*value} : std::nullopt) << line;
            EXPECT_EQ(event.key, key ? partition_key{std::int64_t{*key}} : partition_key{}) << line;
            EXPECT_EQ(event.when, when.value_or(false)) << line;
            EXPECT_EQ(event.has_output_names, output_names) << line;
            EXPECT_FALSE(event.empty_object) << line;
        }
    }
}

TEST(Decoder, StringKeysOfEveryLengthReuseTheBuffer) {
    event_fields fields;
    fields.value = field_path{"temp"};
    fields.timestamp = field_path{"datetime"};
    fields.partition = field_path{"device"};
    event_decoder decoder{fields, {}};
    for (const std::string key : {"abc", "abd", "", "a longer key that does not fit SSO", "abc",
                                  "a longer key that does not fit SSX", "\\u00e9t\\u00e9"}) {
        const std::string line =
            padded(R"({"device":")" + key + R"(","temp":1,"datetime":"2019-11-18T19:00:00Z"})");
        decoded_event event;
        ASSERT_FALSE(decoder.decode(line, event)) << line;
        const std::string expected = key.starts_with("\\u") ? "\xC3\xA9t\xC3\xA9" : key;
        EXPECT_EQ(event.key, partition_key{expected}) << line;
    }
}

TEST(Decoder, DottedPathsAndTopLevelKeysWithTheDot) {
    event_fields fields;
    fields.value = field_path{"reading.temp"};
    fields.timestamp = field_path{"datetime"};
    event_decoder decoder{fields, {"Score"}};
    decoded_event event;
    const std::string nested =
        padded(R"({"datetime":"2019-11-18T19:00:00Z","reading":{"temp":2,"Score":1}})");
    ASSERT_FALSE(decoder.decode(nested, event));
    EXPECT_EQ(event.value, 2.0);
    EXPECT_FALSE(event.has_output_names);  // only top-level members are replaced
    const std::string both =
        padded(R"({"reading":{"temp":2},"datetime":"2019-11-18T19:00:00Z","reading.temp":3})");
    ASSERT_FALSE(decoder.decode(both, event));
    EXPECT_EQ(event.value, 3.0);  // the top-level key that contains the dot wins
    const std::string empty = padded("{}");
    const auto bad = decoder.decode(empty, event);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->reason, reject_reason::missing_timestamp);
}

/// The fixed shapes with a memo, else the general grammar: what the decoder does.
std::optional<event_time> with_memo(std::string_view text, detail::text::fixed_iso8601_memo& memo) {
    if (const auto fixed = detail::text::read_fixed_iso8601(text, memo)) {
        return fixed;
    }
    event_time out{};
    if (!read_iso8601_time(text, out).empty()) {
        return std::nullopt;
    }
    return out;
}

std::optional<event_time> general(std::string_view text) {
    event_time out{};
    if (!read_iso8601_time(text, out).empty()) {
        return std::nullopt;
    }
    return out;
}

TEST(Timestamp, TheRememberedMinuteAgreesWithTheGeneralGrammar) {
    // Runs of texts that share all but a byte or the seconds with the one before, as streams
    // write them, including invalid seconds and bytes, and the ends of .NET's range.
    detail::text::fixed_iso8601_memo memo;
    for (const char* text :
         {"0001-01-01T00:00:00+00:01", "0001-01-01T00:00:59+00:01", "0001-01-01T00:01:00+00:01",
          "0001-01-01T00:01:59+00:01", "0001-01-01T00:01:60+00:01", "9999-12-31T23:59:00Z",
          "9999-12-31T23:59:59Z", "9999-12-31T23:58:59-00:01", "9999-12-31T23:59:00-00:01",
          "9999-12-31T23:59:00-0001", "9999-12-31T23:59:30-0001", "2019-11-18T19:11:36",
          "2019-11-18T19:11:3a", "2019-11-18T19:11:a6", "2019-11-18T19:11:37",
          "2019-11-18T19:11+37", "2019-11-18T19:11:37 "}) {
        EXPECT_EQ(with_memo(text, memo), general(text)) << text;
    }
    std::mt19937_64 rng{15};
    std::string text = "2019-11-18T19:11:36+01:00";
    for (int i = 0; i < 200000; ++i) {
        if (rng() % 8 == 0) {  // a new shape
            const std::array<const char*, 4> zones{"", "Z", "-0130", "+05:45"};
            std::array<char, 48> fresh{};
            std::snprintf(fresh.data(), fresh.size(), "%04d-%02d-%02dT%02d:%02d:%02d%s",
                          static_cast<int>(rng() % 10'000), static_cast<int>(rng() % 13),
                          static_cast<int>(rng() % 32), static_cast<int>(rng() % 25),
                          static_cast<int>(rng() % 61), static_cast<int>(rng() % 61),
                          zones[rng() % zones.size()]);
            text = fresh.data();
        } else if (rng() % 2 == 0) {  // new seconds, sometimes invalid
            const std::string_view digits = "0123456789a:";
            text[17] = digits[rng() % 7];
            text[18] = digits[rng() % digits.size()];
        } else {  // one byte elsewhere changed
            const std::string_view bytes = "0123456789-:+TZ ";
            text[rng() % text.size()] = bytes[rng() % bytes.size()];
        }
        ASSERT_EQ(with_memo(text, memo), general(text)) << text;
    }
}

}  // namespace
}  // namespace streamcp::pipeline
