// SPDX-License-Identifier: MIT
// Durations, timestamps, JSON text helpers and the simulator's schedule syntax.
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "duration_parse.hpp"
#include "json_text.hpp"
#include "simulator.hpp"
#include "timestamp_parse.hpp"

namespace streamcp::pipeline {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ShortAndIsoForms) {
    EXPECT_EQ(parse_duration("30m"), 30min);
    EXPECT_EQ(parse_duration("2h"), 2h);
    EXPECT_EQ(parse_duration("120s"), 120s);
    EXPECT_EQ(parse_duration("500ms"), 500ms);
    EXPECT_EQ(parse_duration("1h30m"), 90min);
    EXPECT_EQ(parse_duration("PT30M"), 30min);
    EXPECT_EQ(parse_duration("P1DT2H"), 26h);
    EXPECT_EQ(parse_duration("PT0.5S"), 500ms);
    EXPECT_EQ(parse_duration("1.5h"), 90min);  // fractions in every unit since the one grammar
    for (const char* bad : {"", "30", "m", "30x", "P1Y", "PT", "-5m"}) {
        EXPECT_THROW((void)parse_duration(bad), std::invalid_argument) << bad;
    }
}

event_time utc(int hour, int minute, int second) {
    return event_time{std::chrono::sys_days{2019y / 11 / 18} + std::chrono::hours{hour} +
                      std::chrono::minutes{minute} + std::chrono::seconds{second}};
}

TEST(Timestamp, Iso8601Forms) {
    EXPECT_EQ(parse_iso8601_time("2019-11-18T19:11:36Z"), utc(19, 11, 36));
    EXPECT_EQ(parse_iso8601_time("2019-11-18T19:11:36+0000"), utc(19, 11, 36));
    EXPECT_EQ(parse_iso8601_time("2019-11-18T20:11:36+01:00"), utc(19, 11, 36));
    EXPECT_EQ(parse_iso8601_time("2019-11-18T18:41:36-0030"), utc(19, 11, 36));
    EXPECT_EQ(parse_iso8601_time("2019-11-18T19:11:36"), utc(19, 11, 36));
    EXPECT_EQ(parse_iso8601_time("2019-11-18T19:11:36.1234567891Z"), utc(19, 11, 36) + 123456700ns);
    EXPECT_EQ(parse_iso8601_time("2019-11-18"), utc(0, 0, 0));  // a date alone: midnight UTC
    for (const char* bad :
         {"2019-02-30T00:00:00Z", "2019-11-18T24:00:00Z", "2019-11-18T19:11:36+25:00",
          "2019-11-18T19:11:36.Z", "2019-11-18T19:11:36Zjunk", "18/11/2019 19:11"}) {
        EXPECT_FALSE(parse_iso8601_time(bad)) << bad;
    }
}

TEST(Timestamp, FixedShapesParseAsTheGeneralGrammarDoes) {
    // "SS" then ".0" takes the general parser; without it the fixed shapes' fast path, which
    // must agree on every instant and every refusal. Random instants over years 0-9999 (0, and
    // offsets pushing year 1 or 9999 beyond .NET's range, are refused by both), all offsets.
    std::mt19937_64 rng{15};
    for (int i = 0; i < 20000; ++i) {
        const auto year = static_cast<int>(i % 2 == 0 ? rng() % 10'000 : 1900 + rng() % 201);
        const auto month = static_cast<int>(1 + rng() % 12);
        const auto day = static_cast<int>(1 + rng() % 31);  // some days do not exist
        const auto hour = static_cast<int>(rng() % 25);     // 24 does not exist either
        const auto minute = static_cast<int>(rng() % 60);
        const auto second = static_cast<int>(rng() % 60);
        const auto zone = rng() % 4;  // none, Z, +hhmm, +hh:mm
        const char sign = rng() % 2 == 0 ? '+' : '-';
        const auto zone_hours = static_cast<int>(rng() % 24);
        const auto zone_minutes = static_cast<int>(rng() % 60);
        std::array<char, 16> offset{};
        if (zone == 1) {
            offset[0] = 'Z';
        } else if (zone == 2) {
            std::snprintf(offset.data(), offset.size(), "%c%02d%02d", sign, zone_hours,
                          zone_minutes);
        } else if (zone == 3) {
            std::snprintf(offset.data(), offset.size(), "%c%02d:%02d", sign, zone_hours,
                          zone_minutes);
        }
        std::array<char, 48> fixed{};
        std::array<char, 48> general{};
        std::snprintf(fixed.data(), fixed.size(), "%04d-%02d-%02dT%02d:%02d:%02d%s", year, month,
                      day, hour, minute, second, offset.data());
        std::snprintf(general.data(), general.size(), "%04d-%02d-%02dT%02d:%02d:%02d.0%s", year,
                      month, day, hour, minute, second, offset.data());
        EXPECT_EQ(parse_iso8601_time(fixed.data()), parse_iso8601_time(general.data()))
            << fixed.data();
    }
    // The remembered date is the date of the text, not of the last one that parsed.
    EXPECT_EQ(parse_iso8601_time("2019-11-18T19:11:36Z"), utc(19, 11, 36));
    EXPECT_FALSE(parse_iso8601_time("2019-11-31T19:11:36Z"));
    EXPECT_EQ(parse_iso8601_time("2019-11-18T19:11:36Z"), utc(19, 11, 36));
    EXPECT_EQ(parse_iso8601_time("2019-11-19T19:11:36Z"), utc(19, 11, 36) + 24h);
    for (const char* bad :
         {"2019-11-18T19:11:36+2400", "2019-11-18T19:11:36+01:60", "2019-11-18T19:11:3a",
          "2019-11-18X19:11:36Z", "2019-11-18T19:11:36*"}) {
        EXPECT_FALSE(parse_iso8601_time(bad)) << bad;
    }
}

TEST(Timestamp, Epochs) {
    EXPECT_EQ(epoch_to_time(std::int64_t{1574104296}, timestamp_format::epoch_seconds),
              utc(19, 11, 36));
    EXPECT_EQ(epoch_to_time(std::int64_t{1574104296500}, timestamp_format::epoch_milliseconds),
              utc(19, 11, 36) + 500ms);
    EXPECT_EQ(epoch_to_time(1574104296.25, timestamp_format::epoch_seconds),
              utc(19, 11, 36) + 250ms);
    EXPECT_FALSE(epoch_to_time(1e30, timestamp_format::epoch_seconds));
}

TEST(Timestamp, TheWholeDotnetRangeInEveryFormat) {
    // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.9999999Z, far beyond int64 nanoseconds
    // (1677-09-21 .. 2262-04-11); one tick, second or millisecond beyond is refused.
    const event_time first = min_event_time;
    const event_time last = max_event_time;
    EXPECT_EQ(parse_iso8601_time("0001-01-01T00:00:00Z"), first);
    EXPECT_EQ(parse_iso8601_time("0001-01-01T00:00:00"), first);  // the fixed shape
    EXPECT_EQ(parse_iso8601_time("9999-12-31T23:59:59.9999999Z"), last);
    EXPECT_EQ(parse_iso8601_time("9999-12-31T23:59:59Z"), last - 9'999'999 * tick_duration{1});
    EXPECT_EQ(parse_iso8601_time("2262-04-12T00:00:00Z"),
              event_time{std::chrono::sys_days{2262y / 4 / 12}});
    EXPECT_EQ(parse_iso8601_time("1677-09-21T00:00:00Z"),
              event_time{std::chrono::sys_days{1677y / 9 / 21}});
    for (const char* outside : {"0000-12-31T23:59:59.9999999Z", "0001-01-01T00:00:00+00:01",
                                "9999-12-31T23:59:59-00:01", "0000-01-01"}) {
        event_time got{};
        EXPECT_FALSE(parse_iso8601_time(outside)) << outside;
        EXPECT_EQ(read_iso8601_time(outside, got), detail::text::time_out_of_range_why) << outside;
    }
    using enum timestamp_format;
    EXPECT_EQ(epoch_to_time(std::int64_t{-62'135'596'800}, epoch_seconds), first);
    EXPECT_EQ(epoch_to_time(std::int64_t{253'402'300'799}, epoch_seconds),
              last - 9'999'999 * tick_duration{1});
    EXPECT_EQ(epoch_to_time(std::int64_t{-62'135'596'800'000}, epoch_milliseconds), first);
    EXPECT_EQ(epoch_to_time(std::int64_t{253'402'300'799'999}, epoch_milliseconds),
              last - 9'999 * tick_duration{1});
    EXPECT_EQ(epoch_to_time(-62'135'596'800.0, epoch_seconds), first);
    EXPECT_EQ(epoch_to_time(253'402'300'799.5, epoch_seconds), last - 4'999'999 * tick_duration{1});
    EXPECT_FALSE(epoch_to_time(std::int64_t{-62'135'596'801}, epoch_seconds));
    EXPECT_FALSE(epoch_to_time(std::int64_t{253'402'300'800}, epoch_seconds));
    EXPECT_FALSE(epoch_to_time(std::int64_t{-62'135'596'800'001}, epoch_milliseconds));
    EXPECT_FALSE(epoch_to_time(std::int64_t{253'402'300'800'000}, epoch_milliseconds));
    EXPECT_FALSE(epoch_to_time(-62'135'596'800.5, epoch_seconds));
    EXPECT_FALSE(epoch_to_time(253'402'300'800.0, epoch_seconds));
    // The old limit of 2^62 ns (2116) is no limit any more.
    EXPECT_EQ(epoch_to_time(std::int64_t{4'102'444'800}, epoch_seconds),
              event_time{std::chrono::sys_days{2100y / 1 / 1}});
    EXPECT_EQ(epoch_to_time(std::int64_t{7'258'118'400}, epoch_seconds),
              event_time{std::chrono::sys_days{2200y / 1 / 1}});
}

TEST(JsonText, ShortestNumbersAndEscapes) {
    std::string out;
    append_json_number(out, 0.1);
    out += ' ';
    append_json_number(out, 1e21);
    out += ' ';
    append_json_number(out, std::numeric_limits<double>::infinity());
    out += ' ';
    append_json_number(out, 19664131024779923456.0);
    out += ' ';
    append_json_number(out, 123456789012345.0);
    EXPECT_EQ(out, "0.1 1e+21 null 1.9664131024779923e+19 123456789012345");
    out.clear();
    append_json_string(out, std::string{"a\"\\\n\x01\xff\xc3\xa9"});
    EXPECT_EQ(out, "\"a\\\"\\\\\\n\\u0001\\u00ff\xc3\xa9\"");
}

/// append_json_number as it was written with std::to_chars: the reference for the layout.
std::string number_by_to_chars(double value) {
    std::array<char, 32> buffer{};
    const auto result = std::abs(value) >= 1e15
                            ? std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::scientific)
                            : std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return {buffer.data(), result.ptr};
}

TEST(JsonText, NumbersAreWhatStdToCharsWrites) {
    // Random bit patterns (every exponent, subnormals), random values in [0, 1) like scores,
    // short decimals (ties between fixed and scientific), powers of ten and two, and the
    // neighbours of the 1e15 switch.
    std::mt19937_64 rng{15};
    std::vector<double> values{0.0,
                               -0.0,
                               1.0,
                               -1.0,
                               0.001,
                               0.0001,
                               1e-5,
                               1e5,
                               1e15,
                               -1e15,
                               1e16,
                               1e-7,
                               5e-324,
                               1.7976931348623157e308,
                               2.2250738585072014e-308,
                               123456789012345.0,
                               0.1,
                               0.3};
    for (int i = 0; i < 1'000'000; ++i) {
        values.push_back(std::bit_cast<double>(rng()));
        values.push_back(std::uniform_real_distribution<double>{0.0, 1.0}(rng));
        values.push_back(static_cast<double>(rng() % 100'000) *
                         std::pow(10.0, static_cast<double>(static_cast<int>(rng() % 40) - 20)));
    }
    for (int e = -330; e <= 310; ++e) {
        for (const double v : {std::pow(10.0, e), std::ldexp(1.0, e * 3)}) {
            values.push_back(v);
            values.push_back(std::nextafter(v, 0.0));
            values.push_back(std::nextafter(v, 1e300));
        }
    }
    double below = 1e15;
    double above = 1e15;
    for (int k = 0; k < 64; ++k) {
        below = std::nextafter(below, 0.0);
        above = std::nextafter(above, 1e300);
        values.push_back(below);
        values.push_back(above);
    }
    std::string out;
    for (const double value : values) {
        if (!std::isfinite(value)) {
            continue;
        }
        out.clear();
        append_json_number(out, value);
        ASSERT_EQ(out, number_by_to_chars(value)) << std::bit_cast<std::uint64_t>(value);
    }
}

TEST(JsonText, SplitsTopLevelMembers) {
    std::vector<json_member> members;
    split_json_members(R"( { "a" : [1,"]",{"b":2}] , "c\"d":"x,y" ,"e":-1.50e3} )", members);
    ASSERT_EQ(members.size(), 3U);
    EXPECT_EQ(members[0].key, "a");
    EXPECT_EQ(members[0].value, R"([1,"]",{"b":2}])");
    EXPECT_EQ(members[1].key, R"(c\"d)");
    EXPECT_EQ(members[1].value, R"("x,y")");
    EXPECT_EQ(members[2].whole, R"("e":-1.50e3)");
}

TEST(Simulator, ScheduleSyntaxAndDeterminism) {
    const anomaly_injection shift = parse_injection("3@30m:75-80");
    EXPECT_EQ(shift.device, 3U);
    EXPECT_EQ(shift.from, 30min);
    EXPECT_FALSE(shift.length);
    EXPECT_EQ(shift.low, 75);
    EXPECT_EQ(shift.high, 80);
    const anomaly_injection cold = parse_injection("2@1h+10m:-5--1");
    EXPECT_EQ(cold.length, 10min);
    EXPECT_EQ(cold.low, -5);
    EXPECT_EQ(cold.high, -1);
    for (const char* bad : {"0@1m:1-2", "3:1-2", "3@1m:2-1", "x@1m:1-2", "3@1m:1"}) {
        EXPECT_THROW((void)parse_injection(bad), std::invalid_argument) << bad;
    }
    simulation_options options;
    options.injections.push_back(shift);
    device_simulator a{options};
    device_simulator b{options};
    std::string out_a;
    std::string out_b;
    for (int i = 0; i < 600; ++i) {
        a.next(out_a);
        b.next(out_b);
    }
    EXPECT_EQ(out_a, out_b);
    EXPECT_NE(out_a.find(R"({"device":")" + a.device_ids()[0] + R"(","temp":)"), std::string::npos);
    EXPECT_NE(out_a.find(R"("datetime":"2019-11-18T19:00:00+0000"})"), std::string::npos);
    EXPECT_EQ(a.device_ids()[0].size(), 12U);
}

}  // namespace
}  // namespace streamcp::pipeline
