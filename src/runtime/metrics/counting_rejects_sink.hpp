// SPDX-License-Identifier: MIT
#pragma once

#include "line_sink.hpp"
#include "metrics_registry.hpp"

namespace streamcp::pipeline {

/// Counts each rejects record by its reason for the metrics, then passes it on to `inner`
/// (null: the job writes no rejects file, and the records are only counted).
class counting_rejects_sink final : public line_sink {
  public:
    counting_rejects_sink(metrics_registry& metrics, line_sink* inner) noexcept
        : metrics_(metrics), inner_(inner) {}

    void write(std::string_view bytes) override;
    void flush() override;
    void sync() override;
    [[nodiscard]] std::uint64_t position() const override;
    [[nodiscard]] bool truncatable() const override;
    void truncate(std::uint64_t size) override;
    [[nodiscard]] std::string name() const override;

  private:
    metrics_registry& metrics_;
    line_sink* inner_;
};

}  // namespace streamcp::pipeline
