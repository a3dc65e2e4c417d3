// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "counting_rejects_sink.hpp"
#include "detect_runner.hpp"
#include "metrics_registry.hpp"
#include "metrics_server.hpp"

namespace streamcp::cli {

/// `--metrics-listen` / `[metrics] listen` for one run: the registry the run updates, the
/// server that shows it, and the rejects sink that counts reasons.
class job_metrics {
  public:
    /// Binds and starts serving; prints the address to stderr. Throws `std::invalid_argument`
    /// for a bad address (naming `argument`), `std::runtime_error` when it cannot bind.
    job_metrics(std::string_view listen, std::string_view argument,
                const pipeline::detect_query& query, std::size_t sinks);

    /// The rejects sink to give the run in place of `inner` (which may be null).
    [[nodiscard]] pipeline::line_sink* rejects(pipeline::line_sink* inner);
    [[nodiscard]] pipeline::metrics_registry& registry() noexcept { return registry_; }

  private:
    pipeline::metrics_registry registry_;
    std::optional<pipeline::counting_rejects_sink> rejects_;
    pipeline::metrics_server server_;
};

/// While it lives, `metrics` (when on) reports `source`'s backlog; declared after the source,
/// it stops that before the source is destroyed.
class backlog_watch {
  public:
    backlog_watch(job_metrics* metrics, const pipeline::line_source& source);
    ~backlog_watch();
    backlog_watch(const backlog_watch&) = delete;
    backlog_watch& operator=(const backlog_watch&) = delete;

  private:
    job_metrics* metrics_;
};

/// Starts metrics when `listen` is set: points `settings.metrics` at them and wraps
/// `rejects` (returned through the same pointer). Empty `listen`: null, nothing changes.
[[nodiscard]] std::unique_ptr<job_metrics> start_metrics(std::string_view listen,
                                                         std::string_view argument,
                                                         const pipeline::detect_query& query,
                                                         std::size_t sinks,
                                                         pipeline::run_settings& settings);

/// Adds `--metrics-listen HOST:PORT` to a subcommand.
void add_metrics_listen_option(CLI::App& command, std::string& listen);

/// The rejects sink for the run: `inner`, or its counting wrapper when metrics are on.
[[nodiscard]] pipeline::line_sink* metered_rejects(job_metrics* metrics,
                                                   pipeline::line_sink* inner);

}  // namespace streamcp::cli
