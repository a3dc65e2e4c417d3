// SPDX-License-Identifier: MIT
// Smoke test of the Event Hubs test double: starts the executable and talks to it with a small,
// synchronous Proton client written here (the AMQP adapter tests exercise it much further).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <proton/annotation_key.hpp>
#include <proton/codec/encoder.hpp>
#include <proton/codec/map.hpp>
#include <proton/codec/vector.hpp>
#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/delivery.h>
#include <proton/delivery.hpp>
#include <proton/disposition.h>
#include <proton/error_condition.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/receiver_options.hpp>
#include <proton/sender.hpp>
#include <proton/source.hpp>
#include <proton/source_options.hpp>
#include <proton/target_options.hpp>
#include <proton/tracker.hpp>
#include <proton/work_queue.hpp>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr const char* key_text =
    "c2VjcmV0LWtleQ==";  // base64 of "secret-key"; Event Hubs signs with the text
constexpr const char* key_name = "service";

// ---------------------------------------------------------------------------------------------
// SAS tokens, signed independently of the double.
// ---------------------------------------------------------------------------------------------
std::string url_encode(const std::string& text) {
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            std::array<char, 4> hex{};
            std::snprintf(hex.data(), hex.size(), "%%%02X", c);
            out += hex.data();
        }
    }
    return out;
}

std::string sas_token(const std::string& resource, const std::string& hmac_key,
                      std::int64_t lifetime_s = 3600) {
    const std::string encoded = url_encode(resource);
    const std::string expiry = std::to_string(std::time(nullptr) + lifetime_s);
    const std::string data = encoded + "\n" + expiry;
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), hmac_key.data(), static_cast<int>(hmac_key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
    std::string signature(4 * ((length + 2) / 3) + 1, '\0');
    signature.resize(
        static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(signature.data()),
                                                 digest.data(), static_cast<int>(length))));
    return "SharedAccessSignature sr=" + encoded + "&sig=" + url_encode(signature) +
           "&se=" + expiry + "&skn=" + key_name;
}

// ---------------------------------------------------------------------------------------------
// The double as a child process: stdin for control commands, stdout for announcements.
// ---------------------------------------------------------------------------------------------
class double_process {
  public:
    explicit double_process(std::vector<std::string> args) {
        int to_child[2];
        int from_child[2];
        if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe");
        pid_ = fork();
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed or killed test leaves no double behind
            dup2(to_child[0], STDIN_FILENO);
            dup2(from_child[1], STDOUT_FILENO);
            close(to_child[1]);
            close(from_child[0]);
            setenv("STREAMCP_DOUBLE_KEY", key_text, 1);
            args.insert(args.begin(), STREAMCP_EVENTHUBS_DOUBLE_PATH);
            std::vector<char*> argv;
            for (std::string& arg : args) argv.push_back(arg.data());
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        input_ = to_child[1];
        output_ = fdopen(from_child[0], "r");
        const bool iothub = std::find(args.begin(), args.end(), "--iothub") != args.end();
        while (port_ == 0 || (iothub && iothub_port_ == 0)) {
            const std::string line = read_line();
            if (line.empty()) throw std::runtime_error("the double exited before listening");
            std::sscanf(line.c_str(), "listening %d", &port_);
            std::sscanf(line.c_str(), "iothub-listening %d", &iothub_port_);
        }
    }
    ~double_process() {
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        close(input_);
        std::fclose(output_);
    }
    double_process(const double_process&) = delete;
    double_process& operator=(const double_process&) = delete;

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] int iothub_port() const { return iothub_port_; }

    /// Sends a control command; returns its `ok ...` / `error ...` line.
    std::string command(const std::string& line) {
        const std::string text = line + "\n";
        if (write(input_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return {};
        for (;;) {
            std::string reply = read_line();
            if (reply.empty() || reply.starts_with("ok ") || reply.starts_with("error "))
                return reply;
        }
    }

  private:
    std::string read_line() {
        std::array<char, 4096> buffer{};
        if (std::fgets(buffer.data(), static_cast<int>(buffer.size()), output_) == nullptr)
            return {};
        std::string line(buffer.data());
        if (!line.empty() && line.back() == '\n') line.pop_back();
        return line;
    }

    pid_t pid_ = -1;
    int input_ = -1;
    FILE* output_ = nullptr;
    int port_ = 0;
    int iothub_port_ = 0;
};

// ---------------------------------------------------------------------------------------------
// A synchronous AMQP client: one operation at a time, run on the container thread.
// ---------------------------------------------------------------------------------------------
class raw_tracker : public proton::tracker {
  public:
    explicit raw_tracker(const proton::tracker& wrapped) : proton::tracker(wrapped) {}
    [[nodiscard]] std::string remote_condition() const {
        pn_condition_t* condition = pn_disposition_condition(pn_delivery_remote(pn_object()));
        const char* name = pn_condition_get_name(condition);
        return name == nullptr ? "rejected" : name;
    }
};

// A copy of an error condition: proton::error_condition shares Proton's data, which must not
// outlive the connection (Proton asserts when the connection is freed).
struct link_error {
    std::string name_;
    std::string description;
    std::map<proton::symbol, proton::value> info;

    link_error() = default;
    explicit link_error(const proton::error_condition& error)
        : name_(error.name()), description(error.description()) {
        if (!error.properties().empty()) proton::get(error.properties(), info);
    }
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const std::string& what() const { return description; }
};

struct receive_result {
    std::vector<proton::message> messages;
    link_error error;  // set when the double closed the link
};

class test_client : public proton::messaging_handler {
  public:
    explicit test_client(int port, const std::string& user = {}, const std::string& password = {}) {
        proton::connection_options options;
        options.handler(*this).sasl_allow_insecure_mechs(true);
        if (user.empty()) {
            options.sasl_allowed_mechs("ANONYMOUS");
        } else {
            options.sasl_allowed_mechs("PLAIN").user(user).password(password);
        }
        container_.connect("127.0.0.1:" + std::to_string(port), options);
        thread_ = std::thread([this] { container_.run(); });
        opened_.get_future().wait();
    }
    ~test_client() override {
        if (!closed_) run([this] { connection_.close(); });
        thread_.join();
    }
    test_client(const test_client&) = delete;
    test_client& operator=(const test_client&) = delete;

    /// Request/response on `$cbs` or `$management`.
    proton::message call(const std::string& node, proton::message request) {
        std::promise<proton::message> reply;
        auto future = reply.get_future();
        run([&, node] {
            if (!node_senders_.contains(node)) {
                node_senders_[node] = connection_.open_sender(node);
                proton::target_options target;
                target.address(node + "-reply");
                connection_.open_receiver(node, proton::receiver_options().target(target));
            }
            request.reply_to(node + "-reply");
            request.id("request-" + std::to_string(++requests_));
            pending_reply_ = &reply;
            node_senders_[node].send(request);
        });
        return future.get();
    }

    std::optional<int> put_token(const std::string& audience, const std::string& token,
                                 std::string* correlation = nullptr) {
        proton::message request(token);
        request.properties().put("operation", "put-token");
        request.properties().put("type", "servicebus.windows.net:sastoken");
        request.properties().put("name", audience);
        const proton::message reply = call("$cbs", request);
        if (correlation) *correlation = proton::get<std::string>(reply.correlation_id());
        return proton::get<std::int32_t>(reply.properties().get("status-code"));
    }

    /// Attaches a receiver and waits for `count` messages or for the double to close the link.
    /// `epoch`: link property com.microsoft:epoch. `first`: set when the first message arrives.
    receive_result receive(const std::string& address, std::size_t count,
                           const std::string& selector = {},
                           std::optional<std::int64_t> epoch = std::nullopt,
                           std::promise<void>* first = nullptr) {
        std::promise<receive_result> done;
        auto future = done.get_future();
        run([&, address] {
            proton::source_options source;
            source.address(address);
            if (!selector.empty()) {
                const proton::symbol key("apache.org:selector-filter:string");
                proton::value filter;
                proton::codec::encoder encoder(filter);
                encoder << proton::codec::start::described() << key << selector
                        << proton::codec::finish();
                proton::source::filter_map filters;
                filters.put(key, filter);
                source.filters(filters);
            }
            receiving_ = {};
            wanted_ = count;
            pending_receive_ = &done;
            first_message_ = first;
            proton::receiver_options options;
            options.source(source).credit_window(static_cast<int>(count));
            if (epoch) options.properties({{proton::symbol("com.microsoft:epoch"), *epoch}});
            receiver_ = connection_.open_receiver(address, options);
        });
        return future.get();
    }

    /// Sends one message; "accepted", the rejection's condition, or the link's error condition.
    std::string send(const std::string& address, const proton::message& message) {
        std::promise<std::string> done;
        auto future = done.get_future();
        run([&, address] {
            outgoing_ = message;
            pending_send_ = &done;
            sender_ = connection_.open_sender(address);
        });
        return future.get();
    }

    /// Waits until the double closes the connection; returns its error.
    link_error wait_for_close() { return closed_by_peer_.get_future().get(); }

  private:
    template <class F>
    void run(F work) {
        connection_.work_queue().add(std::move(work));
    }

    void on_connection_open(proton::connection& connection) override {
        connection_ = connection;
        opened_.set_value();
    }
    void on_connection_close(proton::connection& connection) override {
        if (!closed_) closed_by_peer_.set_value(link_error(connection.error()));
        closed_ = true;
    }
    void on_transport_close(proton::transport&) override { closed_ = true; }
    // The default throws from container::run(); errors are reported through the results instead.
    void on_error(const proton::error_condition&) override {}
    void on_message(proton::delivery& delivery, proton::message& message) override {
        if (delivery.receiver() == receiver_ && pending_receive_ != nullptr) {
            receiving_.messages.push_back(message);
            if (first_message_ != nullptr) std::exchange(first_message_, nullptr)->set_value();
            if (receiving_.messages.size() == wanted_) finish_receive();
        } else if (pending_reply_ != nullptr) {
            std::exchange(pending_reply_, nullptr)->set_value(message);
        }
    }
    void on_receiver_close(proton::receiver& receiver) override {
        if (receiver == receiver_ && pending_receive_ != nullptr) {
            receiving_.error = link_error(receiver.error());
            std::exchange(pending_receive_, nullptr)->set_value(receiving_);
        }
    }
    void on_receiver_error(proton::receiver& receiver) override { on_receiver_close(receiver); }
    void finish_receive() {
        receiver_.close();
        std::exchange(pending_receive_, nullptr)->set_value(receiving_);
    }
    void on_sendable(proton::sender& sender) override {
        if (pending_send_ != nullptr && sender == sender_ && !sent_) {
            sent_ = true;
            sender.send(outgoing_);
        }
    }
    void on_tracker_accept(proton::tracker& tracker) override { settle_send(tracker, "accepted"); }
    void on_tracker_reject(proton::tracker& tracker) override {
        settle_send(tracker, raw_tracker(tracker).remote_condition());
    }
    void settle_send(proton::tracker& tracker, const std::string& outcome) {
        // Dispositions of $cbs/$management requests may arrive late: only the pending send counts.
        if (pending_send_ == nullptr || tracker.sender() != sender_) return;
        tracker.sender().close();
        sent_ = false;
        std::exchange(pending_send_, nullptr)->set_value(outcome);
    }
    void on_sender_close(proton::sender& sender) override {
        if (pending_send_ != nullptr && sender == sender_ && sender.error()) {
            sent_ = false;
            std::exchange(pending_send_, nullptr)->set_value(sender.error().name());
        }
    }
    void on_sender_error(proton::sender& sender) override { on_sender_close(sender); }

    proton::container container_;
    std::thread thread_;
    std::promise<void> opened_;
    proton::connection connection_;
    bool closed_ = false;
    std::map<std::string, proton::sender> node_senders_;
    int requests_ = 0;
    std::promise<proton::message>* pending_reply_ = nullptr;
    proton::receiver receiver_;
    receive_result receiving_;
    std::size_t wanted_ = 0;
    std::promise<receive_result>* pending_receive_ = nullptr;
    std::promise<void>* first_message_ = nullptr;
    std::promise<link_error> closed_by_peer_;
    proton::message outgoing_;
    proton::sender sender_;
    bool sent_ = false;
    std::promise<std::string>* pending_send_ = nullptr;
};

std::string body_text(const proton::message& message) {
    const auto bytes = proton::get<proton::binary>(message.body());
    return {bytes.begin(), bytes.end()};
}

proton::value annotation(const proton::message& message, const char* name) {
    return message.message_annotations().get(proton::symbol(name));
}

std::string write_preload(const std::string& name, const std::vector<std::string>& lines) {
    const std::string path = testing::TempDir() + name;
    std::ofstream file(path, std::ios::trunc);
    for (const std::string& line : lines) file << line << '\n';
    return path;
}

const std::string audience = "sb://double.servicebus.windows.net/telemetry";

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------
TEST(EventHubsDouble, PutTokenAcceptsAValidTokenAndRejectsABadOne) {
    double_process double_({"--hub", "telemetry"});
    test_client client(double_.port());
    std::string correlation;
    EXPECT_EQ(client.put_token(audience, sas_token(audience, "wrong-key"), &correlation), 401);
    EXPECT_EQ(correlation, "request-1");
    // IoT Hub-style handling (base64-decoded key) is wrong on the Event Hubs endpoint.
    EXPECT_EQ(client.put_token(audience, sas_token(audience, "secret-key")), 401);
    EXPECT_EQ(client.put_token(audience, sas_token(audience, key_text), &correlation), 200);
    EXPECT_EQ(correlation, "request-3");
}

TEST(EventHubsDouble, AttachNeedsATokenAndManagementReadsPartitions) {
    double_process double_({"--hub", "telemetry", "--partitions", "3"});
    test_client client(double_.port());
    const std::string partition0 = "telemetry/ConsumerGroups/$Default/Partitions/0";
    EXPECT_EQ(client.receive(partition0, 1).error.name(), "amqp:unauthorized-access");

    proton::message read;
    read.properties().put("operation", "READ");
    read.properties().put("type", "com.microsoft:eventhub");
    read.properties().put("name", "telemetry");
    proton::message reply = client.call("$management", read);
    EXPECT_EQ(proton::get<std::int32_t>(reply.properties().get("status-code")), 401);

    ASSERT_EQ(client.put_token(audience, sas_token(audience, key_text)), 200);
    reply = client.call("$management", read);
    ASSERT_EQ(proton::get<std::int32_t>(reply.properties().get("status-code")), 200);
    std::map<std::string, proton::value> body;
    proton::get(reply.body(), body);
    EXPECT_EQ(proton::get<std::string>(body["name"]), "telemetry");
    EXPECT_EQ(proton::get<std::int32_t>(body["partition_count"]), 3);
    EXPECT_EQ(body["partition_ids"].type(), proton::ARRAY);
    std::vector<std::string> ids;
    proton::get(body["partition_ids"], ids);
    EXPECT_EQ(ids, (std::vector<std::string>{"0", "1", "2"}));

    read.properties().put("type", "com.microsoft:partition");
    read.properties().put("partition", "2");
    reply = client.call("$management", read);
    ASSERT_EQ(proton::get<std::int32_t>(reply.properties().get("status-code")), 200);
    proton::get(reply.body(), body);
    EXPECT_TRUE(proton::get<bool>(body["is_partition_empty"]));
    EXPECT_EQ(proton::get<std::int64_t>(body["last_enqueued_sequence_number"]), -1);

    EXPECT_EQ(client.receive("telemetry/ConsumerGroups/nosuchgroup/Partitions/0", 1).error.name(),
              "amqp:not-found");
}

TEST(EventHubsDouble, ReceiversStartAtTheSelectorPositionWithSystemProperties) {
    const std::string preload =
        write_preload("preload_selector.jsonl", {R"({"deviceId":"dev-1","temperature":20})",
                                                 R"({"deviceId":"dev-1","temperature":21})",
                                                 R"({"deviceId":"dev-1","temperature":22})"});
    double_process double_({"--hub", "telemetry", "--partitions", "1", "--consumer-groups",
                            "streamanalytics", "--preload", preload});
    test_client client(double_.port());
    ASSERT_EQ(client.put_token(audience, sas_token(audience, key_text)), 200);
    const std::string partition0 = "telemetry/ConsumerGroups/streamanalytics/Partitions/0";
    const receive_result all = client.receive(partition0, 3, "amqp.annotation.x-opt-offset > '-1'");
    ASSERT_EQ(all.messages.size(), 3U) << all.error.what();
    EXPECT_EQ(body_text(all.messages[0]), R"({"deviceId":"dev-1","temperature":20})");
    EXPECT_EQ(proton::get<std::int64_t>(annotation(all.messages[1], "x-opt-sequence-number")), 1);
    EXPECT_EQ(proton::get<std::string>(annotation(all.messages[0], "iothub-connection-device-id")),
              "dev-1");
    EXPECT_EQ(annotation(all.messages[0], "x-opt-enqueued-time").type(), proton::TIMESTAMP);
    EXPECT_EQ(all.messages[0].content_type(), "application/json");

    const std::string first_offset =
        proton::get<std::string>(annotation(all.messages[0], "x-opt-offset"));
    const receive_result after =
        client.receive(partition0, 2, "amqp.annotation.x-opt-offset > '" + first_offset + "'");
    ASSERT_EQ(after.messages.size(), 2U) << after.error.what();
    EXPECT_EQ(body_text(after.messages[0]), R"({"deviceId":"dev-1","temperature":21})");
    const receive_result from_sequence =
        client.receive(partition0, 1, "amqp.annotation.x-opt-sequence-number > '1'");
    ASSERT_EQ(from_sequence.messages.size(), 1U);
    EXPECT_EQ(body_text(from_sequence.messages[0]), R"({"deviceId":"dev-1","temperature":22})");
}

TEST(EventHubsDouble, SendersAreAcceptedAfterAppendAndThrottledOnRequest) {
    double_process double_({"--hub", "telemetry", "--partitions", "2", "--busy-first", "1"});
    test_client client(double_.port());
    ASSERT_EQ(client.put_token(audience, sas_token(audience, key_text)), 200);
    proton::message event(proton::binary(std::string(R"({"device":"d1","anomaly":true})")));
    event.inferred(true);
    event.message_annotations().put(proton::symbol("x-opt-partition-key"), std::string("d1"));
    EXPECT_EQ(client.send("telemetry", event), "com.microsoft:server-busy");
    EXPECT_EQ(client.send("telemetry", event), "accepted");
    EXPECT_EQ(client.send("telemetry/Partitions/1", event), "accepted");
    EXPECT_EQ(double_.command("busy 1"), "ok busy");
    EXPECT_EQ(client.send("telemetry/Partitions/1", event), "com.microsoft:server-busy");
    const receive_result received =
        client.receive("telemetry/ConsumerGroups/$Default/Partitions/1", 1);
    ASSERT_EQ(received.messages.size(), 1U);
    EXPECT_EQ(body_text(received.messages[0]), R"({"device":"d1","anomaly":true})");
    EXPECT_EQ(proton::get<std::string>(annotation(received.messages[0], "x-opt-partition-key")),
              "d1");
}

TEST(EventHubsDouble, IotHubFrontRedirectsToTheEventHubsEndpoint) {
    double_process double_({"--hub", "telemetry", "--iothub", "localhub"});
    test_client client(double_.iothub_port());
    const std::string hub_host = "localhub.azure-devices.net";
    EXPECT_EQ(
        client.receive("messages/events/ConsumerGroups/$Default/Partitions/0", 1).error.name(),
        "amqp:unauthorized-access");
    // IoT Hub signs with the base64-decoded key.
    EXPECT_EQ(client.put_token(hub_host, sas_token(hub_host, key_text)), 401);
    ASSERT_EQ(client.put_token(hub_host, sas_token(hub_host, "secret-key")), 200);
    const link_error redirect =
        client.receive("messages/events/ConsumerGroups/$Default/Partitions/0", 1).error;
    ASSERT_EQ(redirect.name(), "amqp:link:redirect");
    std::map<proton::symbol, proton::value> info = redirect.info;
    EXPECT_EQ(proton::get<std::int32_t>(info[proton::symbol("port")]), double_.port());
    EXPECT_EQ(proton::get<std::string>(info[proton::symbol("address")]),
              "amqp://127.0.0.1:" + std::to_string(double_.port()) + "/telemetry/");
}

TEST(EventHubsDouble, SaslPlainWithTheKeyNeedsNoToken) {
    const std::string preload = write_preload("preload_plain.jsonl", {R"({"deviceId":"d","v":1})"});
    double_process double_({"--hub", "telemetry", "--partitions", "1", "--preload", preload});
    test_client client(double_.port(), key_name, key_text);
    const receive_result received =
        client.receive("telemetry/ConsumerGroups/$Default/Partitions/0", 1);
    ASSERT_EQ(received.messages.size(), 1U) << received.error.what();
}

TEST(EventHubsDouble, ExpiredTokensDetachLinks) {
    double_process double_({"--hub", "telemetry", "--partitions", "1"});
    test_client client(double_.port());
    ASSERT_EQ(client.put_token(audience, sas_token(audience, key_text)), 200);
    std::thread expire([&] {
        // The receive below waits for a message that never comes; expiry must end it. The
        // command may run before or after the attach: both end in a refused/detached link.
        EXPECT_EQ(double_.command("expire-tokens"), "ok expire-tokens");
    });
    const receive_result received =
        client.receive("telemetry/ConsumerGroups/$Default/Partitions/0", 1);
    expire.join();
    EXPECT_EQ(received.error.name(), "amqp:unauthorized-access");
}

TEST(EventHubsDouble, AHigherEpochStealsThePartition) {
    const std::string preload = write_preload("preload_epoch.jsonl", {R"({"deviceId":"d","v":1})"});
    double_process double_({"--hub", "telemetry", "--partitions", "1", "--preload", preload});
    test_client first(double_.port(), key_name, key_text);
    test_client second(double_.port(), key_name, key_text);
    const std::string partition0 = "telemetry/ConsumerGroups/$Default/Partitions/0";
    std::promise<void> attached;
    auto older = std::async(std::launch::async, [&] {
        return first.receive(partition0, 2, {}, 1, &attached);  // 1 event exists: waits for a 2nd
    });
    attached.get_future().wait();
    EXPECT_EQ(second.receive(partition0, 1, {}, 0).error.name(), "amqp:link:stolen");  // lower
    const receive_result newer = second.receive(partition0, 1, {}, 2);
    EXPECT_EQ(newer.messages.size(), 1U);
    const receive_result stolen = older.get();
    EXPECT_EQ(stolen.messages.size(), 1U);
    EXPECT_EQ(stolen.error.name(), "amqp:link:stolen");
}

TEST(EventHubsDouble, ConnectionsWithoutATokenAreClosedAfterTheDeadline) {
    double_process double_({"--hub", "telemetry", "--token-deadline", "100ms"});
    test_client client(double_.port());
    EXPECT_EQ(client.wait_for_close().name(), "amqp:unauthorized-access");
}

}  // namespace
