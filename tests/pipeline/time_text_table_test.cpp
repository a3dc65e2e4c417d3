// SPDX-License-Identifier: MIT
// The one grammar's shared table (tests/data/time_text_cases.json), read by the Python package's
// test too: the CLI's parsers accept and refuse exactly the strings listed there.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "duration_parse.hpp"
#include "iso8601_parse.hpp"

namespace streamcp::pipeline {
namespace {

/// The table's `kind.part` rows as (text, expected) pairs.
template <class Check>
void for_each_case(std::string_view kind, std::string_view part, Check check) {
    static const simdjson::padded_string table =
        simdjson::padded_string::load(STREAMCP_TEST_DATA_DIR "/time_text_cases.json").value();
    static simdjson::dom::parser parser;
    static const simdjson::dom::element root = parser.parse(table).value();
    std::size_t count = 0;
    const simdjson::dom::array rows = root[kind][part].get_array().value();
    for (const simdjson::dom::element row : rows) {
        const std::string text{row.at(0).get_string().value()};
        check(text, row.at(1));
        ++count;
    }
    EXPECT_GT(count, 10U) << kind << "." << part;
}

TEST(TimeTextTable, DurationsAccepted) {
    for_each_case("durations", "accept", [](const std::string& text, simdjson::dom::element ns) {
        std::chrono::nanoseconds got{};
        EXPECT_NO_THROW(got = parse_duration(text)) << text;
        EXPECT_EQ(got.count(), ns.get_int64().value()) << text;
    });
}

TEST(TimeTextTable, DurationsRefusedWithTheirReason) {
    for_each_case("durations", "refuse", [](const std::string& text, simdjson::dom::element why) {
        try {
            (void)parse_duration(text);
            ADD_FAILURE() << "accepted '" << text << "'";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string_view{e.what()}.find(why.get_string().value()),
                      std::string_view::npos)
                << text << ": " << e.what();
        }
    });
}

TEST(TimeTextTable, TimestampsAccepted) {
    for_each_case("timestamps", "accept",
                  [](const std::string& text, simdjson::dom::element ticks) {
                      const auto got = parse_iso8601_time(text);  // in 100 ns ticks since 1970
                      ASSERT_TRUE(got) << text;
                      EXPECT_EQ(got->time_since_epoch().count(), ticks.get_int64().value()) << text;
                  });
}

TEST(TimeTextTable, TimestampsRefusedWithTheirReason) {
    for_each_case("timestamps", "refuse", [](const std::string& text, simdjson::dom::element why) {
        event_time got{};
        const std::string_view reason = read_iso8601_time(text, got);
        EXPECT_FALSE(parse_iso8601_time(text)) << text;
        EXPECT_NE(reason.find(why.get_string().value()), std::string_view::npos)
            << text << ": " << reason;
    });
}

}  // namespace
}  // namespace streamcp::pipeline
