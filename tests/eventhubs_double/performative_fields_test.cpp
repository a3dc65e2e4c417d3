// SPDX-License-Identifier: MIT
// Proton's frames as the relay rewrites them: every performative field present.
#include "performative_fields.hpp"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace streamcp::eventhubs_double {
namespace {

std::string u32(std::uint32_t value) {
    std::string out;
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
    return out;
}

// An AMQP frame on channel 0: header, described performative with a list8 of `items`, payload.
std::string frame(char code, std::uint8_t count, const std::string& items,
                  const std::string& payload = "") {
    const std::string body = std::string{'\0', '\x53', code, '\xc0'} +
                             static_cast<char>(items.size() + 1) + static_cast<char>(count) +
                             items + payload;
    return u32(static_cast<std::uint32_t>(8 + body.size())) +
           std::string{'\x02', '\0', '\0', '\0'} + body;
}

// The list32 the relay writes: performative code, field count, then the fields.
std::string list32(char code, std::uint32_t count, const std::string& items) {
    return std::string{'\0', '\x53', code, '\xd0'} +
           u32(static_cast<std::uint32_t>(items.size() + 4)) + u32(count) + items;
}

const std::string uint_0{'\x43'};  // uint0 encoding of 0

TEST(PerformativeFields, BeginGetsHandleMaxAndNullsUpToItsEightFields) {
    const std::string begin = frame('\x11', 4, uint_0 + uint_0 + uint_0 + uint_0);
    std::size_t consumed = 0;
    const std::string out = complete_performatives(begin, consumed, 65536);
    EXPECT_EQ(consumed, begin.size());
    const std::string body = list32(
        '\x11', 8, uint_0 + uint_0 + uint_0 + uint_0 + '\x70' + u32(255) + std::string(3, '\x40'));
    const std::string header = std::string{'\x02', '\0', '\0', '\0'};
    EXPECT_EQ(out, u32(static_cast<std::uint32_t>(8 + body.size())) + header + body);
}

TEST(PerformativeFields, OpenAdvertisesTheGivenFrameSize) {
    const std::string container = std::string{'\xa1', '\x01', 'c'};
    const std::string open =
        frame('\x10', 3, container + '\x40' + '\x70' + u32(65538));  // id, hostname, max-frame-size
    std::size_t consumed = 0;
    const std::string out = complete_performatives(open, consumed, 65536);
    const std::string body =
        list32('\x10', 10, container + '\x40' + '\x70' + u32(65536) + std::string(7, '\x40'));
    EXPECT_EQ(out.substr(8), body);
}

TEST(PerformativeFields, TransferKeepsItsPayloadAfterTheFields) {
    const std::string payload = "\0Su\xa0\x02hi";
    const std::string transfer = frame('\x14', 2, uint_0 + uint_0, payload);
    std::size_t consumed = 0;
    const std::string out = complete_performatives(transfer, consumed, 65536);
    EXPECT_EQ(out.substr(8),
              list32('\x14', 11, uint_0 + uint_0 + std::string(9, '\x40')) + payload);
    EXPECT_EQ(out.size(), static_cast<std::size_t>(static_cast<unsigned char>(out[2])) * 256 +
                              static_cast<unsigned char>(out[3]));
}

TEST(PerformativeFields, HeadersAndEmptyFramesPassAndPartialFramesWait) {
    const std::string header = "AMQP\x03\x01\x00\x00";
    const std::string empty = u32(8) + std::string{'\x02', '\0', '\0', '\0'};
    const std::string close = frame('\x18', 0, "");
    const std::string stream = std::string(header.data(), 8) + empty + close;
    std::size_t consumed = 0;
    const std::string out =
        complete_performatives(stream.substr(0, stream.size() - 1), consumed, 65536);
    EXPECT_EQ(consumed, 16U);  // the close frame is not whole yet
    EXPECT_EQ(out, stream.substr(0, 16));
    const std::string rest = complete_performatives(stream.substr(16), consumed, 65536);
    EXPECT_EQ(consumed, close.size());
    EXPECT_EQ(rest.substr(8), list32('\x18', 1, std::string(1, '\x40')));
}

TEST(PerformativeFields, RejectedOutcomeCarriesAWholeError) {
    // disposition [role, first, last, settled, state = rejected [error [condition, description]]]
    const std::string condition = std::string{'\xa3', '\x03'} + "x:y";
    const std::string description = std::string{'\xa1', '\x01'} + "d";
    const std::string error = std::string{'\0', '\x53', '\x1d', '\xc0'} +
                              static_cast<char>(condition.size() + description.size() + 1) +
                              '\x02' + condition + description;
    const std::string rejected = std::string{'\0', '\x53', '\x25', '\xc0'} +
                                 static_cast<char>(error.size() + 1) + '\x01' + error;
    const std::string disposition =
        frame('\x15', 5, std::string{'\x41', '\x43', '\x43', '\x41'} + rejected);
    std::size_t consumed = 0;
    const std::string out = complete_performatives(disposition, consumed, 65536);
    const std::string whole_error = list32('\x1d', 3, condition + description + '\x40');
    const std::string whole_rejected = list32('\x25', 1, whole_error);
    EXPECT_EQ(
        out.substr(8),
        list32('\x15', 6, std::string{'\x41', '\x43', '\x43', '\x41'} + whole_rejected + '\x40'));
}

}  // namespace
}  // namespace streamcp::eventhubs_double
