// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "streamcp/config.hpp"
#include "streamcp/core/ring_buffer.hpp"
#include "streamcp/detail/model_access.hpp"
#include "streamcp/state/byte_codec.hpp"
#include "streamcp/state/snapshot.hpp"

STREAMCP_BEGIN_NAMESPACE
namespace detail {

/// Writes a ring buffer (or ring span) as a count and its elements, oldest first.
template <class Ring>
void write_ring(byte_writer& w, const Ring& ring) {
    using T = std::remove_cvref_t<decltype(ring[0])>;
    w.u64(ring.size());
    for (std::size_t i = 0; i < ring.size(); ++i) {
        if constexpr (std::is_same_v<T, float>) {
            w.f32(ring[i]);
        } else {
            w.f64(ring[i]);
        }
    }
}

/// Reads a model's float32 history of at most `window` finite values.
inline ring_buffer<float> read_history(byte_reader& r, std::size_t window) {
    const std::size_t n = r.length(sizeof(float));
    if (n > window) {
        throw snapshot_error(
            fmt::format("history holds {} values, more than the window of {}", n, window));
    }
    ring_buffer<float> values{window};
    for (std::size_t i = 0; i < n; ++i) {
        const float v = r.f32();
        if (!std::isfinite(v)) {
            throw snapshot_error("history holds a non-finite value");
        }
        values.push_back(v);
    }
    return values;
}

/// The envelope around a single-series model: its options, then its state.
template <class Model>
std::vector<std::byte> snapshot_model(const Model& model) {
    byte_writer w;
    model_access::write_options(model, w);
    model_access::save_state(model, w);
    return snapshot_format::seal(Model::kind, w.bytes());
}

template <class Model, class... Extra>
Model model_from_snapshot(std::span<const std::byte> bytes, Extra... extra) {
    byte_reader r{snapshot_format::open(bytes, Model::kind)};
    Model model{model_access::read_options<Model>(r), extra...};
    model_access::load_state(model, r);
    r.expect_end();
    return model;
}

/// Restores into `model` only if the snapshot records the same options; all or nothing.
template <class Model>
void restore_model(Model& model, std::span<const std::byte> bytes) {
    auto restored = model_from_snapshot<Model>(bytes);
    if (!(restored.options() == model.options())) {
        throw snapshot_error("recorded with other options than this detector's");
    }
    if constexpr (requires { model.set_kernel(model.kernel()); }) {
        restored.set_kernel(model.kernel());  // the kernel is a choice, not state: keep ours
    }
    model = std::move(restored);
}

}  // namespace detail
STREAMCP_END_NAMESPACE
