// SPDX-License-Identifier: MIT
#include "stop_token.hpp"

#include <gtest/gtest.h>

namespace streamcp::pipeline {
namespace {

TEST(StopToken, ADefaultTokenNeverStops) {
    const stop_token never;
    EXPECT_FALSE(never.stop_requested());
}

TEST(StopToken, EveryTokenOfASourceSeesItsRequestAndOnlyThat) {
    stop_source source;
    stop_source other;
    const stop_token first = source.token();
    const stop_token copy = first;  // NOLINT(performance-unnecessary-copy-initialization)
    const stop_token unrelated = other.token();
    EXPECT_FALSE(first.stop_requested());
    EXPECT_TRUE(source.request_stop());   // this call made the request
    EXPECT_FALSE(source.request_stop());  // a second one finds it made
    EXPECT_TRUE(first.stop_requested());
    EXPECT_TRUE(copy.stop_requested());
    EXPECT_TRUE(source.token().stop_requested());
    EXPECT_FALSE(unrelated.stop_requested());
}

}  // namespace
}  // namespace streamcp::pipeline
