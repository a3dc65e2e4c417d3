// SPDX-License-Identifier: MIT
#include "sharded_detect.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <stdexcept>
#include <tuple>

#include <simdjson.h>

#include "partition_key_hash.hpp"

namespace streamcp::pipeline {
namespace {

// Big enough that a worker's lock and wake-up cost little next to its share of a batch, small
// enough that a batch's bytes stay in cache.
constexpr std::size_t batch_lines = 512;
constexpr std::uint32_t decoder_route = UINT32_MAX;  // the line was rejected when decoded
constexpr std::size_t decode_chunk = 32;             // lines a worker claims at once to decode

}  // namespace

std::size_t shard_of(const partition_key& key, std::size_t shards) noexcept {
    // Mix the hash again: the tables take its low bits, the shards its high ones.
    const std::uint64_t mixed = partition_key_hash{}(key)*0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>((mixed >> 32U) % shards);
}

/// Collects a job's output in the string it currently points at.
class sharded_detect::buffer_sink final : public line_sink {
  public:
    void write(std::string_view bytes) override { target->append(bytes); }
    void flush() override {}
    void sync() override {}
    [[nodiscard]] std::uint64_t position() const override { return target->size(); }
    [[nodiscard]] bool truncatable() const override { return false; }
    void truncate(std::uint64_t /*size*/) override {
        throw std::logic_error("a worker's buffer cannot be truncated");
    }
    [[nodiscard]] std::string name() const override { return "memory"; }

    std::string* target = &unused;
    std::string unused;
};

struct sharded_detect::batch {
    struct item {
        std::size_t offset = 0;  ///< of the line in `text`
        std::size_t size = 0;
        std::uint64_t line = 0;
        std::uint32_t route = decoder_route;  ///< the worker, or `decoder_route`
        std::uint32_t event = 0;              ///< in `events`
        std::uint32_t decoded_by = 0;         ///< with parallel decoding: the worker
        std::size_t output_end = 0;           ///< end of its bytes in its route's buffers
        std::size_t rejects_end = 0;
    };
    struct shard {
        std::vector<std::uint32_t> items;
        std::string output;
        std::string rejects;
        detect_counts counts;  ///< the worker's, after this batch
        std::size_t held = 0;
        std::string decode_rejects;  ///< with parallel decoding: its share's rejected lines
        detect_counts decoded;       ///< with parallel decoding: its decoding's, after this batch
    };

    explicit batch(std::size_t workers) : shards(workers) {}

    void reset() {
        text.clear();
        items.clear();
        event_count = 0;
        for (shard& s : shards) {
            s.items.clear();
            s.output.clear();
            s.rejects.clear();
            s.decode_rejects.clear();
        }
        decode_rejects.clear();
        error = nullptr;
    }

    std::string text;
    std::vector<item> items;
    std::vector<decoded_event> events;  // reused: only the first `event_count` are this batch's
    std::size_t event_count = 0;
    std::vector<shard> shards;
    std::string decode_rejects;
    detect_counts decoded_counts;         ///< the intake's, after this batch
    std::atomic<std::size_t> unfinished;  ///< workers still on it; changed under done_mutex_
    std::exception_ptr error;
    /// Every worker decodes a share of the lines (`events[k]` is item k's), then scores.
    bool parallel_decode = false;
    std::atomic<std::size_t> next_line;  ///< the first line no worker has claimed
    std::atomic<std::size_t> undecoded;  ///< lines not decoded yet
};

struct sharded_detect::worker {
    enum class task_kind { batch, finish, stop };
    struct task {
        task_kind kind;
        batch* work;
    };
    struct flushed {
        event_time time;
        std::uint64_t line;
        std::size_t output_end;
        std::size_t rejects_end;
    };

    worker(const detect_query& query, bool with_rejects)
        : intake(query, with_rejects ? &decode_rejects : nullptr, decode_counts),
          scorer(query, output, with_rejects ? &rejects : nullptr, live_counts) {}

    buffer_sink output;
    buffer_sink rejects;
    buffer_sink decode_rejects;
    detect_counts decode_counts;  ///< its intake's, as it goes (worker thread)
    /// Decodes its share of a batch with parallel decoding: no archive, limit or tracking.
    event_intake intake;
    detect_counts decoded;      ///< its intake's, as of the last batch written
    detect_counts live_counts;  ///< the scorer's, as it goes (worker thread)
    partition_scorer scorer;
    std::vector<partition_scorer::batch_entry> entries;  ///< its share of a batch (reused)
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<task> tasks;
    detect_counts counts;  ///< the scorer's, as of the last batch written
    // The end-of-input flush.
    std::vector<flushed> flushed_events;
    std::string flush_output;
    std::string flush_rejects;
    bool flushing = false;
    std::exception_ptr flush_error;
    std::thread thread;
};

sharded_detect::sharded_detect(const detect_query& query, line_sink& output, line_sink* rejects)
    : query_(query),
      output_(output),
      rejects_(rejects),
      decode_rejects_(std::make_unique<buffer_sink>()),
      intake_(query, rejects != nullptr ? decode_rejects_.get() : nullptr, intake_counts_) {
    if (query.threads < 2) {
        throw std::invalid_argument("sharded_detect needs at least 2 threads");
    }
    for (unsigned i = 0; i < query.threads; ++i) {
        workers_.push_back(std::make_unique<worker>(query_, rejects != nullptr));
    }
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        workers_[i]->thread = std::thread([this, i] { run_worker(*workers_[i], i); });
    }
}

sharded_detect::~sharded_detect() {
    for (auto& w : workers_) {
        {
            const std::lock_guard lock{w->mutex};
            w->tasks.push_back({worker::task_kind::stop, nullptr});
        }
        w->wake.notify_one();
    }
    for (auto& w : workers_) {
        w->thread.join();
    }
}

void sharded_detect::set_score_observer(score_observer* observer) noexcept {
    for (auto& w : workers_) {  // idle until the first batch, which orders this write first
        w->scorer.set_score_observer(observer);
    }
}

void sharded_detect::process(std::string_view line, std::uint64_t line_number) {
    if (!pending_.empty()) {  // only after a restore: keep the per-line cost to a test
        pending_.write_to(output_, rejects_);
    }
    if (!filling_) {
        filling_ = take_batch();
    }
    batch& b = *filling_;
    batch::item item{.offset = b.text.size(), .size = line.size(), .line = line_number};
    b.text.append(line);
    if (b.parallel_decode) {  // a worker decodes it
        item.event = static_cast<std::uint32_t>(b.items.size());
        b.items.push_back(item);
        if (b.items.size() >= batch_lines) {
            dispatch();
        }
        return;
    }
    decode_rejects_->target = &b.decode_rejects;
    if (const decoded_event* event = intake_.decode(line, line_number)) {
        if (b.event_count == b.events.size()) {
            b.events.emplace_back();
        }
        b.events[b.event_count] = *event;
        item.event = static_cast<std::uint32_t>(b.event_count++);
        item.route = static_cast<std::uint32_t>(shard_of(event->key, workers_.size()));
        b.shards[item.route].items.push_back(static_cast<std::uint32_t>(b.items.size()));
    } else {
        item.rejects_end = b.decode_rejects.size();
    }
    b.items.push_back(item);
    if (b.items.size() >= batch_lines) {
        dispatch();
    }
}

std::unique_ptr<sharded_detect::batch> sharded_detect::take_batch() {
    const std::size_t max_in_flight = 2 * workers_.size() + 2;
    while (!in_flight_.empty() &&
           (in_flight_.size() >= max_in_flight ||
            in_flight_.front()->unfinished.load(std::memory_order_acquire) == 0)) {
        write_oldest();
    }
    std::unique_ptr<batch> b;
    if (free_.empty()) {
        b = std::make_unique<batch>(workers_.size());
    } else {
        b = std::move(free_.back());
        free_.pop_back();
        b->reset();
    }
    b->parallel_decode = !intake_.needs_input_order();
    return b;
}

void sharded_detect::dispatch() {
    batch& b = *filling_;
    b.decoded_counts = intake_counts_;
    std::size_t busy = 0;
    for (const batch::shard& s : b.shards) {
        busy += s.items.empty() && !b.parallel_decode ? 0U : 1U;
    }
    if (b.parallel_decode) {
        // The decoders read SIMDJSON_PADDING bytes past a line: the next lines, or these.
        b.text.append(simdjson::SIMDJSON_PADDING, ' ');
        if (b.events.size() < b.items.size()) {
            b.events.resize(b.items.size());
        }
        b.next_line.store(0, std::memory_order_relaxed);
        b.undecoded.store(b.items.size(), std::memory_order_relaxed);
    }
    b.unfinished.store(busy, std::memory_order_release);
    in_flight_.push_back(std::move(filling_));
    for (std::size_t w = 0; w < workers_.size(); ++w) {
        if (b.shards[w].items.empty() && !b.parallel_decode) {
            continue;
        }
        {
            const std::lock_guard lock{workers_[w]->mutex};
            workers_[w]->tasks.push_back({worker::task_kind::batch, &b});
        }
        workers_[w]->wake.notify_one();
    }
}

void sharded_detect::run_worker(worker& w, std::size_t index) {
    for (;;) {
        worker::task task{};
        {
            std::unique_lock lock{w.mutex};
            w.wake.wait(lock, [&] { return !w.tasks.empty(); });
            task = w.tasks.front();
            w.tasks.pop_front();
        }
        if (task.kind == worker::task_kind::stop) {
            return;
        }
        std::exception_ptr error;
        try {
            if (task.kind == worker::task_kind::batch) {
                work_on(*task.work, w, index);
            } else {
                w.output.target = &w.flush_output;
                w.rejects.target = &w.flush_rejects;
                w.scorer.finish([&w](event_time time, std::uint64_t line) {
                    w.flushed_events.push_back(
                        {time, line, w.flush_output.size(), w.flush_rejects.size()});
                });
                w.counts = w.live_counts;
            }
        } catch (...) {
            error = std::current_exception();
        }
        {
            const std::lock_guard lock{done_mutex_};
            if (task.kind == worker::task_kind::batch) {
                if (error) {
                    task.work->error = error;
                }
                task.work->unfinished.fetch_sub(std::size_t{1}, std::memory_order_acq_rel);
            } else {
                w.flush_error = error;
                w.flushing = false;
            }
        }
        done_.notify_all();
    }
}

void sharded_detect::work_on(batch& b, worker& w, std::size_t index) {
    batch::shard& mine = b.shards[index];
    const std::string_view text{b.text};
    if (b.parallel_decode) {
        // Workers claim chunks of lines as they come free, so one still scoring the last batch
        // leaves more of this one to the other. A worker's chunks, and so its rejects, ascend.
        const std::size_t n = b.items.size();
        const std::size_t shares = workers_.size();
        w.decode_rejects.target = &mine.decode_rejects;
        std::exception_ptr error;
        for (std::size_t from = b.next_line.fetch_add(decode_chunk, std::memory_order_relaxed);
             from < n; from = b.next_line.fetch_add(decode_chunk, std::memory_order_relaxed)) {
            const std::size_t to = std::min(n, from + decode_chunk);
            try {
                for (std::size_t k = from; k < to; ++k) {
                    batch::item& item = b.items[k];
                    item.decoded_by = static_cast<std::uint32_t>(index);
                    if (w.intake.decode_into(text.substr(item.offset, item.size), item.line,
                                             b.events[k])) {
                        item.route = static_cast<std::uint32_t>(shard_of(b.events[k].key, shares));
                    } else {
                        item.rejects_end = mine.decode_rejects.size();
                    }
                }
            } catch (...) {
                error = std::current_exception();
            }
            // Every line must be decoded before any worker scores: the last chunk wakes all.
            if (b.undecoded.fetch_sub(to - from, std::memory_order_acq_rel) == to - from) {
                b.undecoded.notify_all();
            }
        }
        mine.decoded = w.decode_counts;
        for (std::size_t left = b.undecoded.load(std::memory_order_acquire); left != 0;
             left = b.undecoded.load(std::memory_order_acquire)) {
            b.undecoded.wait(left, std::memory_order_acquire);
        }
        if (error) {
            std::rethrow_exception(error);
        }
        for (std::uint32_t k = 0; k < b.items.size(); ++k) {
            if (b.items[k].route == index) {
                mine.items.push_back(k);
            }
        }
    }
    w.output.target = &mine.output;
    w.rejects.target = &mine.rejects;
    w.entries.clear();
    for (const std::uint32_t k : mine.items) {
        const batch::item& item = b.items[k];
        w.entries.push_back(
            {&b.events[item.event], text.substr(item.offset, item.size), item.line});
    }
    w.scorer.accept_many(
        w.entries, [&](std::size_t j) { b.items[mine.items[j]].rejects_end = mine.rejects.size(); },
        [&](std::size_t j) { b.items[mine.items[j]].output_end = mine.output.size(); });
    mine.counts = w.live_counts;
    mine.held = w.scorer.held();
}

void sharded_detect::wait_done(batch& b) {
    std::unique_lock lock{done_mutex_};
    done_.wait(lock, [&] { return b.unfinished.load(std::memory_order_acquire) == 0; });
    if (b.error) {
        std::rethrow_exception(b.error);
    }
}

void sharded_detect::collect(batch& b, std::string& output, std::string& rejects) {
    std::vector<std::size_t> output_from(workers_.size(), 0);
    std::vector<std::size_t> rejects_from(workers_.size(), 0);
    std::vector<std::size_t> decoded_from(workers_.size(), 0);
    std::size_t decode_from = 0;
    for (const batch::item& item : b.items) {
        if (item.route == decoder_route && b.parallel_decode) {
            std::size_t& from = decoded_from[item.decoded_by];
            rejects.append(b.shards[item.decoded_by].decode_rejects, from, item.rejects_end - from);
            from = item.rejects_end;
            continue;
        }
        if (item.route == decoder_route) {
            rejects.append(b.decode_rejects, decode_from, item.rejects_end - decode_from);
            decode_from = item.rejects_end;
            continue;
        }
        const batch::shard& s = b.shards[item.route];
        std::size_t& out_from = output_from[item.route];
        output.append(s.output, out_from, item.output_end - out_from);
        out_from = item.output_end;
        std::size_t& rej_from = rejects_from[item.route];
        rejects.append(s.rejects, rej_from, item.rejects_end - rej_from);
        rej_from = item.rejects_end;
    }
    for (std::size_t w = 0; w < workers_.size(); ++w) {
        if (!b.shards[w].items.empty() || b.parallel_decode) {
            workers_[w]->counts = b.shards[w].counts;
        }
        if (b.parallel_decode) {
            workers_[w]->decoded = b.shards[w].decoded;
        }
    }
    held_ = 0;
    for (const batch::shard& s : b.shards) {
        held_ += s.held;
    }
    decoded_counts_ = b.decoded_counts;
    update_counts();
}

void sharded_detect::write_oldest() {
    std::unique_ptr<batch> b = std::move(in_flight_.front());
    in_flight_.pop_front();
    wait_done(*b);
    output_scratch_.clear();
    rejects_scratch_.clear();
    collect(*b, output_scratch_, rejects_scratch_);
    output_.write(output_scratch_);
    if (rejects_ != nullptr && !rejects_scratch_.empty()) {
        rejects_->write(rejects_scratch_);
    }
    free_.push_back(std::move(b));
}

void sharded_detect::update_counts() {
    detect_counts sum = base_counts_;
    sum += decoded_counts_;
    for (const auto& w : workers_) {
        sum += w->counts;
        sum += w->decoded;
    }
    counts_ = sum;
}

void sharded_detect::settle() {
    pending_.write_to(output_, rejects_);
    if (filling_ && !filling_->items.empty()) {
        dispatch();
    }
    while (!in_flight_.empty()) {
        write_oldest();
    }
}

void sharded_detect::finish() {
    settle();
    for (const auto& w : workers_) {  // idle: their last batch is written
        intake_.mark_keys_of(w->scorer.order(), true);
    }
    for (auto& w : workers_) {
        {
            const std::lock_guard lock{done_mutex_};
            w->flushing = true;
        }
        {
            const std::lock_guard lock{w->mutex};
            w->tasks.push_back({worker::task_kind::finish, nullptr});
        }
        w->wake.notify_one();
    }
    {
        std::unique_lock lock{done_mutex_};
        done_.wait(lock, [&] {
            return std::none_of(workers_.begin(), workers_.end(),
                                [](const auto& w) { return w->flushing; });
        });
    }
    // The single ordering stage flushes all keys by (time, arrival); lines are the arrival order.
    struct entry {
        event_time time;
        std::uint64_t line;
        std::size_t worker;
        std::size_t index;
    };
    std::vector<entry> entries;
    for (std::size_t w = 0; w < workers_.size(); ++w) {
        if (workers_[w]->flush_error) {
            std::rethrow_exception(workers_[w]->flush_error);
        }
        const auto& flushed = workers_[w]->flushed_events;
        for (std::size_t i = 0; i < flushed.size(); ++i) {
            entries.push_back({flushed[i].time, flushed[i].line, w, i});
        }
    }
    std::sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) {
        return std::tie(a.time, a.line) < std::tie(b.time, b.line);
    });
    output_scratch_.clear();
    rejects_scratch_.clear();
    for (const entry& e : entries) {
        const worker& w = *workers_[e.worker];
        const auto& now = w.flushed_events[e.index];
        const std::size_t output_from = e.index == 0 ? 0 : w.flushed_events[e.index - 1].output_end;
        const std::size_t rejects_from =
            e.index == 0 ? 0 : w.flushed_events[e.index - 1].rejects_end;
        output_scratch_.append(w.flush_output, output_from, now.output_end - output_from);
        rejects_scratch_.append(w.flush_rejects, rejects_from, now.rejects_end - rejects_from);
    }
    output_.write(output_scratch_);
    if (rejects_ != nullptr && !rejects_scratch_.empty()) {
        rejects_->write(rejects_scratch_);
    }
    for (auto& w : workers_) {
        w->flushed_events.clear();
        w->flush_output.clear();
        w->flush_rejects.clear();
    }
    held_ = 0;
    decoded_counts_ = intake_counts_;
    update_counts();
}

void sharded_detect::drain_to_pending() {
    if (filling_ && !filling_->items.empty()) {
        dispatch();
    }
    while (!in_flight_.empty()) {
        std::unique_ptr<batch> b = std::move(in_flight_.front());
        in_flight_.pop_front();
        wait_done(*b);
        collect(*b, pending_.output, pending_.rejects);
        free_.push_back(std::move(b));
    }
}

std::vector<std::byte> sharded_detect::save_state() {
    drain_to_pending();
    std::vector<const event_order*> orders;
    std::vector<std::vector<std::byte>> functions;
    for (const auto& w : workers_) {
        orders.push_back(&w->scorer.order());
        functions.push_back(w->scorer.function().snapshot());
    }
    return save_detect_state(counts_, event_order::merge(orders),
                             workers_.front()->scorer.function().merge_snapshots(functions),
                             pending_, intake_.admission());
}

incremental_state sharded_detect::save_changes() {
    drain_to_pending();
    std::uint64_t next_sequence = 0;
    std::vector<std::vector<std::byte>> clocks;
    for (const auto& w : workers_) {
        next_sequence = std::max(next_sequence, w->scorer.order().next_sequence());
        clocks.push_back(w->scorer.function().snapshot_clocks());
    }
    incremental_state out{
        .head = save_state_head(counts_, next_sequence,
                                workers_.front()->scorer.function().merge_snapshots(clocks),
                                pending_, intake_.admission()),
        .rows = {}};
    for (const auto& w : workers_) {  // drained: the workers are idle
        intake_.mark_changed(w->scorer.take_changed());
        intake_.mark_changed(w->scorer.take_evicted());  // their rows lose the model
    }
    for (const partition_key& key : intake_.take_changed()) {
        const partition_scorer& owner = workers_[shard_of(key, workers_.size())]->scorer;
        out.rows.push_back(
            save_partition_row(key, intake_.admission(), owner.order(), owner.function()));
    }
    return out;
}

void sharded_detect::track_changes() {
    intake_.track_changes();
    for (const auto& w : workers_) {  // before the first line: no worker runs yet
        w->scorer.track_changes();
    }
}

incremental_state sharded_detect::save_every_key() {
    drain_to_pending();  // the workers are idle until the next batch
    for (const auto& w : workers_) {
        intake_.mark_keys_of(w->scorer.order(), false);  // each ordering stage holds its keys
    }
    return save_changes();
}

void sharded_detect::load_state(std::span<const std::byte> bytes) {
    restore(bytes);
    for (const auto& w : workers_) {
        intake_.mark_keys_of(w->scorer.order(), false);
    }
}

void sharded_detect::load_state(std::span<const std::byte> head,
                                std::span<const partition_row> rows) {
    restore(assemble_detect_state(head, rows, workers_.front()->scorer.function()));
}

void sharded_detect::restore(std::span<const std::byte> bytes) {
    detect_state state = load_detect_state(bytes, query_, intake_.decoder());
    const std::size_t shards = workers_.size();
    auto part_of = [shards](const partition_key& key) { return shard_of(key, shards); };
    std::vector<std::vector<std::byte>> functions =
        workers_.front()->scorer.function().split_snapshot(state.function, shards, part_of);
    std::vector<event_order> orders = std::move(state.order).split(shards, part_of);
    held_ = 0;
    for (std::size_t w = 0; w < shards; ++w) {
        workers_[w]->scorer.restore(std::move(orders[w]), functions[w]);
        workers_[w]->live_counts = {};
        workers_[w]->counts = {};
        workers_[w]->decode_counts = {};
        workers_[w]->decoded = {};
        held_ += workers_[w]->scorer.held();
    }
    base_counts_ = state.counts;
    pending_ = std::move(state.pending);
    intake_.admission() = std::move(state.admission);
    decoded_counts_ = {};
    intake_counts_ = {};
    update_counts();
}

}  // namespace streamcp::pipeline
