// SPDX-License-Identifier: MIT
#include "eventhubs_batcher.hpp"

#include <stdexcept>

#include "record_id.hpp"

namespace streamcp::adapters {
namespace {

// Bounds the records held back between flushes across all keys (a memory cap, not a limit on
// what is sent).
constexpr std::size_t max_open_arrays = 64;

}  // namespace

eventhubs_batcher::eventhubs_batcher(format shape, std::size_t max_body_bytes)
    : shape_(shape), max_body_bytes_(max_body_bytes) {}

void eventhubs_batcher::add(std::string_view record, std::optional<std::string_view> key,
                            std::vector<outgoing_body>& out) {
    const std::size_t framing = shape_ == format::array ? 2 : 0;
    if (record.size() + framing > max_body_bytes_) {
        throw std::runtime_error("eventhubs sink: an output record of " +
                                 std::to_string(record.size()) +
                                 " bytes exceeds max_message_bytes (" +
                                 std::to_string(max_body_bytes_) + " bytes of body)");
    }
    std::optional<std::string> owned_key;
    if (key) {
        owned_key.emplace(*key);
    }
    if (shape_ == format::lines) {
        outgoing_body message;
        message.body.assign(record);
        message.partition_key = std::move(owned_key);
        message.id = pipeline::record_id(record);
        message.records = 1;
        out.push_back(std::move(message));
        return;
    }
    auto open = open_.find(owned_key);
    if (open != open_.end() && open->second.size() + 1 + record.size() + 1 > max_body_bytes_) {
        close_array(open, out);
        open = open_.end();
    }
    if (open == open_.end()) {
        if (open_.size() >= max_open_arrays) {
            flush(out);
        }
        open = open_.emplace(owned_key, "[").first;
    } else {
        open->second += ',';
    }
    open->second.append(record);
    ++counts_[owned_key];
}

void eventhubs_batcher::close_array(
    std::map<std::optional<std::string>, std::string>::iterator open,
    std::vector<outgoing_body>& out) {
    outgoing_body message;
    message.body = std::move(open->second);
    message.body += ']';
    message.partition_key = open->first;
    message.id = pipeline::record_id(message.body);
    message.records = counts_[open->first];
    counts_.erase(open->first);
    open_.erase(open);
    out.push_back(std::move(message));
}

void eventhubs_batcher::flush(std::vector<outgoing_body>& out) {
    while (!open_.empty()) {
        close_array(open_.begin(), out);
    }
}

}  // namespace streamcp::adapters
