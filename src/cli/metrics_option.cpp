// SPDX-License-Identifier: MIT
#include "metrics_option.hpp"

#include <cstdio>

namespace streamcp::cli {

job_metrics::job_metrics(std::string_view listen, std::string_view argument,
                         const pipeline::detect_query& query, std::size_t sinks)
    : registry_(query, sinks),
      server_(pipeline::parse_listen_address(listen, argument), registry_) {
    const pipeline::listen_address address = pipeline::parse_listen_address(listen, argument);
    const bool ipv6 = address.host.find(':') != std::string::npos;
    std::fprintf(stderr, "streamcp: metrics at http://%s%s%s:%d/metrics, status at /\n",
                 ipv6 ? "[" : "", address.host.c_str(), ipv6 ? "]" : "", server_.port());
    std::fflush(stderr);
}

pipeline::line_sink* job_metrics::rejects(pipeline::line_sink* inner) {
    return &rejects_.emplace(registry_, inner);
}

std::unique_ptr<job_metrics> start_metrics(std::string_view listen, std::string_view argument,
                                           const pipeline::detect_query& query, std::size_t sinks,
                                           pipeline::run_settings& settings) {
    if (listen.empty()) {
        return nullptr;
    }
    auto metrics = std::make_unique<job_metrics>(listen, argument, query, sinks);
    settings.metrics = &metrics->registry();
    return metrics;
}

backlog_watch::backlog_watch(job_metrics* metrics, const pipeline::line_source& source)
    : metrics_(metrics) {
    if (metrics_ != nullptr) {
        metrics_->registry().watch_backlog(&source);
    }
}

backlog_watch::~backlog_watch() {
    if (metrics_ != nullptr) {
        metrics_->registry().watch_backlog(nullptr);
    }
}

void add_metrics_listen_option(CLI::App& command, std::string& listen) {
    command.add_option("--metrics-listen", listen,
                       "Serve Prometheus metrics at /metrics and a status page at / on "
                       "HOST:PORT while the job runs (PORT alone: 127.0.0.1; port 0: a free one, "
                       "printed to stderr). See docs/operations.md");
}

pipeline::line_sink* metered_rejects(job_metrics* metrics, pipeline::line_sink* inner) {
    return metrics != nullptr ? metrics->rejects(inner) : inner;
}

}  // namespace streamcp::cli
