// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "line_sink.hpp"

namespace streamcp::pipeline {

/// Writes every line to several sinks. Positions and truncation follow the first sink, so a
/// checkpointed pipeline with several sinks is exactly-once only for the first; the others are
/// at-least-once.
class fanout_line_sink final : public line_sink {
  public:
    explicit fanout_line_sink(std::vector<line_sink*> sinks) : sinks_(std::move(sinks)) {}

    void write(std::string_view bytes) override {
        for (line_sink* sink : sinks_) {
            sink->write(bytes);
        }
    }
    void flush() override {
        for (line_sink* sink : sinks_) {
            sink->flush();
        }
    }
    void sync() override {
        for (line_sink* sink : sinks_) {
            sink->sync();
        }
    }
    [[nodiscard]] std::uint64_t position() const override { return sinks_.front()->position(); }
    [[nodiscard]] bool truncatable() const override { return sinks_.front()->truncatable(); }
    void truncate(std::uint64_t size) override { sinks_.front()->truncate(size); }
    [[nodiscard]] std::string name() const override { return sinks_.front()->name(); }
    void set_checkpointed(bool checkpointed) override {
        for (line_sink* sink : sinks_) {
            sink->set_checkpointed(checkpointed);
        }
    }

  private:
    std::vector<line_sink*> sinks_;
};

}  // namespace streamcp::pipeline
