// SPDX-License-Identifier: MIT
#include "connection_string.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace {

using streamcp::adapters::connection_string;
using streamcp::adapters::connection_string_kind;
using streamcp::adapters::parse_connection_string;

constexpr const char* secret = "c2VjcmV0LWtleS12YWx1ZQ==";

/// The error message of parsing `text`; fails the test when parsing succeeds.
std::string error_of(const std::string& text) {
    try {
        (void)parse_connection_string(text, "option connection_string_env (variable CS)");
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    ADD_FAILURE() << "parsed without error: a test input";
    return {};
}

TEST(ConnectionString, IotHubService) {
    const connection_string cs = parse_connection_string(
        std::string("HostName=myhub.azure-devices.net;SharedAccessKeyName=iothubowner;"
                    "SharedAccessKey=") +
        secret);
    EXPECT_EQ(cs.kind, connection_string_kind::iothub_service);
    EXPECT_EQ(cs.host, "myhub.azure-devices.net");
    EXPECT_EQ(cs.hub_name(), "myhub");
    EXPECT_EQ(cs.key_name, "iothubowner");
    EXPECT_EQ(cs.key, secret);
    EXPECT_TRUE(cs.device_id.empty());
}

TEST(ConnectionString, IotHubDeviceKeepsPaddingAndIgnoresCaseOfNames) {
    const connection_string cs = parse_connection_string(
        std::string(" hostname=myhub.azure-devices.net ; DEVICEID=iotsim;SharedAccessKey=") +
        secret + ";");
    EXPECT_EQ(cs.kind, connection_string_kind::iothub_device);
    EXPECT_EQ(cs.host, "myhub.azure-devices.net");
    EXPECT_EQ(cs.device_id, "iotsim");
    EXPECT_TRUE(cs.key_name.empty());
    EXPECT_EQ(cs.key, secret);  // the '=' padding inside the value survives
}

TEST(ConnectionString, EventHubsWithEntityAndEmulator) {
    const connection_string cs = parse_connection_string(
        std::string("Endpoint=sb://localhost:5672/;SharedAccessKeyName=RootManageSharedAccessKey;"
                    "SharedAccessKey=") +
        secret + ";EntityPath=anomalies;UseDevelopmentEmulator=true");
    EXPECT_EQ(cs.kind, connection_string_kind::eventhubs);
    EXPECT_EQ(cs.endpoint, "sb://localhost:5672/");
    EXPECT_EQ(cs.host, "localhost:5672");
    EXPECT_EQ(cs.key_name, "RootManageSharedAccessKey");
    EXPECT_EQ(cs.entity_path, "anomalies");
    EXPECT_TRUE(cs.use_development_emulator);

    const connection_string plain = parse_connection_string(
        std::string("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;"
                    "SharedAccessKey=") +
        secret);
    EXPECT_EQ(plain.host, "ns.servicebus.windows.net");
    EXPECT_TRUE(plain.entity_path.empty());
    EXPECT_FALSE(plain.use_development_emulator);
}

TEST(ConnectionString, ErrorsNameTheProblemAndTheSourceButNeverTheKey) {
    const std::string cases[] = {
        std::string("HostName=h;SharedAccessKey=") + secret,  // neither policy nor device
        std::string("DeviceId=d;SharedAccessKey=") + secret,  // no host
        "HostName=h;DeviceId=d",                              // no key
        std::string("HostName=h;DeviceId=d;SharedAccessKey=") + secret + ";stray",  // no '='
        std::string("Endpoint=https://ns/;SharedAccessKeyName=p;SharedAccessKey=") + secret,
        std::string("Endpoint=sb://ns/;SharedAccessKey=") + secret,  // no policy
        std::string("HostName=h;Endpoint=sb://ns/;SharedAccessKeyName=p;SharedAccessKey=") + secret,
        std::string("HostName=h;DeviceId=d;SharedAccessKey=") + secret + ";sharedaccesskey=x",
        std::string("Endpoint=sb://ns/;SharedAccessKeyName=p;SharedAccessKey=") + secret +
            ";UseDevelopmentEmulator=yes",
        "",
    };
    const std::string expected_reasons[] = {
        "SharedAccessKeyName",
        "HostName or Endpoint is missing",
        "SharedAccessKey is missing",
        "part 4 is not Key=Value",
        "sb://",
        "SharedAccessKeyName is missing",
        "both HostName and Endpoint",
        "appears twice",
        "UseDevelopmentEmulator",
        "empty",
    };
    for (std::size_t i = 0; i < std::size(cases); ++i) {
        const std::string message = error_of(cases[i]);
        EXPECT_NE(message.find(expected_reasons[i]), std::string::npos) << i << ": " << message;
        EXPECT_NE(message.find("variable CS"), std::string::npos) << message;
        EXPECT_EQ(message.find(secret), std::string::npos) << "case " << i << " leaks the key";
        EXPECT_EQ(message.find("c2VjcmV0"), std::string::npos) << "case " << i;
    }
}

}  // namespace
