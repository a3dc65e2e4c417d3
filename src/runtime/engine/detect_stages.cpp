// SPDX-License-Identifier: MIT
#include "detect_stages.hpp"

#include <stdexcept>
#include <utility>

#include "json_text.hpp"

namespace streamcp::pipeline {
namespace {

/// Whether the decoder had read the event's time when it rejected the line for `reason`.
bool has_time(reject_reason reason) noexcept {
    return reason == reject_reason::bad_value || reason == reject_reason::value_out_of_range ||
           reason == reject_reason::bad_partition_key;
}

}  // namespace

void write_reject(line_sink* rejects, detect_counts& counts, const reject_details& why,
                  std::string_view raw, std::uint64_t line) {
    ++counts.rejected;
    if (rejects == nullptr) {
        return;
    }
    std::string out = "{\"reason\":";
    append_json_string(out, reject_reason_name(why.reason));
    out += ",\"detail\":";
    append_json_string(out, why.detail);
    out += ",\"line\":" + std::to_string(line) + ",\"raw\":";
    append_json_string(out, raw);
    out += "}\n";
    rejects->write(out);
}

event_intake::event_intake(const detect_query& query, line_sink* rejects, detect_counts& counts)
    : decoder_(query.fields,
               // A projection writes none of the input's members: no need to look for these.
               query.shape.project ? std::vector<std::string>{}
                                   : std::vector<std::string>{std::string(score_field),
                                                              std::string(is_anomaly_field)}),
      rejects_(rejects),
      counts_(counts),
      admission_(query.max_partitions, query.idle_ttl) {}

bool event_intake::decode_into(std::string_view line, std::uint64_t line_number,
                               decoded_event& event) {
    ++counts_.read;
    if (auto bad = decoder_.decode(line, event)) {
        if (archive_ != nullptr && has_time(bad->reason)) {
            archive_->write(line, event.time, archive_partition_);
        }
        write_reject(rejects_, counts_, *bad, line, line_number);
        return false;
    }
    if (archive_ != nullptr) {
        archive_->write(line, event.time, archive_partition_);
    }
    if (admission_.enabled() &&
        !admission_.admit(event.key, event.time, tracking_ ? &changed_ : nullptr)) {
        write_reject(rejects_, counts_,
                     {reject_reason::partition_limit,
                      "a new partition key while " + std::to_string(admission_.limit()) +
                          " keys hold the places of --max-partitions"},
                     line, line_number);
        return false;
    }
    return true;  // its key is recorded as changed by the ordering stage it goes to
}

void event_intake::mark_changed(std::vector<partition_key> keys) {
    if (!tracking_) {
        return;
    }
    for (partition_key& key : keys) {
        changed_.insert(std::move(key));
    }
}

void event_intake::mark_keys_of(const event_order& order, bool holding_only) {
    if (!tracking_) {
        return;
    }
    order.for_each_key([&](const partition_key& key, std::size_t held) {
        if (held > 0 || !holding_only) {
            changed_.insert(key);
        }
    });
}

partition_scorer::partition_scorer(const detect_query& query, line_sink& output, line_sink* rejects,
                                   detect_counts& counts)
    : only_anomalies_(query.shape.only_anomalies),
      output_(output),
      rejects_(rejects),
      counts_(counts),
      order_(query.out_of_order_tolerance, query.out_of_order),
      function_(query),
      encoder_(query.fields, query.shape) {}

void partition_scorer::accept(const decoded_event& event, std::string_view line,
                              std::uint64_t line_number) {
    const std::string_view raw = trim_json_whitespace(line);
    const bool kept = order_.submit(event, raw, line_number,
                                    [this](const released_event& released) { evaluate(released); });
    if (!kept) {
        write_reject(rejects_, counts_,
                     {reject_reason::out_of_order,
                      "later than the out-of-order tolerance behind its partition's latest event"},
                     line, line_number);
    }
}

void partition_scorer::accept_many(std::span<const batch_entry> entries,
                                   const std::function<void(std::size_t)>& ordered,
                                   const std::function<void(std::size_t)>& scored) {
    staged_.clear();
    kept_.clear();
    released_by_.clear();
    for (std::size_t k = 0; k < entries.size(); ++k) {
        const batch_entry& entry = entries[k];
        const std::string_view raw = trim_json_whitespace(entry.line);
        const bool kept =
            order_.submit(*entry.event, raw, entry.line_number,
                          [&](const released_event& released) { stage(released, *entry.event); });
        if (!kept) {
            write_reject(rejects_, counts_,
                         {reject_reason::out_of_order,
                          "later than the out-of-order tolerance behind its partition's latest "
                          "event"},
                         entry.line, entry.line_number);
        }
        ordered(k);
        released_by_.push_back(staged_.size());
    }
    // Far enough ahead for a partition to arrive from memory while the model scores others.
    constexpr std::size_t prefetch_ahead = 8;
    std::size_t next = 0;
    for (std::size_t k = 0; k < entries.size(); ++k) {
        for (; next < released_by_[k]; ++next) {
            if (next + prefetch_ahead < staged_.size() &&
                staged_[next + prefetch_ahead].cursor != nullptr) {
                function_.prefetch(*staged_[next + prefetch_ahead].cursor);
            }
            const staged_event& s = staged_[next];
            evaluate(released_event{*s.event, s.time, s.raw, s.line, s.cursor});
        }
        scored(k);
    }
}

void partition_scorer::stage(const released_event& released, const decoded_event& arriving) {
    if (&released.event == &arriving) {  // the batch holds it until the second pass
        staged_.push_back({&arriving, released.time, released.raw, released.line, released.cursor});
        return;
    }
    // A held event: the ordering stage lets go of it when this returns.
    kept_.push_back(kept_event{released.event, std::string(released.raw)});
    const kept_event& copy = kept_.back();
    staged_.push_back({&copy.event, released.time, copy.raw, released.line, released.cursor});
}

void partition_scorer::finish(const std::function<void(event_time, std::uint64_t)>& after_each) {
    order_.flush([&](const released_event& released) {
        evaluate(released);
        if (after_each) {
            after_each(released.time, released.line);
        }
    });
}

void partition_scorer::restore(event_order order, std::span<const std::byte> function) {
    function_.restore(function);
    const bool tracking = order_.tracking();
    order_ = std::move(order);
    if (tracking) {
        order_.track_changes();
    }
}

void partition_scorer::evaluate(const released_event& released) {
    const decoded_event& event = released.event;
    std::optional<record> result;
    try {
        result =
            function_.evaluate(event.key, released.time, event.value, event.when, released.cursor);
    } catch (const std::invalid_argument& error) {
        // The decoder and the ordering stage make this unreachable; keep the run going anyway.
        write_reject(rejects_, counts_, {reject_reason::out_of_order, error.what()}, released.raw,
                     released.line);
        return;
    }
    if (observer_ != nullptr) {
        observer_->scored(released, result, function_.partition_count());
    }
    const bool anomaly = result && result->is_anomaly;
    counts_.anomalies += anomaly ? 1 : 0;
    if (only_anomalies_ && !anomaly) {
        ++counts_.filtered;
        return;
    }
    line_buffer_.clear();
    encoder_.encode(line_buffer_, released, result);
    output_.write(line_buffer_);
    ++counts_.written;
}

}  // namespace streamcp::pipeline
