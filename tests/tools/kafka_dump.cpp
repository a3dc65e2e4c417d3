// SPDX-License-Identifier: MIT
// Test tool: prints every record of a Kafka topic, one JSON line each
// {"partition","offset","key","headers":{...},"value"}, and exits once no record arrived for
// --idle. Reads from the beginning with no consumer group, so it never changes what it reads.
//
//   streamcp_kafka_dump --bootstrap 127.0.0.1:9092 --topic anomalies [--idle-ms 3000]
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "command_flags.hpp"
#include "json_line.hpp"

namespace {

using streamcp::tools::json_string;
using streamcp::tools::read_flags;

struct arguments {
    std::string bootstrap;
    std::string topic;
    int idle_ms = 3000;
};

arguments parse(int argc, char** argv) {
    arguments args;
    read_flags(argc, argv, {{"--bootstrap", &args.bootstrap}, {"--topic", &args.topic}},
               {{"--idle-ms", &args.idle_ms}});
    if (args.bootstrap.empty() || args.topic.empty()) {
        throw std::invalid_argument(
            "usage: streamcp_kafka_dump --bootstrap HOST:PORT --topic T "
            "[--idle-ms N]");
    }
    return args;
}

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
    std::array<char, 512> error{};
    if (rd_kafka_conf_set(conf, key, value.c_str(), error.data(), error.size()) !=
        RD_KAFKA_CONF_OK) {
        throw std::runtime_error(std::string(key) + ": " + error.data());
    }
}

std::string headers_json(const rd_kafka_message_t* message) {
    rd_kafka_headers_t* headers = nullptr;
    std::string out = "{";
    if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        std::size_t size = 0;
        for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                                RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            out += (i == 0 ? "" : ",") + json_string(name) + ":" +
                   json_string(std::string_view(static_cast<const char*>(value), size));
        }
    }
    return out + "}";
}

int dump(const arguments& args) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", args.bootstrap);
    set(conf, "group.id", "streamcp-kafka-dump");  // required by the API; offsets never committed
    set(conf, "enable.auto.commit", "false");
    std::array<char, 512> error{};
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
    if (consumer == nullptr) {
        throw std::runtime_error(error.data());
    }
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_topic_t* topic = rd_kafka_topic_new(consumer, args.topic.c_str(), nullptr);
    if (rd_kafka_metadata(consumer, 0, topic, &metadata, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        metadata->topic_cnt != 1 || metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error("no metadata for topic " + args.topic);
    }
    rd_kafka_topic_partition_list_t* assignment =
        rd_kafka_topic_partition_list_new(metadata->topics[0].partition_cnt);
    for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
        rd_kafka_topic_partition_list_add(assignment, args.topic.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(topic);
    rd_kafka_assign(consumer, assignment);
    rd_kafka_topic_partition_list_destroy(assignment);

    auto last = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - last < std::chrono::milliseconds(args.idle_ms)) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
        if (message == nullptr) {
            continue;
        }
        if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            last = std::chrono::steady_clock::now();
            const std::string_view key(static_cast<const char*>(message->key), message->key_len);
            const std::string_view value(static_cast<const char*>(message->payload), message->len);
            std::printf(
                "{\"partition\":%d,\"offset\":%lld,\"key\":%s,\"headers\":%s,\"value\":%s}\n",
                message->partition, static_cast<long long>(message->offset),
                message->key == nullptr ? "null" : json_string(key).c_str(),
                headers_json(message).c_str(), json_string(value).c_str());
        } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            std::fprintf(stderr, "streamcp_kafka_dump: %s\n", rd_kafka_message_errstr(message));
        }
        rd_kafka_message_destroy(message);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return dump(parse(argc, argv));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "streamcp_kafka_dump: %s\n", error.what());
        return 1;
    }
}
