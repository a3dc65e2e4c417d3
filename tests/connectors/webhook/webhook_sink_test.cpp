// SPDX-License-Identifier: MIT
// The webhook sink's backpressure and acknowledgement against a real HTTP server on loopback
// (cpp-httplib): writes block while the buffer is full and the endpoint fails, and nothing
// counts as delivered before a 2xx.
#include "webhook_sink.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

namespace streamcp::adapters {
namespace {

using namespace std::chrono_literals;

class scripted_endpoint {
  public:
    scripted_endpoint() {
        server_.Post("/hook", [this](const httplib::Request& request, httplib::Response& reply) {
            ++requests_;
            EXPECT_EQ(request.get_header_value("streamcp-record-ids").size(), 32U);
            reply.status = healthy_ ? 200 : 503;
        });
        port_ =
            server_.bind_to_any_port("127.0.0.1");  // listening: early clients wait in the backlog
        thread_ = std::thread([this] { server_.listen_after_bind(); });
    }
    ~scripted_endpoint() {
        server_.stop();
        thread_.join();
    }
    scripted_endpoint(const scripted_endpoint&) = delete;
    scripted_endpoint& operator=(const scripted_endpoint&) = delete;

    [[nodiscard]] std::string url() const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
    }
    void heal() { healthy_ = true; }
    [[nodiscard]] int requests() const { return requests_; }

  private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::atomic<bool> healthy_{false};
    std::atomic<int> requests_{0};
};

TEST(WebhookSink, WritesBlockWhileTheBufferIsFullAndNothingIsDeliveredBeforeA2xx) {
    scripted_endpoint endpoint;
    webhook_settings settings;
    settings.url = endpoint.url();
    settings.section = "sinks[0]";
    settings.max_batch = 1;
    settings.max_buffered = 2;
    settings.rate = 100.0;
    settings.backoff_min = 10ms;
    settings.backoff_max = 20ms;
    webhook_sink sink{settings};
    sink.write("{\"n\":1}\n{\"n\":2}\n");  // fills the buffer
    auto third = std::async(std::launch::async, [&] { sink.write("{\"n\":3}\n"); });
    // The endpoint answers 503: the third write stays blocked however often it is retried.
    while (endpoint.requests() < 5) {
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(third.wait_for(0ms), std::future_status::timeout);
    EXPECT_EQ(sink.delivered(), 0U);
    endpoint.heal();
    third.get();
    sink.sync();
    EXPECT_EQ(sink.delivered(), 3U);
    EXPECT_EQ(sink.position(), 24U);
}

}  // namespace
}  // namespace streamcp::adapters
