// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace streamcp::pipeline {

/// Which part of a job survived an error (a retried request, a reconnect): the `component` label
/// of `streamcp_runtime_errors_total` (docs/operations.md, Metrics).
enum class runtime_component : std::uint8_t { source, sink, archive, checkpoint };

inline constexpr std::array<std::string_view, 4> runtime_component_names = {
    "source", "sink", "archive", "checkpoint"};

/// The process's counts of survived errors. Connectors run on their own threads and know no
/// metrics registry, so the count lives here and the registry reads it; errors are rare, so
/// one relaxed atomic add each costs nothing.
inline std::array<std::atomic<std::uint64_t>, runtime_component_names.size()>&
runtime_error_counts() noexcept {
    static std::array<std::atomic<std::uint64_t>, runtime_component_names.size()> counts{};
    return counts;
}

/// Counts one error that `component` survived.
inline void count_runtime_error(runtime_component component) noexcept {
    runtime_error_counts()[static_cast<std::size_t>(component)].fetch_add(
        1, std::memory_order_relaxed);
}

}  // namespace streamcp::pipeline
