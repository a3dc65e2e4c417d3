// SPDX-License-Identifier: MIT
#include "run_reporting.hpp"

#include <chrono>
#include <cstdio>
#include <string>

#include <unistd.h>

#include "endpoint_factory.hpp"
#include "json_text.hpp"

namespace streamcp::cli {
std::string number_text(double value) {
    std::string text;
    pipeline::append_json_number(text, value);
    return text;
}

namespace {

// Off a terminal (a log file, a service's journal): a line every few seconds, not a rewrite.
constexpr std::chrono::seconds heartbeat_period{5};

}  // namespace

std::function<void(const pipeline::detect_counts&, bool)> make_progress(bool quiet,
                                                                        bool heartbeat) {
    const bool terminal = ::isatty(STDERR_FILENO) != 0;
    if (quiet || (!terminal && !heartbeat)) {
        return {};
    }
    const auto start = std::chrono::steady_clock::now();
    return [start, terminal, next_line = start + heartbeat_period](
               const pipeline::detect_counts& counts, bool done) mutable {
        const auto now = std::chrono::steady_clock::now();
        if (done || (!terminal && now < next_line)) {
            if (done && terminal) {
                std::fputs("\r\033[K", stderr);  // clear the progress line before the summary
            }
            return;
        }
        next_line = now + heartbeat_period;
        const double seconds = std::chrono::duration<double>(now - start).count();
        std::fprintf(
            stderr, "%s%llu events  %.0f events/s  %llu anomalies  %llu rejects%s",
            terminal ? "\r\033[K" : "streamcp: ", static_cast<unsigned long long>(counts.read),
            seconds > 0 ? static_cast<double>(counts.read) / seconds : 0.0,
            static_cast<unsigned long long>(counts.anomalies),
            static_cast<unsigned long long>(counts.rejected), terminal ? "" : "\n");
        std::fflush(stderr);
    };
}

std::unique_ptr<pipeline::archive_sink> make_archive(const pipeline::archive_config& settings,
                                                     std::chrono::nanoseconds grace,
                                                     bool checkpointed) {
    if (settings.type != "file") {
        return adapters::make_archive_store(settings.store, checkpointed);
    }
    adapters::archive_options options;
    options.directory = settings.path;
    options.layout = adapters::parse_archive_layout(settings.layout);
    options.format = adapters::parse_archive_format(settings.format);
    options.hub = settings.hub;
    options.max_bytes = settings.max_bytes;
    options.grace = grace;
    return std::make_unique<adapters::file_archive>(std::move(options));
}

void print_summary(std::string_view command, const pipeline::detect_query& query,
                   const pipeline::detect_counts& counts) {
    if (query.detector == pipeline::detector_kind::robust) {
        std::fprintf(stderr,
                     "streamcp %.*s: detector robust (confidence %s, history %lld): Score is its "
                     "CUSUM martingale and IsAnomaly 1 where it reports a change, not ASA's "
                     "numbers; anomalies counts those changes\n",
                     static_cast<int>(command.size()), command.data(),
                     number_text(query.confidence).c_str(), static_cast<long long>(query.history));
    }
    std::fprintf(stderr,
                 "streamcp %.*s: read %llu, written %llu, filtered %llu, rejected %llu, "
                 "anomalies %llu\n",
                 static_cast<int>(command.size()), command.data(),
                 static_cast<unsigned long long>(counts.read),
                 static_cast<unsigned long long>(counts.written),
                 static_cast<unsigned long long>(counts.filtered),
                 static_cast<unsigned long long>(counts.rejected),
                 static_cast<unsigned long long>(counts.anomalies));
}

}  // namespace streamcp::cli
