// SPDX-License-Identifier: MIT
// Test tool: prints every message of an Event Hub on an AMQP 1.0 peer (the Event Hubs test
// double), one JSON line each {"partition","partition_key","message_id","body"}, reading every
// partition of the `$Default` consumer group from the start, and exits once no message arrived
// for --idle-ms. Authenticates with SASL PLAIN (key name / key, as Event Hubs accepts it).
//
//   STREAMCP_DUMP_KEY=<key> streamcp_amqp_dump --url amqp://127.0.0.1:5672 --hub anomalies
//       --partitions 2 --key-name service [--idle-ms 3000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/duration.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/source.hpp>
#include <proton/types.hpp>
#include <proton/work_queue.hpp>

#include "command_flags.hpp"
#include "json_line.hpp"

namespace {

using streamcp::tools::json_string;
using streamcp::tools::read_flags;

struct arguments {
    std::string url;
    std::string hub;
    int partitions = 1;
    std::string key_name = "service";
    int idle_ms = 3000;
};

arguments parse(int argc, char** argv) {
    arguments args;
    read_flags(argc, argv,
               {{"--url", &args.url}, {"--hub", &args.hub}, {"--key-name", &args.key_name}},
               {{"--partitions", &args.partitions}, {"--idle-ms", &args.idle_ms}});
    if (args.url.empty() || args.hub.empty() || args.partitions < 1) {
        throw std::invalid_argument(
            "usage: streamcp_amqp_dump --url amqp://HOST:PORT --hub HUB "
            "--partitions N [--key-name NAME] [--idle-ms N]");
    }
    return args;
}

std::string text_of(const proton::value& value) {
    if (value.type() == proton::BINARY) {
        const auto bytes = proton::get<proton::binary>(value);
        return {bytes.begin(), bytes.end()};
    }
    if (value.type() == proton::STRING) {
        return proton::get<std::string>(value);
    }
    return proton::to_string(value);
}

class dumper final : public proton::messaging_handler {
  public:
    dumper(arguments args, std::string key) : args_(std::move(args)), key_(std::move(key)) {}

    void on_container_start(proton::container& container) override {
        container.connect(args_.url, proton::connection_options()
                                         .user(args_.key_name)
                                         .password(key_)
                                         .sasl_allowed_mechs("PLAIN")
                                         .sasl_allow_insecure_mechs(true));
        last_ = std::chrono::steady_clock::now();
        check_idle(container);
    }

    void on_connection_open(proton::connection& connection) override {
        for (int p = 0; p < args_.partitions; ++p) {
            connection.open_receiver(args_.hub + "/ConsumerGroups/$Default/Partitions/" +
                                     std::to_string(p));
        }
    }

    void on_message(proton::delivery& delivery, proton::message& message) override {
        last_ = std::chrono::steady_clock::now();
        const std::string address = delivery.receiver().source().address();
        const std::string partition = address.substr(address.rfind('/') + 1);
        const proton::value key =
            message.message_annotations().get(proton::symbol("x-opt-partition-key"));
        std::printf(
            "{\"partition\":%s,\"partition_key\":%s,\"message_id\":%s,\"body\":%s}\n",
            partition.c_str(), key.empty() ? "null" : json_string(text_of(key)).c_str(),
            message.id().empty() ? "null" : json_string(proton::to_string(message.id())).c_str(),
            json_string(text_of(message.body())).c_str());
    }

    void on_error(const proton::error_condition& error) override {
        if (stopping_) {
            return;  // stopping aborts the open connection
        }
        std::fprintf(stderr, "streamcp_amqp_dump: %s\n", error.what().c_str());
        failed_ = true;
    }

    [[nodiscard]] bool failed() const noexcept { return failed_; }

  private:
    void check_idle(proton::container& container) {
        const std::function<void()> check = [this, &container] {
            if (std::chrono::steady_clock::now() - last_ >
                std::chrono::milliseconds(args_.idle_ms)) {
                // A change made from a timer reaches the wire only when the connection is next
                // served, so end the container outright rather than wait for the close.
                stopping_ = true;
                container.stop();
                return;
            }
            check_idle(container);
        };
        container.schedule(proton::duration(100), proton::work(check));
    }

    arguments args_;
    std::string key_;
    std::chrono::steady_clock::time_point last_;
    bool failed_ = false;
    bool stopping_ = false;
};

}  // namespace

int main(int argc, char** argv) {
    try {
        const char* key = std::getenv("STREAMCP_DUMP_KEY");
        if (key == nullptr) {
            throw std::invalid_argument("STREAMCP_DUMP_KEY (the SAS key) is not set");
        }
        dumper handler{parse(argc, argv), key};
        proton::container{handler}.run();
        return handler.failed() ? 1 : 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "streamcp_amqp_dump: %s\n", error.what());
        return 1;
    }
}
