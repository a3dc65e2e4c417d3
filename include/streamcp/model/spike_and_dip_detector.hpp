// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/core/batch_check.hpp"
#include "streamcp/core/kde_pvalue.hpp"
#include "streamcp/core/kde_pvalue_fast.hpp"
#include "streamcp/core/p_value.hpp"
#include "streamcp/core/ring_buffer.hpp"
#include "streamcp/detail/model_access.hpp"
#include "streamcp/detail/validate.hpp"
#include "streamcp/state/byte_codec.hpp"
#include "streamcp/state/model_snapshot.hpp"
#include "streamcp/state/snapshot.hpp"

STREAMCP_BEGIN_NAMESPACE

/// Which side of the distribution alerts (ASA's `mode`; ML.NET's `AnomalySide`).
enum class spike_mode : std::uint8_t {
    spikes = 1,          ///< Positive: unusually high values
    dips = 2,            ///< Negative: unusually low values
    spikes_and_dips = 3  ///< TwoSided
};

[[nodiscard]] constexpr std::string_view to_string(spike_mode mode) noexcept {
    switch (mode) {
        case spike_mode::spikes:
            return "spikes";
        case spike_mode::dips:
            return "dips";
        case spike_mode::spikes_and_dips:
            return "spikesanddips";
    }
    return "unknown";
}

/// Parses ASA's mode names `spikes`, `dips`, `spikesanddips` (case-insensitive).
[[nodiscard]] inline spike_mode parse_spike_mode(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "spikes") {
        return spike_mode::spikes;
    }
    if (lower == "dips") {
        return spike_mode::dips;
    }
    if (lower == "spikesanddips" || lower == "spikes_and_dips") {
        return spike_mode::spikes_and_dips;
    }
    throw std::invalid_argument(
        fmt::format("mode = \"{}\" is out of range: allowed spikes, dips or spikesanddips", text));
}

struct spike_and_dip_options {
    /// Percent in [0, 100]; alert when p <= 1 - confidence/100.
    double confidence = 99.0;
    /// The KDE sample size and the warm-up, in events, >= 1.
    std::int64_t history = 20;
    spike_mode mode = spike_mode::spikes_and_dips;

    friend bool operator==(const spike_and_dip_options&, const spike_and_dip_options&) = default;
};

struct spike_and_dip_result {
    /// The one- or two-sided p-value, clamped to [1e-8, 1 - 1e-8]: ASA's `Score`.
    double p_value;
    bool is_anomaly;
};

/// ML.NET's `IidSpikeDetector` on one series (semantics.md#kde-p-value, #spike-and-dip): the same
/// KDE p-value as the change-point detector, no martingale, no cooldown.
class spike_and_dip_detector {
  public:
    /// `kernel` picks the KDE kernel; it is not state (snapshots neither record nor compare it).
    explicit spike_and_dip_detector(const spike_and_dip_options& options,
                                    kernel_path kernel = kernel_path::exact)
        : options_(validated(options)),
          history_(static_cast<std::size_t>(options.history)),
          threshold_(1.0 - options.confidence / 100.0),
          kernel_(kernel) {}

    /// Scores one value (rounded to float32). NaN yields {NaN, false} and changes nothing;
    /// ±inf or a value beyond float32's range throws and changes nothing.
    spike_and_dip_result update(double value) { return step(detail::to_model_value(value)); }

    spike_and_dip_result step(float x) {
        if (std::isnan(x)) {
            return {std::numeric_limits<double>::quiet_NaN(), false};
        }
        double p = kernel_ == kernel_path::exact ? kde_pvalue(history_, pairwise_sum_, x)
                                                 : kde_pvalue_fast(history_, pairwise_sum_, x);
        if (options_.mode == spike_mode::dips) {
            p = 1.0 - p;
        } else if (options_.mode == spike_mode::spikes_and_dips) {
            p = std::min(p, 1.0 - p);
        }
        p = clamp_p_value(p);
        history_.push_back(x);
        return {p, history_.full() && p <= threshold_};
    }

    void update_many(std::span<const double> values, std::span<spike_and_dip_result> out) {
        detail::check_batch(values, out.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            out[i] = step(static_cast<float>(values[i]));
        }
    }

    [[nodiscard]] const spike_and_dip_options& options() const noexcept { return options_; }
    /// Alerts fire at p-values at or below this: 1 - confidence/100.
    [[nodiscard]] double threshold() const noexcept { return threshold_; }
    [[nodiscard]] std::size_t fill() const noexcept { return history_.size(); }
    [[nodiscard]] kernel_path kernel() const noexcept { return kernel_; }
    void set_kernel(kernel_path kernel) noexcept { kernel_ = kernel; }

    static constexpr snapshot_kind kind = snapshot_kind::spike_and_dip_detector;

    /// The whole state and the options, in the versioned snapshot format (docs/snapshot.md).
    [[nodiscard]] std::vector<std::byte> snapshot() const { return detail::snapshot_model(*this); }

    /// Replaces the state with a snapshot's; throws `snapshot_error` and changes nothing when
    /// the snapshot is damaged, foreign or was taken with other options.
    void restore(std::span<const std::byte> bytes) { detail::restore_model(*this, bytes); }

    [[nodiscard]] static spike_and_dip_detector from_snapshot(
        std::span<const std::byte> bytes, kernel_path kernel = kernel_path::exact) {
        return detail::model_from_snapshot<spike_and_dip_detector>(bytes, kernel);
    }

  private:
    friend struct detail::model_access;

    void save_state(byte_writer& w) const {
        detail::write_ring(w, history_);
        w.f64(pairwise_sum_);
    }

    void load_state(byte_reader& r) {
        ring_buffer<float> values =
            detail::read_history(r, static_cast<std::size_t>(options_.history));
        pairwise_sum_ = r.f64();
        history_ = std::move(values);
    }

    void write_options(byte_writer& w) const {
        w.f64(options_.confidence);
        w.i64(options_.history);
        w.u8(static_cast<std::uint8_t>(options_.mode));
    }

    static spike_and_dip_options read_options(byte_reader& r) {
        spike_and_dip_options o;
        o.confidence = r.f64();
        o.history = r.i64();
        const std::uint8_t mode = r.u8();
        if (mode < 1 || mode > 3) {
            throw snapshot_error(fmt::format("unknown spike mode {}", mode));
        }
        o.mode = static_cast<spike_mode>(mode);
        try {
            return validated(o);
        } catch (const std::invalid_argument& e) {
            throw snapshot_error(std::string("invalid options: ") + e.what());
        }
    }

    static spike_and_dip_options validated(const spike_and_dip_options& o) {
        detail::check_closed("confidence", o.confidence, 0.0, 100.0);
        detail::check_history(o.history);
        if (o.mode != spike_mode::spikes && o.mode != spike_mode::dips &&
            o.mode != spike_mode::spikes_and_dips) {
            detail::throw_out_of_range("mode", std::to_string(static_cast<int>(o.mode)),
                                       "allowed spikes, dips or spikesanddips");
        }
        return o;
    }

    spike_and_dip_options options_;
    ring_buffer<float> history_;
    double pairwise_sum_ = 0.0;
    double threshold_;
    kernel_path kernel_;
};

STREAMCP_END_NAMESPACE
