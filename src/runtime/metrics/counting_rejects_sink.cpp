// SPDX-License-Identifier: MIT
#include "counting_rejects_sink.hpp"

namespace streamcp::pipeline {
namespace {

/// The reason of one rejects record: every record starts `{"reason":"<name>"`.
std::optional<reject_reason> reason_of(std::string_view record) {
    constexpr std::string_view prefix = R"({"reason":")";
    if (!record.starts_with(prefix)) {
        return std::nullopt;
    }
    record.remove_prefix(prefix.size());
    const std::string_view name = record.substr(0, record.find('"'));
    for (std::size_t i = 0; i < reject_reason_count; ++i) {
        if (reject_reason_name(static_cast<reject_reason>(i)) == name) {
            return static_cast<reject_reason>(i);
        }
    }
    return std::nullopt;
}

}  // namespace

void counting_rejects_sink::write(std::string_view bytes) {
    // Usually one record; several when a restored run writes what it held back.
    for (std::size_t start = 0; start < bytes.size();) {
        const std::size_t end = bytes.find('\n', start);
        const std::string_view record = bytes.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (const auto reason = reason_of(record)) {
            metrics_.rejected(*reason);
        }
        start = end == std::string_view::npos ? bytes.size() : end + 1;
    }
    if (inner_ != nullptr) {
        inner_->write(bytes);
    }
}

void counting_rejects_sink::flush() {
    if (inner_ != nullptr) {
        inner_->flush();
    }
}

void counting_rejects_sink::sync() {
    if (inner_ != nullptr) {
        inner_->sync();
    }
}

std::uint64_t counting_rejects_sink::position() const {
    return inner_ != nullptr ? inner_->position() : 0;
}

bool counting_rejects_sink::truncatable() const {
    return inner_ != nullptr && inner_->truncatable();
}

void counting_rejects_sink::truncate(std::uint64_t size) {
    if (inner_ != nullptr) {
        inner_->truncate(size);
    }
}

std::string counting_rejects_sink::name() const {
    return inner_ != nullptr ? inner_->name() : "(rejects counted only)";
}

}  // namespace streamcp::pipeline
