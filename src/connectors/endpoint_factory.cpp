// SPDX-License-Identifier: MIT
#include "endpoint_factory.hpp"

#include <stdexcept>

#include "endpoint_options.hpp"
#include "file_line_sink.hpp"
#include "file_line_source.hpp"

// Broker adapters are compiled in when their CMake option is on (STREAMCP_WITH_<X>).
#if STREAMCP_WITH_AMQP
#include "eventhubs_sink.hpp"
#include "eventhubs_source.hpp"
#endif
#if STREAMCP_WITH_KAFKA
#include "kafka_sink.hpp"
#endif
#if STREAMCP_WITH_WEBHOOK
#include "webhook_sink.hpp"
#endif
#if STREAMCP_WITH_AZURE_BLOB
#include "blob_archive.hpp"
#endif

namespace streamcp::adapters {
namespace {

[[noreturn]] void unknown_type(const pipeline::endpoint_config& endpoint,
                               const std::string& allowed) {
    throw std::invalid_argument("config: " + endpoint.section + ".type '" + endpoint.type +
                                "' is unknown: allowed " + allowed);
}

}  // namespace

std::string source_types() {
    std::string types = "file, stdin";
#if STREAMCP_WITH_AMQP
    types += ", eventhubs";
#endif
    return types;
}

std::string sink_types() {
    std::string types = "file, stdout";
#if STREAMCP_WITH_AMQP
    types += ", eventhubs";
#endif
#if STREAMCP_WITH_KAFKA
    types += ", kafka";
#endif
#if STREAMCP_WITH_WEBHOOK
    types += ", webhook";
#endif
    return types;
}

std::string archive_types() {
    std::string types = "file";
#if STREAMCP_WITH_AZURE_BLOB
    types += ", azure_blob";
#endif
    return types;
}

std::unique_ptr<pipeline::archive_sink> make_archive_store(
    const pipeline::endpoint_config& endpoint, [[maybe_unused]] bool checkpointed) {
#if STREAMCP_WITH_AZURE_BLOB
    if (endpoint.type == "azure_blob") {
        return make_blob_archive(endpoint, checkpointed);
    }
#endif
    unknown_type(endpoint, archive_types());
}

std::unique_ptr<pipeline::line_source> make_source(const pipeline::endpoint_config& endpoint,
                                                   pipeline::stop_token stop) {
    if (endpoint.type == "file") {
        pipeline::reject_unknown_options(endpoint, {"follow", "idle_exit"});
        const follow_options follow{
            .enabled = pipeline::option_bool(endpoint, "follow", false),
            .idle_exit = pipeline::option_duration(endpoint, "idle_exit", {})};
        if (follow.idle_exit.count() > 0 && !follow.enabled) {
            throw std::invalid_argument("config: " + endpoint.section +
                                        ".idle_exit needs follow = true");
        }
        return std::make_unique<file_line_source>(endpoint.path, stop, follow);
    }
    if (endpoint.type == "stdin") {
        pipeline::reject_unknown_options(endpoint, {});
        return std::make_unique<file_line_source>("-", stop);
    }
#if STREAMCP_WITH_AMQP
    if (endpoint.type == "eventhubs") {
        return make_eventhubs_source(endpoint, stop);
    }
#endif
    unknown_type(endpoint, source_types());
}

std::unique_ptr<pipeline::line_sink> make_sink(const pipeline::endpoint_config& endpoint) {
    if (endpoint.type == "file") {
        pipeline::reject_unknown_options(endpoint, {});
        return std::make_unique<file_line_sink>(endpoint.path);
    }
    if (endpoint.type == "stdout") {
        pipeline::reject_unknown_options(endpoint, {});
        return std::make_unique<file_line_sink>("-");
    }
#if STREAMCP_WITH_AMQP
    if (endpoint.type == "eventhubs") {
        return make_eventhubs_sink(endpoint);
    }
#endif
#if STREAMCP_WITH_KAFKA
    if (endpoint.type == "kafka") {
        return make_kafka_sink(endpoint);
    }
#endif
#if STREAMCP_WITH_WEBHOOK
    if (endpoint.type == "webhook") {
        return make_webhook_sink(endpoint);
    }
#endif
    unknown_type(endpoint, sink_types());
}

}  // namespace streamcp::adapters
