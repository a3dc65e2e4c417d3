// SPDX-License-Identifier: MIT
//
// The Kafka sink against a real Apache Kafka (KRaft, one node, loopback) that ctest's fixture
// starts with scripts/brokers; records are read back with a librdkafka consumer.
#include "kafka_sink.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include "endpoint_config.hpp"
#include "record_id.hpp"

namespace streamcp::adapters {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string value = text.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
        value.pop_back();
    }
    return value;
}

/// The broker the fixture started: ports and the SASL secret from its run directory.
struct test_broker {
    std::string run_dir = STREAMCP_KAFKA_RUN_DIR;
    std::string plaintext = "127.0.0.1:" + read_text(run_dir + "/kafka.port");
    std::string sasl = "127.0.0.1:" + read_text(run_dir + "/kafka.sasl.port");
    std::string sasl_ssl = "127.0.0.1:" + read_text(run_dir + "/kafka.ssl.port");
    std::string ca_file = run_dir + "/kafka.ca.pem";
    std::string connection_string = read_text(run_dir + "/kafka.connection-string");

    [[nodiscard]] bool present() const { return plaintext != "127.0.0.1:"; }

    /// Runs `scripts/brokers <action> kafka --dir <run dir>`.
    void control(const std::string& action) const {
        const std::string command = std::string(STREAMCP_BROKERS_SCRIPT) + " " + action +
                                    " kafka --dir '" + run_dir + "' >>'" + run_dir +
                                    "/test-control.log' 2>&1";
        if (std::system(command.c_str()) != 0) {
            throw std::runtime_error("failed: " + command + " (see test-control.log)");
        }
    }
};

std::string unique_topic(const std::string& stem) {
    return stem + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
    std::array<char, 256> error{};
    if (rd_kafka_conf_set(conf, key, value.c_str(), error.data(), error.size()) !=
        RD_KAFKA_CONF_OK) {
        throw std::runtime_error(std::string(key) + ": " + error.data());
    }
}

/// Creates a topic through the admin API (the broker does not auto-create).
void create_topic(const std::string& bootstrap, const std::string& topic, int partitions) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    std::array<char, 256> error{};
    rd_kafka_t* admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
    ASSERT_NE(admin, nullptr) << error.data();
    rd_kafka_NewTopic_t* request =
        rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error.data(), error.size());
    rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
    rd_kafka_CreateTopics(admin, &request, 1, nullptr, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 60000);
    ASSERT_NE(event, nullptr) << "CreateTopics timed out";
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    ASSERT_NE(result, nullptr) << rd_kafka_event_error_string(event);
    std::size_t count = 0;
    const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(result, &count);
    ASSERT_EQ(count, 1U);
    EXPECT_EQ(rd_kafka_topic_result_error(topics[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
        << rd_kafka_topic_result_error_string(topics[0]);
    rd_kafka_event_destroy(event);
    rd_kafka_NewTopic_destroy(request);
    rd_kafka_queue_destroy(queue);
    rd_kafka_destroy(admin);
}

struct consumed_record {
    std::string key;
    bool has_key = false;
    std::string value;
    std::string record_id;  // the streamcp-record-id header, empty when absent
};

/// Everything in the topic, per partition in offset order.
std::map<int, std::vector<consumed_record>> consume_all(const std::string& bootstrap,
                                                        const std::string& topic, int partitions) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", unique_topic("streamcp-test-reader"));
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.partition.eof", "true");
    std::array<char, 256> error{};
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
    if (consumer == nullptr) {
        throw std::runtime_error(error.data());
    }
    rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
    for (int partition = 0; partition < partitions; ++partition) {
        rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(consumer, assignment);
    rd_kafka_topic_partition_list_destroy(assignment);
    std::map<int, std::vector<consumed_record>> records;
    std::set<int> at_end;
    int idle_polls = 0;
    constexpr int max_idle_polls = 600;  // 60 s without anything: the broker is gone
    while (static_cast<int>(at_end.size()) < partitions && idle_polls < max_idle_polls) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
        if (message == nullptr) {
            ++idle_polls;
            continue;
        }
        idle_polls = 0;
        if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            at_end.insert(message->partition);
        } else if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            at_end.erase(message->partition);
            consumed_record record;
            record.has_key = message->key != nullptr;
            if (record.has_key) {
                record.key.assign(static_cast<const char*>(message->key), message->key_len);
            }
            record.value.assign(static_cast<const char*>(message->payload), message->len);
            rd_kafka_headers_t* headers = nullptr;
            const void* id = nullptr;
            std::size_t id_size = 0;
            if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                rd_kafka_header_get_last(headers, "streamcp-record-id", &id, &id_size) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR) {
                record.record_id.assign(static_cast<const char*>(id), id_size);
            }
            records[message->partition].push_back(std::move(record));
        } else {
            ADD_FAILURE() << "consumer: " << rd_kafka_message_errstr(message);
        }
        rd_kafka_message_destroy(message);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return records;
}

std::string device_of(int index, int devices) { return "dev-" + std::to_string(index % devices); }

/// Output line number `index`: devices take turns, each with its own increasing `seq`.
std::string output_line(int index, int devices) {
    return R"({"device":")" + device_of(index, devices) + R"(","seq":)" +
           std::to_string(index / devices) + R"(,"anomaly":1})" + "\n";
}

/// Java's murmur2 partitioner (Kafka's default for keyed records), written from its
/// description: the placement `partitioner = murmur2_random` must reproduce.
int java_partition(const std::string& key, int partitions) {
    constexpr std::uint32_t seed = 0x9747b28cU;
    constexpr std::uint32_t m = 0x5bd1e995U;
    const auto* data = reinterpret_cast<const unsigned char*>(key.data());
    const auto length = static_cast<std::uint32_t>(key.size());
    std::uint32_t h = seed ^ length;
    for (std::uint32_t i = 0; i + 4 <= length; i += 4) {
        std::uint32_t k = std::uint32_t{data[i]} | (std::uint32_t{data[i + 1]} << 8U) |
                          (std::uint32_t{data[i + 2]} << 16U) | (std::uint32_t{data[i + 3]} << 24U);
        k *= m;
        k ^= k >> 24U;
        k *= m;
        h *= m;
        h ^= k;
    }
    const std::uint32_t tail = length & ~3U;
    switch (length % 4) {
        case 3:
            h ^= std::uint32_t{data[tail + 2]} << 16U;
            [[fallthrough]];
        case 2:
            h ^= std::uint32_t{data[tail + 1]} << 8U;
            [[fallthrough]];
        case 1:
            h ^= data[tail];
            h *= m;
            break;
        default:
            break;
    }
    h ^= h >> 13U;
    h *= m;
    h ^= h >> 15U;
    return static_cast<int>((h & 0x7fffffffU) % static_cast<std::uint32_t>(partitions));
}

struct delivery_check {
    std::size_t records = 0;
    std::size_t duplicates = 0;
};

/// Checks what came back against lines 0..count-1: every record present, key = device,
/// record id header = record_id(line), each device in one partition (Java's murmur2 choice),
/// and each device's first occurrences in `seq` order. Duplicates are counted, not failed.
delivery_check check_delivery(const std::map<int, std::vector<consumed_record>>& partitions,
                              int count, int devices, int partition_count) {
    delivery_check result;
    std::map<std::string, int> partition_of_device;
    std::map<std::string, int> next_seq;  // per device: the seq expected next (first copies)
    std::set<std::string> seen;
    for (const auto& [partition, records] : partitions) {
        for (const consumed_record& record : records) {
            ++result.records;
            EXPECT_TRUE(record.has_key) << record.value;
            EXPECT_EQ(record.record_id, pipeline::record_id(record.value));
            const std::string device = record.key;
            EXPECT_NE(record.value.find(R"({"device":")" + device + R"(")"), std::string::npos)
                << "key " << device << " is not the record's device: " << record.value;
            const auto [where, inserted] = partition_of_device.emplace(device, partition);
            EXPECT_EQ(where->second, partition) << device << " in two partitions";
            EXPECT_EQ(partition, java_partition(device, partition_count)) << device;
            if (!seen.insert(record.value).second) {
                ++result.duplicates;
                continue;
            }
            const std::size_t at = record.value.find(R"("seq":)");
            const int seq = std::stoi(record.value.substr(at + 6));
            EXPECT_EQ(seq, next_seq[device])
                << device << " out of order in partition " << partition;
            next_seq[device] = seq + 1;
        }
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(count)) << "records lost";
    for (int index = 0; index < count; ++index) {
        const std::string line = output_line(index, devices);
        if (!seen.contains(line.substr(0, line.size() - 1))) {
            ADD_FAILURE() << "missing: " << line;
            break;
        }
    }
    return result;
}

kafka_sink_settings local_settings(const std::string& bootstrap, const std::string& topic) {
    kafka_sink_settings settings;
    settings.bootstrap = bootstrap;
    settings.topic = topic;
    settings.partition_key = "device";
    settings.stall_timeout = std::chrono::seconds(120);
    return settings;
}

/// A `[[sinks]] type = "kafka"` table as the config reader hands it to `make_kafka_sink`.
pipeline::endpoint_config kafka_endpoint(std::string section,
                                         std::map<std::string, std::string, std::less<>> options) {
    pipeline::endpoint_config endpoint;
    endpoint.type = "kafka";
    endpoint.section = std::move(section);
    endpoint.options = std::move(options);
    return endpoint;
}

/// Writes `count` output lines over `devices` devices through the factory's sink, one line per
/// write, and waits until the broker has them.
void write_through_factory(const pipeline::endpoint_config& endpoint, int count, int devices) {
    const std::unique_ptr<pipeline::line_sink> sink = make_kafka_sink(endpoint);
    for (int index = 0; index < count; ++index) {
        sink->write(output_line(index, devices));
    }
    sink->sync();
}

class KafkaSinkTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(broker_.present())
            << "no Kafka in " << broker_.run_dir
            << " (ctest starts it; by hand: scripts/brokers start kafka --dir <that dir>)";
    }
    test_broker broker_;
};

TEST_F(KafkaSinkTest, RecordsArriveKeyedByDeviceWithRecordIdsInOrder) {
    const std::string topic = unique_topic("keyed");
    create_topic(broker_.plaintext, topic, 2);
    constexpr int count = 3000;
    constexpr int devices = 7;
    {
        kafka_sink sink(local_settings(broker_.plaintext, topic));
        std::string chunk;
        for (int index = 0; index < count; ++index) {
            chunk += output_line(index, devices);
            if (index % 13 == 12) {  // several lines per write, as the pipeline batches them
                sink.write(chunk);
                chunk.clear();
            }
        }
        sink.write(chunk);
        sink.sync();
        EXPECT_EQ(sink.acknowledged(), static_cast<std::uint64_t>(count));
        EXPECT_FALSE(sink.truncatable());
        EXPECT_EQ(sink.name(), "kafka://" + broker_.plaintext + "/" + topic);
    }
    const delivery_check result =
        check_delivery(consume_all(broker_.plaintext, topic, 2), count, devices, 2);
    EXPECT_EQ(result.duplicates, 0U);
}

TEST_F(KafkaSinkTest, LineSplitAcrossWritesIsOneRecord) {
    const std::string topic = unique_topic("split");
    create_topic(broker_.plaintext, topic, 2);
    {
        kafka_sink sink(local_settings(broker_.plaintext, topic));
        const std::string line = output_line(0, 1);
        sink.write(line.substr(0, 5));
        sink.write(line.substr(5, 10));
        sink.write(line.substr(15));
        sink.sync();
        EXPECT_EQ(sink.acknowledged(), 1U);
        EXPECT_EQ(sink.position(), line.size());
    }
    check_delivery(consume_all(broker_.plaintext, topic, 2), 1, 1, 2);
}

TEST_F(KafkaSinkTest, EventHubsStyleLoginThroughTheFactory) {
    // Event Hubs' Kafka login, on the broker's SASL_PLAINTEXT listener: user
    // `$ConnectionString`, password = an Event Hubs connection string (from the environment).
    const std::string topic = unique_topic("sasl");
    create_topic(broker_.plaintext, topic, 2);
    ::setenv("STREAMCP_TEST_EVENTHUBS_CS", broker_.connection_string.c_str(), 1);
    write_through_factory(
        kafka_endpoint("sinks[1]", {{"connection_string_env", "STREAMCP_TEST_EVENTHUBS_CS"},
                                    {"bootstrap", broker_.sasl},
                                    {"security_protocol", "sasl_plaintext"},
                                    {"topic", topic},
                                    {"partition_key", "device"},
                                    {"delivery_timeout", "60s"}}),
        20, 3);
    check_delivery(consume_all(broker_.plaintext, topic, 2), 20, 3, 2);
}

TEST_F(KafkaSinkTest, EventHubsSettingsOverTlsWithTheBrokersCa) {
    // Azure's exact client settings (SASL_SSL, PLAIN, `$ConnectionString`), on the broker's
    // TLS listener whose certificate a throw-away CA signed.
    ASSERT_NE(broker_.sasl_ssl, "127.0.0.1:")
        << "no SASL_SSL listener: delete the run dir " << broker_.run_dir << " (older layout)";
    const std::string topic = unique_topic("tls");
    create_topic(broker_.plaintext, topic, 2);
    ::setenv("STREAMCP_TEST_EVENTHUBS_CS", broker_.connection_string.c_str(), 1);
    write_through_factory(
        kafka_endpoint("sinks[1]", {{"connection_string_env", "STREAMCP_TEST_EVENTHUBS_CS"},
                                    {"bootstrap", broker_.sasl_ssl},
                                    {"ssl_ca_location", broker_.ca_file},
                                    {"topic", topic},
                                    {"partition_key", "device"},
                                    {"compression", "gzip"},
                                    {"delivery_timeout", "60s"}}),
        50, 4);
    check_delivery(consume_all(broker_.plaintext, topic, 2), 50, 4, 2);
}

TEST_F(KafkaSinkTest, UntrustedCertificateFailsNamingTheTlsError) {
    // Without the test CA the system store does not trust the broker: no silent retry forever.
    kafka_sink_settings settings = local_settings(broker_.sasl_ssl, "anomalies");
    settings.security_protocol = "sasl_ssl";
    settings.sasl_username = "$ConnectionString";
    settings.sasl_password = broker_.connection_string;
    settings.stall_timeout = std::chrono::seconds(3);
    kafka_sink sink(settings);
    sink.write(output_line(0, 1));
    try {
        sink.sync();
        FAIL() << "sync() returned with an untrusted certificate";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("certificate verify failed"), std::string::npos)
            << error.what();
    }
}

TEST_F(KafkaSinkTest, WrongPasswordFailsWithAnAuthenticationError) {
    kafka_sink_settings settings = local_settings(broker_.sasl, "anomalies");
    settings.security_protocol = "sasl_plaintext";
    settings.sasl_username = "$ConnectionString";
    settings.sasl_password =
        "Endpoint=sb://wrong.servicebus.windows.net/;SharedAccessKeyName=x;"
        "SharedAccessKey=bm90IHRoZSBrZXk=";
    settings.stall_timeout = std::chrono::seconds(60);  // the bound if the error went unseen
    kafka_sink sink(settings);
    sink.write(output_line(0, 1));
    try {
        sink.sync();
        FAIL() << "sync() returned with a wrong password";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("authentication failed"), std::string::npos)
            << error.what();
        EXPECT_EQ(std::string(error.what()).find("bm90IHRoZSBrZXk"), std::string::npos)
            << "the secret leaked into the message: " << error.what();
    }
}

TEST_F(KafkaSinkTest, UnreachableBootstrapFailsAfterTheDeliveryTimeout) {
    // A port nothing listens on: librdkafka retries forever; the stall timeout ends the wait.
    kafka_sink_settings settings = local_settings("127.0.0.1:1", "anomalies");
    settings.stall_timeout = std::chrono::seconds(2);
    kafka_sink sink(settings);
    sink.write(output_line(0, 1));
    try {
        sink.sync();
        FAIL() << "sync() returned without a broker";
    } catch (const std::runtime_error& error) {
        const std::string text = error.what();
        EXPECT_NE(text.find("no record acknowledged"), std::string::npos) << text;
        EXPECT_NE(text.find("kafka://127.0.0.1:1/anomalies"), std::string::npos) << text;
    }
}

TEST(KafkaSinkClosing, UnacknowledgedRecordsMentionACheckpointOnlyWhenThereIsOne) {
    for (const bool checkpointed : {false, true}) {
        testing::internal::CaptureStderr();
        {
            kafka_sink_settings settings = local_settings("127.0.0.1:1", "anomalies");
            settings.stall_timeout = std::chrono::seconds(1);
            kafka_sink sink(settings);
            sink.set_checkpointed(checkpointed);
            sink.write(output_line(0, 1));
            EXPECT_THROW(sink.sync(), std::runtime_error);
        }
        const std::string text = testing::internal::GetCapturedStderr();
        EXPECT_NE(text.find("closing with 1 records not acknowledged"), std::string::npos) << text;
        EXPECT_EQ(text.find("checkpoint") != std::string::npos, checkpointed) << text;
    }
}

TEST_F(KafkaSinkTest, MissingTopicIsAPermanentErrorNamingTheTopic) {
    const std::string topic = unique_topic("absent");
    kafka_sink_settings settings = local_settings(broker_.plaintext, topic);
    settings.extra_properties = {{"topic.metadata.propagation.max.ms", "1000"}};
    kafka_sink sink(settings);
    sink.write(output_line(0, 1));
    try {
        sink.sync();
        FAIL() << "sync() returned for a topic that does not exist";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("delivery to topic " + topic), std::string::npos)
            << error.what();
    }
}

TEST(KafkaSinkFactory, RejectsBadOptionsNamingTheSetting) {
    pipeline::endpoint_config endpoint = kafka_endpoint(
        "sinks[2]", {{"bootstrap", "127.0.0.1:9"}, {"topic", "t"}, {"compression", "zstd"}});
    try {
        (void)make_kafka_sink(endpoint);
        FAIL() << "zstd accepted";
    } catch (const std::invalid_argument& error) {
        EXPECT_NE(std::string(error.what()).find("sinks[2].compression"), std::string::npos);
    }
    endpoint.options = {{"topic", "t"}};
    EXPECT_THROW((void)make_kafka_sink(endpoint), std::invalid_argument);  // no bootstrap
    endpoint.options = {{"bootstrap", "127.0.0.1:9"}, {"topic", "t"}, {"partion_key", "device"}};
    EXPECT_THROW((void)make_kafka_sink(endpoint), std::invalid_argument);  // typo
    endpoint.options = {
        {"bootstrap", "127.0.0.1:9"}, {"security_protocol", "sasl_ssl"}, {"topic", "t"}};
    EXPECT_THROW((void)make_kafka_sink(endpoint), std::invalid_argument);  // no credentials
}

TEST(KafkaSinkFactory, EventHubsConnectionStringGivesTheAzureEndpoint) {
    ::setenv("STREAMCP_TEST_EH_AZURE",
             "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;"
             "SharedAccessKey=c2VjcmV0;EntityPath=anomalies",
             1);
    const std::unique_ptr<pipeline::line_sink> sink = make_kafka_sink(
        kafka_endpoint("sinks[1]", {{"connection_string_env", "STREAMCP_TEST_EH_AZURE"}}));
    // Topic from EntityPath, bootstrap = the namespace on 9093 (nothing is sent here).
    EXPECT_EQ(sink->name(), "kafka://myns.servicebus.windows.net:9093/anomalies");
}

/// `streamcp run` with a `[[sinks]] type = "kafka"` (and a file sink beside it as the
/// reference): every output record reaches the topic, keyed by device, in each device's order.
TEST_F(KafkaSinkTest, StreamcpRunWritesEveryOutputRecordToKafka) {
    const std::string topic = unique_topic("run");
    create_topic(broker_.plaintext, topic, 2);
    std::string dir_template = ::testing::TempDir() + "streamcp-kafka-run-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template.data()), nullptr);
    const std::string dir = dir_template;
    const std::string cli = STREAMCP_CLI_PATH;
    ASSERT_EQ(std::system((cli + " simulate --devices 3 --length 2h --inject 3@40m:75-80 -o '" +
                           dir + "/in.jsonl'")
                              .c_str()),
              0);
    {
        std::ofstream config(dir + "/job.toml");
        config << "[source]\ntype = \"file\"\npath = \"" << dir << "/in.jsonl\"\n\n"
               << "[query]\nvalue = \"temp\"\ntimestamp = \"datetime\"\n"
               << "partition_by = \"device\"\nconfidence = 80\nhistory = 12\n"
               << "duration = \"30m\"\nproject = true\n\n"
               << "[[sinks]]\ntype = \"file\"\npath = \"" << dir << "/out.jsonl\"\n\n"
               << "[[sinks]]\ntype = \"kafka\"\nbootstrap = \"" << broker_.plaintext
               << "\"\ntopic = \"" << topic << "\"\npartition_key = \"device\"\n"
               << "delivery_timeout = \"120s\"\n\n"
               << "[checkpoint]\npath = \"" << dir << "/job.sqlite\"\nevery = 500\n";
    }
    ASSERT_EQ(
        std::system((cli + " run --quiet '" + dir + "/job.toml' 2>'" + dir + "/run.err'").c_str()),
        0)
        << read_text(dir + "/run.err");

    // The file sink's lines, per device in output order, are the reference.
    std::map<std::string, std::vector<std::string>> expected;
    std::size_t expected_count = 0;
    std::ifstream out(dir + "/out.jsonl");
    for (std::string line; std::getline(out, line);) {
        const std::size_t at = line.find(R"("device":")") + 10;
        expected[line.substr(at, line.find('"', at) - at)].push_back(line);
        ++expected_count;
    }
    ASSERT_GT(expected_count, 0U);
    std::map<std::string, std::vector<std::string>> received;
    std::size_t received_count = 0;
    for (const auto& [partition, records] : consume_all(broker_.plaintext, topic, 2)) {
        for (const consumed_record& record : records) {
            EXPECT_EQ(partition, java_partition(record.key, 2)) << record.key;
            EXPECT_EQ(record.record_id, pipeline::record_id(record.value));
            received[record.key].push_back(record.value);
            ++received_count;
        }
    }
    EXPECT_EQ(received_count, expected_count);
    EXPECT_EQ(received, expected);  // keys = devices, each device's records in order
}

/// Writes a steady stream with a sync() (a checkpoint) every batch while the broker is taken
/// down with `scripts/brokers <down_action>` and started again; then checks nothing was lost.
void restart_mid_run(const test_broker& broker, const std::string& down_action) {
    const std::string topic = unique_topic("restart-" + down_action);
    create_topic(broker.plaintext, topic, 2);
    constexpr int devices = 5;
    constexpr int batch = 50;
    constexpr int restart_after_batch = 20;
    constexpr int batches_after_restart = 20;
    std::atomic<int> batches_synced{0};
    std::atomic<bool> restarted{false};
    std::string restart_error;
    // Stops the broker once a few checkpoints passed and starts it again, while the writer
    // goes on (its sync() blocks while the broker is away).
    std::thread restarter([&] {
        while (batches_synced.load() < restart_after_batch) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        try {
            broker.control(down_action);
            broker.control("start");
        } catch (const std::exception& error) {
            restart_error = error.what();
        }
        restarted = true;
    });
    kafka_sink_settings settings = local_settings(broker.plaintext, topic);
    settings.stall_timeout = std::chrono::seconds(240);  // start-up on a loaded machine
    int written = 0;
    std::string writer_error;
    try {
        kafka_sink sink(settings);
        int after_restart = 0;
        while (after_restart < batches_after_restart) {
            for (int i = 0; i < batch; ++i) {
                sink.write(output_line(written++, devices));
            }
            sink.sync();  // what a checkpoint does: every record so far acknowledged
            ++batches_synced;
            EXPECT_EQ(sink.acknowledged(), static_cast<std::uint64_t>(written));
            if (restarted.load()) {
                ++after_restart;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a steady stream
        }
    } catch (const std::exception& error) {
        writer_error = error.what();
        batches_synced = restart_after_batch;  // let the restarter finish
    }
    restarter.join();
    ASSERT_TRUE(writer_error.empty()) << writer_error;
    ASSERT_TRUE(restart_error.empty()) << restart_error;
    const delivery_check result =
        check_delivery(consume_all(broker.plaintext, topic, 2), written, devices, 2);
    ::testing::Test::RecordProperty("duplicates", static_cast<int>(result.duplicates));
    std::printf("broker %s + start: %d records written, %zu read back, %zu duplicates\n",
                down_action.c_str(), written, result.records, result.duplicates);
}

TEST_F(KafkaSinkTest, BrokerStopAndStartMidRunLosesNothingAndKeepsDeviceOrder) {
    restart_mid_run(broker_, "stop");
}

TEST_F(KafkaSinkTest, BrokerKilledAndStartedMidRunLosesNothingAndKeepsDeviceOrder) {
    restart_mid_run(broker_, "kill");  // SIGKILL: no controlled shutdown
}

}  // namespace
}  // namespace streamcp::adapters
