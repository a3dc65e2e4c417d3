// SPDX-License-Identifier: MIT
#include "webhook_sink.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "endpoint_options.hpp"
#include "http_poster.hpp"
#include "runtime_errors.hpp"
#include "token_bucket.hpp"

namespace streamcp::adapters {

using steady = std::chrono::steady_clock;

struct webhook_sink::state {
    webhook_settings settings;
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::condition_variable changed;  // records queued, delivered, or a failure
    std::deque<std::string> queue;    // undelivered records; the front batch is in flight
    std::uint64_t delivered = 0;
    std::string failure;  // set once: the endpoint refused a batch for good
    std::thread worker;

    [[nodiscard]] std::string name() const { return settings.section + " (webhook)"; }

    // Sleeps up to `duration`; false when the sink is stopping.
    bool pause(steady::duration duration) {
        std::unique_lock lock(mutex);
        return !changed.wait_for(lock, duration, [&] { return stopping.load(); });
    }

    void deliver_all();
    void fail(std::string message) {
        const std::lock_guard lock(mutex);
        failure = std::move(message);
        changed.notify_all();
    }
};

namespace {

enum class verdict { delivered, retry_after, retry_backoff, refused };

verdict classify(const http_outcome& outcome) {
    if (outcome.status >= 200 && outcome.status < 300) {
        return verdict::delivered;
    }
    if (outcome.status == 0 || outcome.status == 408 || outcome.status >= 500) {
        // 503 may say when to come back, as 429 does.
        return outcome.status == 503 && !outcome.retry_after.empty() ? verdict::retry_after
                                                                     : verdict::retry_backoff;
    }
    return outcome.status == 429 ? verdict::retry_after : verdict::refused;
}

}  // namespace

void webhook_sink::state::deliver_all() {
    http_poster poster(settings.url, settings.timeout, stopping);
    token_bucket bucket(settings.rate, settings.burst, steady::now());
    auto backoff = settings.backoff_min;
    for (;;) {
        std::vector<std::string> batch;
        {
            std::unique_lock lock(mutex);
            changed.wait(lock, [&] { return stopping.load() || !queue.empty(); });
            if (stopping) {
                return;
            }
            const std::size_t count = std::min(queue.size(), settings.max_batch);
            batch.assign(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(count));
        }
        // The same batch goes out until it is delivered, so a retry repeats the same ids.
        const std::string body = webhook_body(settings.format, batch, settings.fields);
        const std::string ids = webhook_record_ids(batch);
        for (;;) {
            if (const auto wait = bucket.wait_time(steady::now());
                wait > steady::duration::zero()) {
                if (!pause(wait)) {
                    return;
                }
            }
            bucket.take(steady::now());
            const http_outcome outcome = poster.post(body, ids);
            const verdict result = classify(outcome);
            if (result == verdict::delivered) {
                backoff = settings.backoff_min;
                const std::lock_guard lock(mutex);
                queue.erase(queue.begin(),
                            queue.begin() + static_cast<std::ptrdiff_t>(batch.size()));
                delivered += batch.size();
                changed.notify_all();
                break;
            }
            if (result == verdict::refused) {
                fail(name() + ": the endpoint refused a batch of " + std::to_string(batch.size()) +
                     " records with HTTP " + std::to_string(outcome.status) +
                     " (only 2xx delivers; 408, 429 and 5xx are retried)");
                return;
            }
            pipeline::count_runtime_error(pipeline::runtime_component::sink);
            steady::duration wait = backoff;
            const auto asked =
                result == verdict::retry_after
                    ? parse_retry_after(outcome.retry_after, std::chrono::system_clock::now())
                    : std::nullopt;
            if (asked) {
                wait = *asked;
            } else {
                backoff = std::min(backoff * 2, settings.backoff_max);
            }
            if (!pause(wait)) {
                return;
            }
        }
    }
}

webhook_sink::webhook_sink(webhook_settings settings) : state_(std::make_unique<state>()) {
    if (settings.max_batch == 0 || settings.max_buffered < settings.max_batch ||
        !(settings.rate > 0.0) || settings.burst < 1.0) {
        throw std::invalid_argument(settings.section +
                                    ": webhook needs max_batch >= 1, max_buffered >= max_batch, "
                                    "rate > 0 and burst >= 1");
    }
    state_->settings = std::move(settings);
    state_->worker = std::thread([state = state_.get()] { state->deliver_all(); });
}

webhook_sink::~webhook_sink() {
    {
        const std::lock_guard lock(state_->mutex);
        state_->stopping = true;
        state_->changed.notify_all();
    }
    state_->worker.join();
}

void webhook_sink::write(std::string_view bytes) {
    position_ += bytes.size();
    while (!bytes.empty()) {
        const std::size_t newline = bytes.find('\n');
        if (newline == std::string_view::npos) {
            partial_line_.append(bytes);
            return;
        }
        partial_line_.append(bytes.substr(0, newline));
        bytes.remove_prefix(newline + 1);
        enqueue(std::move(partial_line_));
        partial_line_.clear();
    }
}

void webhook_sink::enqueue(std::string line) {
    if (line.empty()) {
        return;
    }
    std::unique_lock lock(state_->mutex);
    // Backpressure: the pipeline waits here while the endpoint is down and the buffer is full.
    state_->changed.wait(lock, [&] {
        return !state_->failure.empty() || state_->queue.size() < state_->settings.max_buffered;
    });
    if (!state_->failure.empty()) {
        throw std::runtime_error(state_->failure);
    }
    state_->queue.push_back(std::move(line));
    state_->changed.notify_all();
}

void webhook_sink::flush() {
    const std::lock_guard lock(state_->mutex);
    if (!state_->failure.empty()) {
        throw std::runtime_error(state_->failure);
    }
}

void webhook_sink::sync() {
    std::unique_lock lock(state_->mutex);
    state_->changed.wait(lock, [&] { return !state_->failure.empty() || state_->queue.empty(); });
    if (!state_->failure.empty()) {
        throw std::runtime_error(state_->failure);
    }
}

void webhook_sink::truncate(std::uint64_t /*size*/) {
    throw std::logic_error(name() + ": a webhook cannot be truncated");
}

std::string webhook_sink::name() const { return state_->name(); }

std::uint64_t webhook_sink::delivered() const {
    const std::lock_guard lock(state_->mutex);
    return state_->delivered;
}

// ---------------------------------------------------------------------------------------------

namespace {

/// What an optional webhook without its URL becomes: output is dropped, nothing is delivered.
class skipped_sink final : public pipeline::line_sink {
  public:
    explicit skipped_sink(std::string name) : name_(std::move(name)) {}
    void write(std::string_view bytes) override { position_ += bytes.size(); }
    void flush() override {}
    void sync() override {}
    [[nodiscard]] std::uint64_t position() const override { return position_; }
    [[nodiscard]] bool truncatable() const override { return false; }
    void truncate(std::uint64_t /*size*/) override {
        throw std::logic_error(name_ + ": a skipped sink cannot be truncated");
    }
    [[nodiscard]] std::string name() const override { return name_; }

  private:
    std::string name_;
    std::uint64_t position_ = 0;
};

double option_positive(const pipeline::endpoint_config& endpoint, std::string_view key,
                       double fallback) {
    const std::string text = pipeline::option_string(endpoint, key, "");
    if (text.empty()) {
        return fallback;
    }
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || !(value > 0.0) ||
        value > 1000.0) {
        throw std::invalid_argument("config: " + endpoint.section + "." + std::string(key) +
                                    " must be a number in (0, 1000]; got '" + text + "'");
    }
    return value;
}

}  // namespace

std::unique_ptr<pipeline::line_sink> make_webhook_sink(const pipeline::endpoint_config& endpoint) {
    using pipeline::option_int;
    using pipeline::option_string;
    pipeline::reject_unknown_options(
        endpoint, {"url_env", "format", "max_batch", "rate", "burst", "max_buffered", "timeout",
                   "device_field", "time_field", "value_field", "score_field", "optional"});
    const bool optional = pipeline::option_bool(endpoint, "optional", false);
    const std::string variable = option_string(endpoint, "url_env");
    if (optional) {
        const char* value = std::getenv(variable.c_str());
        if (value == nullptr || *value == '\0') {
            std::fprintf(stderr,
                         "streamcp: notice: %s (webhook) skipped: it is optional and the "
                         "environment variable %s is unset or empty\n",
                         endpoint.section.c_str(), variable.c_str());
            return std::make_unique<skipped_sink>(endpoint.section + " (webhook, skipped)");
        }
    }
    webhook_settings settings;
    settings.url = pipeline::secret_from_env(endpoint, "url");
    settings.section = endpoint.section;
    const std::string format = option_string(endpoint, "format", "array");
    if (format == "slack") {
        settings.format = webhook_format::slack;
    } else if (format != "array") {
        throw std::invalid_argument("config: " + endpoint.section +
                                    ".format must be one of array, slack; got '" + format + "'");
    }
    settings.fields.device = option_string(endpoint, "device_field", settings.fields.device);
    settings.fields.time = option_string(endpoint, "time_field", settings.fields.time);
    settings.fields.value = option_string(endpoint, "value_field", settings.fields.value);
    settings.fields.score = option_string(endpoint, "score_field", settings.fields.score);
    // 500 ids of 33 bytes keep the header within common servers' 64 KB line limits.
    settings.max_batch = static_cast<std::size_t>(option_int(endpoint, "max_batch", 20, 1, 500));
    settings.max_buffered = static_cast<std::size_t>(
        option_int(endpoint, "max_buffered", 10000, 1, std::int64_t{1} << 24));
    if (settings.max_buffered < settings.max_batch) {
        throw std::invalid_argument("config: " + endpoint.section +
                                    ".max_buffered must be >= max_batch (" +
                                    std::to_string(settings.max_batch) + ")");
    }
    settings.rate = option_positive(endpoint, "rate", settings.rate);
    settings.burst = static_cast<double>(option_int(endpoint, "burst", 3, 1, 1000));
    const auto timeout = pipeline::option_duration(endpoint, "timeout", settings.timeout);
    if (timeout < std::chrono::milliseconds(1)) {
        throw std::invalid_argument("config: " + endpoint.section + ".timeout must be >= 1ms");
    }
    settings.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
    return std::make_unique<webhook_sink>(std::move(settings));
}

}  // namespace streamcp::adapters
