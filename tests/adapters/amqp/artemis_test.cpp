// SPDX-License-Identifier: MIT
// The AMQP sink and source in generic-broker mode against a real ActiveMQ Artemis (started by
// scripts/brokers as a ctest fixture): wire interop, and redelivery of what no checkpoint
// settled.
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "amqp_test_support.hpp"

namespace streamcp::test {
namespace {

class Artemis : public ::testing::Test {
  protected:
    void SetUp() override {
        std::ifstream port_file(std::string(STREAMCP_ARTEMIS_RUN_DIR) + "/artemis.port");
        ASSERT_TRUE(port_file >> port_)
            << "Artemis is not running (ctest fixture brokers.artemis.start)";
        // A fresh address per test run: earlier runs may have left messages behind.
        address_ = "streamcp.test." +
                   std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
                   "." + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    }

    [[nodiscard]] std::string url() const { return "amqp://127.0.0.1:" + std::to_string(port_); }

    std::unique_ptr<pipeline::line_sink> sink() {
        return adapters::make_eventhubs_sink(
            eventhubs_endpoint("sinks[1]", {{"broker", "generic"},
                                            {"url", url()},
                                            {"address", address_},
                                            {"partition_key", "device"}}));
    }

    std::unique_ptr<pipeline::line_source> source(option_map extra) {
        option_map options{{"broker", "generic"},
                           {"url", url()},
                           {"addresses", address_},
                           {"stop_when_idle", "3s"}};
        for (auto& [name, value] : extra) {
            options[name] = value;
        }
        return adapters::make_eventhubs_source(eventhubs_endpoint("source", options));
    }

    int port_ = 0;
    std::string address_;
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

TEST_F(Artemis, SinkSendsAndSourceReceivesEveryRecordInOrder) {
    const std::string text = records(0, 300, 6);
    auto out = sink();
    out->write(text);
    out->sync();
    auto in = source({});
    EXPECT_EQ(read_all(*in), lines_of(text));
}

TEST_F(Artemis, DeliveriesNotCoveredByACheckpointAreRedelivered) {
    const std::string text = records(0, 20, 2);
    {
        auto out = sink();
        out->write(text);
        out->sync();
    }
    {
        auto crashed = source({{"max_messages", "10"}});
        EXPECT_EQ(read_all(*crashed).size(), 10U);  // read, never committed: a crash
    }
    {
        auto restarted = source({});
        EXPECT_EQ(read_all(*restarted), lines_of(text));
        restarted->committed();
    }
    auto after_commit = source({{"stop_when_idle", "2s"}});
    EXPECT_TRUE(read_all(*after_commit).empty());
}

}  // namespace
}  // namespace streamcp::test
