// SPDX-License-Identifier: MIT
// The azure_blob archive's offline parts. The signature vectors were computed with Python's
// hmac and base64 over the string-to-sign as the Blob service's "Authorize with Shared Key"
// page lays it out, independently of the code under test.
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "blob_archive.hpp"
#include "blob_path_format.hpp"
#include "storage_account.hpp"

namespace streamcp::adapters {
namespace {

constexpr const char* azurite_key =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

std::string error_of(const std::string& text) {
    try {
        (void)parse_storage_connection_string(text, "config: archive.connection_string_env");
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "";
}

TEST(StorageConnectionString, AccountKeyWithBlobEndpoint) {
    const storage_account account = parse_storage_connection_string(
        std::string("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=") +
            azurite_key + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;",
        "test");
    EXPECT_EQ(account.name, "devstoreaccount1");
    EXPECT_EQ(account.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
    EXPECT_EQ(account.key.size(), 64U);
    EXPECT_TRUE(account.sas.empty());
}

TEST(StorageConnectionString, EndpointSuffixMakesTheHttpsEndpoint) {
    const storage_account account = parse_storage_connection_string(
        std::string("DefaultEndpointsProtocol=https;AccountName=lake;AccountKey=") + azurite_key +
            ";EndpointSuffix=core.windows.net",
        "test");
    EXPECT_EQ(account.blob_endpoint, "https://lake.blob.core.windows.net");
}

TEST(StorageConnectionString, SharedAccessSignatureNamesTheAccountByItsHost) {
    const storage_account account = parse_storage_connection_string(
        "BlobEndpoint=https://"
        "lake.blob.core.windows.net;SharedAccessSignature=?sv=2021-08-06&sig=x",
        "test");
    EXPECT_EQ(account.name, "lake");
    EXPECT_EQ(account.sas, "sv=2021-08-06&sig=x");
    EXPECT_TRUE(account.key.empty());
}

TEST(StorageConnectionString, SharedAccessSignatureOnAnEmulatorNamesTheAccountByItsPath) {
    const storage_account account = parse_storage_connection_string(
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;SharedAccessSignature=sig=x", "test");
    EXPECT_EQ(account.name, "devstoreaccount1");
}

TEST(StorageConnectionString, DevelopmentStorageIsAzuritesAccount) {
    const storage_account account =
        parse_storage_connection_string("UseDevelopmentStorage=true", "test");
    EXPECT_EQ(account.name, "devstoreaccount1");
    EXPECT_EQ(account.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
}

TEST(StorageConnectionString, ErrorsNameThePartNeverTheSecret) {
    EXPECT_NE(error_of("AccountName=lake;EndpointSuffix=core.windows.net")
                  .find("AccountKey or SharedAccessSignature is missing"),
              std::string::npos);
    const std::string not_base64 = "AccountName=lake;AccountKey=sec!ret;EndpointSuffix=x";
    const std::string message = error_of(not_base64);
    EXPECT_NE(message.find("AccountKey is not base64"), std::string::npos);
    EXPECT_EQ(message.find("sec!ret"), std::string::npos);
    EXPECT_NE(error_of(std::string("AccountName=lake;AccountKey=") + azurite_key)
                  .find("BlobEndpoint, or AccountName and EndpointSuffix, are missing"),
              std::string::npos);
    EXPECT_NE(error_of("BlobEndpoint=ftp://x;SharedAccessSignature=sig=1").find("http://"),
              std::string::npos);
}

TEST(SharedKey, PutBlockSignatureMatchesAnIndependentComputation) {
    const storage_account account = parse_storage_connection_string(
        std::string("AccountName=devstoreaccount1;AccountKey=") + azurite_key +
            ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1",
        "test");
    const std::string authorization = shared_key_authorization(
        account, "PUT", "/devstoreaccount1/lake/hub1/0/00-0000.avro",
        {{"comp", "block"}, {"blockid", "c3RyZWFtY3AtMDAwMDAwMDAwMA=="}},
        {{"x-ms-version", "2021-08-06"}, {"x-ms-date", "Wed, 02 Dec 2026 08:00:00 GMT"}}, 11);
    EXPECT_EQ(authorization,
              "SharedKey devstoreaccount1:AlquD5Vpowc3tANQ/v4kPniQ1Ne0YRGnMLKHjNU8gmg=");
}

TEST(SharedKey, EmptyBodySignsAnEmptyContentLength) {
    const storage_account account = parse_storage_connection_string(
        std::string("AccountName=devstoreaccount1;AccountKey=") + azurite_key +
            ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1",
        "test");
    const std::string authorization = shared_key_authorization(
        account, "PUT", "/devstoreaccount1/lake", {{"restype", "container"}},
        {{"x-ms-date", "Wed, 02 Dec 2026 08:00:00 GMT"}, {"x-ms-version", "2021-08-06"}}, 0);
    EXPECT_EQ(authorization,
              "SharedKey devstoreaccount1:pRp9qtvF7YDaGHhyoF2wiikyrt1xlfpVlqIiJB5LMHU=");
}

event_time at(int hour, int minute, int second) {
    using namespace std::chrono;
    return event_time{sys_days{year{2019} / 11 / 18} + hours{hour} + minutes{minute} +
                      seconds{second}};
}

TEST(BlobPathFormat, DefaultIsIotHubs) {
    const blob_path_format format(blob_path_format::iothub_default, "hub1");
    EXPECT_EQ(format.render(3, at(19, 5, 59)), "hub1/3/2019/11/18/19/05");
}

TEST(BlobPathFormat, CoversTheWholeDotnetRange) {
    // Beyond int64 nanoseconds (1677-09-21 .. 2262-04-11) paths used to wrap.
    const blob_path_format format(blob_path_format::iothub_default, "hub1");
    EXPECT_EQ(format.render(0, min_event_time), "hub1/0/0001/01/01/00/00");
    EXPECT_EQ(format.render(0, max_event_time), "hub1/0/9999/12/31/23/59");
}

TEST(BlobPathFormat, TokensReorderBetweenLiteralText) {
    const blob_path_format format("{YYYY}-{MM}-{DD}/{HH}-{mm}-{partition}/{iothub}", "h");
    EXPECT_EQ(format.render(0, at(7, 0, 0)), "2019-11-18/07-00-0/h");
}

TEST(BlobPathFormat, EveryTokenIsRequiredOnceAndNoOther) {
    const auto refusal = [](const std::string& text, const std::string& hub = "h") {
        try {
            const blob_path_format format(text, hub);
        } catch (const std::invalid_argument& error) {
            return std::string(error.what());
        }
        return std::string();
    };
    EXPECT_NE(refusal("{iothub}/{YYYY}/{MM}/{DD}/{HH}/{mm}").find("lacks {partition}"),
              std::string::npos);
    EXPECT_NE(refusal("{iothub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}/{mm}").find("repeats {mm}"),
              std::string::npos);
    EXPECT_NE(refusal("{iothub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}{ss}").find("unknown token"),
              std::string::npos);
    EXPECT_NE(refusal("{iothub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm", "h").find("without '}'"),
              std::string::npos);
    EXPECT_NE(refusal(std::string(blob_path_format::iothub_default), "a/b").find("archive.hub"),
              std::string::npos);
}

TEST(BlobArchive, BlockIdsShareOneLengthAndNeverRepeat) {
    std::set<std::string> ids;
    for (const std::uint32_t index : {0U, 1U, 9U, 10U, 49'999U, 4'000'000'000U}) {
        const std::string id = blob_archive::block_id(index);
        EXPECT_EQ(id.size(), blob_archive::block_id(0).size());
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 6U);
    EXPECT_EQ(blob_archive::block_id(0), "c3RyZWFtY3AtMDAwMDAwMDAwMA==");
}

}  // namespace
}  // namespace streamcp::adapters
