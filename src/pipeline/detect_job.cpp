// SPDX-License-Identifier: MIT
#include "pipeline/detect_job.hpp"

#include <stdexcept>

#include <streamcp/state/byte_codec.hpp>
#include <streamcp/state/snapshot_error.hpp>

#include "pipeline/json_text.hpp"
#include "pipeline/sharded_detect.hpp"

namespace streamcp::pipeline {
namespace {

/// Whether the decoder had read the event's time when it rejected the line for `reason`.
bool has_time(reject_reason reason) noexcept {
    return reason == reject_reason::bad_value || reason == reject_reason::value_out_of_range ||
           reason == reject_reason::bad_partition_key;
}

std::string duration_text(std::chrono::nanoseconds d) { return std::to_string(d.count()) + "ns"; }

}  // namespace

std::string detect_query::fingerprint() const {
    std::string out = "value=" + fields.value.text + ";timestamp=" + fields.timestamp.text +
                      ";format=" + std::to_string(static_cast<int>(fields.time_format)) +
                      ";partition=" + fields.partition.text + ";when=" + fields.when.text;
    out += ";confidence=";
    append_json_number(out, confidence);
    out += ";history=" + std::to_string(history) + ";duration=" + duration_text(duration) +
           ";fractional=" + (fractional_confidence ? "1" : "0") +
           ";tolerance=" + duration_text(out_of_order_tolerance) +
           ";action=" + (out_of_order == out_of_order_action::drop ? "drop" : "adjust") +
           ";project=" + (shape.project ? "1" : "0") +
           ";only_anomalies=" + (shape.only_anomalies ? "1" : "0");
    return out;
}

detect_job::detect_job(const detect_query& query, line_sink& output, line_sink* rejects)
    : query_(query),
      output_(output),
      rejects_(rejects),
      decoder_(query.fields, {std::string(score_field), std::string(is_anomaly_field)}),
      order_(query.out_of_order_tolerance, query.out_of_order),
      function_(query.confidence, query.history, query.duration,
                function_options{.fractional_confidence = query.fractional_confidence}),
      encoder_(query.fields, query.shape) {
    if (query.threads > 1) {
        sharded_ = std::make_unique<sharded_detect>(query, output, rejects);
    }
}

detect_job::~detect_job() = default;

void detect_job::set_archive(archive_sink* archive, std::uint32_t partition) noexcept {
    archive_ = archive;
    archive_partition_ = partition;
    if (sharded_) {
        sharded_->set_archive(archive, partition);
    }
}

void detect_job::set_score_observer(score_observer* observer) noexcept {
    observer_ = observer;
    if (sharded_) {
        sharded_->set_score_observer(observer);
    }
}

const detect_counts& detect_job::counts() const noexcept {
    return sharded_ ? sharded_->counts() : counts_;
}

std::size_t detect_job::held() const noexcept {
    return sharded_ ? sharded_->held() : order_.held();
}

void detect_job::validate(const detect_query& query) {
    (void)anomaly_detection_change_point<partition_key>{
        query.confidence, query.history, query.duration,
        function_options{.fractional_confidence = query.fractional_confidence}};
    (void)event_order{query.out_of_order_tolerance, query.out_of_order};
    if (query.fields.value.empty() || query.fields.timestamp.empty()) {
        throw std::invalid_argument("the value and timestamp fields must be named");
    }
    if (query.threads < 1 || query.threads > max_detect_threads) {
        throw std::invalid_argument("threads " + std::to_string(query.threads) +
                                    " is out of range: allowed 1 to " +
                                    std::to_string(max_detect_threads));
    }
}

void detect_job::process(std::string_view line, std::uint64_t line_number) {
    if (sharded_) {
        sharded_->process(line, line_number);
        return;
    }
    if (has_pending_) {
        write_pending();
    }
    if (const decoded_event* event = decode(line, line_number)) {
        accept(*event, line, line_number);
    }
}

const decoded_event* detect_job::decode(std::string_view line, std::uint64_t line_number) {
    ++counts_.read;
    if (auto bad = decoder_.decode(line, event_)) {
        if (archive_ != nullptr && has_time(bad->reason)) {
            archive_->write(line, event_.time, archive_partition_);
        }
        write_reject(*bad, line, line_number);
        return nullptr;
    }
    if (archive_ != nullptr) {
        archive_->write(line, event_.time, archive_partition_);
    }
    return &event_;
}

void detect_job::accept(const decoded_event& event, std::string_view line,
                        std::uint64_t line_number) {
    const std::string_view raw = trim_json_whitespace(line);
    const bool kept = order_.submit(event, raw, line_number,
                                    [this](const released_event& released) { evaluate(released); });
    if (!kept) {
        write_reject({reject_reason::out_of_order,
                      "later than the out-of-order tolerance behind its partition's latest event"},
                     line, line_number);
    }
}

void detect_job::settle() {
    if (sharded_) {
        sharded_->settle();
    }
}

void detect_job::finish() {
    if (sharded_) {
        sharded_->finish();
        return;
    }
    write_pending();
    order_.flush([this](const released_event& released) { evaluate(released); });
}

void detect_job::finish(const std::function<void(event_time, std::uint64_t)>& after_each) {
    write_pending();
    order_.flush([&](const released_event& released) {
        evaluate(released);
        after_each(released.time, released.line);
    });
}

void detect_job::write_pending() {
    if (!has_pending_) {
        return;
    }
    output_.write(pending_output_);
    if (rejects_ != nullptr) {
        rejects_->write(pending_rejects_);
    }
    pending_output_ = {};
    pending_rejects_ = {};
    has_pending_ = false;
}

void detect_job::evaluate(const released_event& released) {
    const decoded_event& event = released.event;
    std::optional<record> result;
    try {
        result = function_.evaluate(event.key, released.time, event.value, event.when);
    } catch (const std::invalid_argument& error) {
        // The decoder and the ordering stage make this unreachable; keep the run going anyway.
        write_reject({reject_reason::out_of_order, error.what()}, released.raw, released.line);
        return;
    }
    if (observer_ != nullptr) {
        observer_->scored(released, result, function_.partition_count());
    }
    const bool anomaly = result && result->is_anomaly;
    counts_.anomalies += anomaly ? 1 : 0;
    if (query_.shape.only_anomalies && !anomaly) {
        ++counts_.filtered;
        return;
    }
    line_buffer_.clear();
    encoder_.encode(line_buffer_, released, result);
    output_.write(line_buffer_);
    ++counts_.written;
}

void detect_job::write_reject(const reject_details& why, std::string_view raw, std::uint64_t line) {
    ++counts_.rejected;
    if (rejects_ == nullptr) {
        return;
    }
    std::string out = "{\"reason\":";
    append_json_string(out, reject_reason_name(why.reason));
    out += ",\"detail\":";
    append_json_string(out, why.detail);
    out += ",\"line\":" + std::to_string(line) + ",\"raw\":";
    append_json_string(out, raw);
    out += "}\n";
    rejects_->write(out);
}

std::vector<std::byte> detect_job::save_state() const {
    if (sharded_) {
        return sharded_->save_state();
    }
    byte_writer out;
    out.u64(counts_.read);
    out.u64(counts_.written);
    out.u64(counts_.filtered);
    out.u64(counts_.rejected);
    out.u64(counts_.anomalies);
    order_.save(out);
    const std::vector<std::byte> function_state = function_.snapshot();
    out.u64(function_state.size());
    out.raw(function_state);
    if (has_pending_) {
        out.str(pending_output_);
        out.str(pending_rejects_);
    }
    return std::vector<std::byte>(out.bytes().begin(), out.bytes().end());
}

void detect_job::load_state(std::span<const std::byte> bytes) {
    if (sharded_) {
        sharded_->load_state(bytes);
        return;
    }
    byte_reader in{bytes};
    detect_counts counts;
    counts.read = in.u64();
    counts.written = in.u64();
    counts.filtered = in.u64();
    counts.rejected = in.u64();
    counts.anomalies = in.u64();
    order_.load(in, decoder_);
    const std::size_t function_size = in.length(1);
    function_.restore(in.take(function_size));
    std::string pending_output;
    std::string pending_rejects;
    const bool has_pending = in.remaining() != 0;
    if (has_pending) {
        pending_output = in.str();
        pending_rejects = in.str();
    }
    in.expect_end();
    counts_ = counts;
    pending_output_ = std::move(pending_output);
    pending_rejects_ = std::move(pending_rejects);
    has_pending_ = has_pending;
}

}  // namespace streamcp::pipeline
