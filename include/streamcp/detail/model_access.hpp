// SPDX-License-Identifier: MIT
#pragma once

#include <utility>

#include "streamcp/config.hpp"
#include "streamcp/state/byte_codec.hpp"

STREAMCP_BEGIN_NAMESPACE
namespace detail {

/// The one door to a model's serialization hooks and state, which are not public API: the
/// snapshot envelope, the partitioned functions and the partition store go through here.
/// Every model declares `friend struct detail::model_access;`.
struct model_access {
    /// Writes the model's options, as `read_options` reads them back.
    template <class Model>
    static void write_options(const Model& model, byte_writer& w) {
        model.write_options(w);
    }

    /// Reads and validates options; throws `snapshot_error`.
    template <class Model>
    [[nodiscard]] static auto read_options(byte_reader& r) {
        return Model::read_options(r);
    }

    /// Writes the model's state (no options, no envelope).
    template <class Model>
    static void save_state(const Model& model, byte_writer& w) {
        model.save_state(w);
    }

    /// Reads what `save_state` wrote, validating it against the model's options.
    template <class Model>
    static void load_state(Model& model, byte_reader& r) {
        model.load_state(r);
    }

    /// `Model::save_state`'s layout over state held anywhere (the partition store's slots).
    template <class Model, class... State>
    static void write_state(byte_writer& w, const State&... state) {
        Model::write_state(w, state...);
    }

    /// `Model::step`'s numerics over state held anywhere (the partition store's slots).
    template <class Model, class... Args>
    static auto step_over(Args&&... args) {
        return Model::step_over(std::forward<Args>(args)...);
    }

    /// Read access to a change-point model's state, so a store can copy it into its own layout.
    template <class Model>
    [[nodiscard]] static const auto& history(const Model& model) noexcept {
        return model.history_;
    }
    template <class Model>
    [[nodiscard]] static double pairwise_sum(const Model& model) noexcept {
        return model.pairwise_sum_;
    }
    template <class Model>
    [[nodiscard]] static const auto& martingale(const Model& model) noexcept {
        return model.martingale_;
    }
    template <class Model>
    [[nodiscard]] static int cooldown_remaining(const Model& model) noexcept {
        return model.cooldown_.remaining();
    }
};

}  // namespace detail
STREAMCP_END_NAMESPACE
