// SPDX-License-Identifier: MIT
// _core.order: the CLI's per-key ordering stage (docs/semantics.md#order) for Python callers
// (streamcp.spark), the runtime's own `key_order` rule over event indices instead of decoded
// events.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/stl.h>

#include "key_order.hpp"
#include "streamcp_py.hpp"

namespace streamcp_py {
namespace {

using namespace pybind11::literals;
using streamcp::event_time;
using streamcp::pipeline::out_of_order_action;
// A held event's payload is its index in the caller's arrays.
using index_order = streamcp::pipeline::key_order<std::size_t>;

using times_array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

std::span<const std::int64_t> one_dimensional_times(const times_array& times, const char* name) {
    if (times.ndim() != 1) {
        throw py::value_error(std::string(name) + " must be one-dimensional; got " +
                              std::to_string(times.ndim()) + " dimensions");
    }
    return {times.data(), static_cast<std::size_t>(times.shape(0))};
}

// Python callers speak int64 nanoseconds (datetime64[ns]); event times are whole ticks, and
// finer times truncate toward the past as everywhere (docs/semantics.md#time).
event_time to_time(std::int64_t ns) {
    return streamcp::to_event_time(
        std::chrono::sys_time<std::chrono::nanoseconds>{std::chrono::nanoseconds{ns}});
}

std::int64_t to_ns(event_time time) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

streamcp::pipeline::order_tolerance to_tolerance(std::int64_t tolerance_ns) {
    if (tolerance_ns < 0) {
        throw py::value_error("tolerance_ns = " + std::to_string(tolerance_ns) +
                              " is out of range: allowed 0 or more");
    }
    return streamcp::pipeline::order_tolerance::of(std::chrono::nanoseconds{tolerance_ns});
}

/// Keys' arrivals through their stages: the time each event gets and whether it was dropped
/// (per arrival), and the indices released, in release order.
class stage_output {
  public:
    stage_output(std::span<std::int64_t> times, std::span<bool> dropped)
        : times_(times), dropped_(dropped) {
        released_.reserve(times.size());
    }

    void arrive(index_order& key, std::size_t index, event_time time,
                const streamcp::pipeline::order_tolerance& tolerance, out_of_order_action action) {
        const index_order::arrival arrival = key.arrive(time, tolerance, action);
        times_[index] = to_ns(arrival.time);
        if (arrival.what == index_order::verdict::drop) {
            dropped_[index] = true;
        } else if (arrival.what == index_order::verdict::release) {
            released_.push_back(static_cast<std::int64_t>(index));
        } else {
            key.hold(time, index, index);
            key.release_due(tolerance, [this](index_order::held_event&& held) {
                released_.push_back(static_cast<std::int64_t>(held.payload));
            });
        }
    }

    /// The end of the input: every held event, in (time, arrival) order.
    void flush(index_order& key) {
        std::vector<index_order::held_event> held = key.take_held();
        std::sort(held.begin(), held.end(),
                  [](const auto& a, const auto& b) { return index_order::later_first(b, a); });
        for (const index_order::held_event& event : held) {
            released_.push_back(static_cast<std::int64_t>(event.payload));
        }
    }

    [[nodiscard]] const std::vector<std::int64_t>& released() const noexcept { return released_; }

  private:
    std::span<std::int64_t> times_;
    std::span<bool> dropped_;
    std::vector<std::int64_t> released_;
};

py::array_t<std::int64_t> to_array(const std::vector<std::int64_t>& items) {
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(items.size()));
    std::copy(items.begin(), items.end(), out.mutable_data());
    return out;
}

/// Many keys, each from its first event to the end of the input (streamcp.spark's batch).
py::tuple order_keys(const times_array& segments_in, const times_array& times_in,
                     std::int64_t tolerance_ns, bool drop) {
    const auto segments = one_dimensional_times(segments_in, "segments");
    const auto times = one_dimensional_times(times_in, "times_ns");
    if (segments.size() != times.size()) {
        throw py::value_error("segments has " + std::to_string(segments.size()) +
                              " elements; times_ns has " + std::to_string(times.size()));
    }
    const streamcp::pipeline::order_tolerance tolerance = to_tolerance(tolerance_ns);
    const out_of_order_action action =
        drop ? out_of_order_action::drop : out_of_order_action::adjust;
    const std::size_t n = times.size();
    py::array_t<std::int64_t> effective(static_cast<py::ssize_t>(n));
    py::array_t<bool> dropped(static_cast<py::ssize_t>(n));
    py::array_t<bool> held_at_end(static_cast<py::ssize_t>(n));
    stage_output out{{effective.mutable_data(), n}, {dropped.mutable_data(), n}};
    {
        const py::gil_scoped_release no_gil;
        std::fill_n(dropped.mutable_data(), n, false);
        std::fill_n(held_at_end.mutable_data(), n, false);
        std::size_t start = 0;
        while (start < n) {
            std::size_t end = start + 1;
            while (end < n && segments[end] == segments[start]) {
                ++end;
            }
            index_order key{to_time(times[start])};
            for (std::size_t i = start; i < end; ++i) {
                out.arrive(key, i, to_time(times[i]), tolerance, action);
            }
            for (const index_order::held_event& event : key.held()) {
                held_at_end.mutable_data()[event.payload] = true;
            }
            out.flush(key);
            start = end;
        }
    }
    return py::make_tuple(effective, dropped, to_array(out.released()), held_at_end);
}

/// One key's held events plus its new arrivals (streamcp.spark's streaming state).
py::tuple order_key(const times_array& held_in, const times_array& new_in,
                    std::optional<std::int64_t> latest, std::int64_t tolerance_ns, bool drop,
                    bool flush) {
    const auto held_times = one_dimensional_times(held_in, "held_times");
    const auto new_times = one_dimensional_times(new_in, "new_times");
    if (!latest && !held_times.empty()) {
        throw py::value_error("held_times needs the key's latest time: latest is None");
    }
    const streamcp::pipeline::order_tolerance tolerance = to_tolerance(tolerance_ns);
    const out_of_order_action action =
        drop ? out_of_order_action::drop : out_of_order_action::adjust;
    const std::size_t n_held = held_times.size();
    const std::size_t n = n_held + new_times.size();
    py::array_t<std::int64_t> effective(static_cast<py::ssize_t>(n));
    py::array_t<bool> dropped(static_cast<py::ssize_t>(n));
    stage_output out{{effective.mutable_data(), n}, {dropped.mutable_data(), n}};
    std::vector<std::int64_t> still_held;
    std::optional<std::int64_t> new_latest = latest;
    {
        const py::gil_scoped_release no_gil;
        std::fill_n(dropped.mutable_data(), n, false);
        std::vector<index_order::held_event> held;
        held.reserve(n_held);
        for (std::size_t i = 0; i < n_held; ++i) {
            effective.mutable_data()[i] = held_times[i];
            held.push_back(index_order::held_event{to_time(held_times[i]), i, i});
        }
        std::optional<index_order> key;
        if (latest) {
            key.emplace(to_time(*latest), std::move(held));
        }
        if (!key && !new_times.empty()) {
            key.emplace(to_time(new_times[0]));  // a new key: its first event is its latest time
        }
        for (std::size_t j = 0; j < new_times.size(); ++j) {
            out.arrive(*key, n_held + j, to_time(new_times[j]), tolerance, action);
        }
        if (key) {
            new_latest = to_ns(key->latest());
            if (flush) {
                out.flush(*key);
            }
            for (const index_order::held_event& event : key->held()) {
                still_held.push_back(static_cast<std::int64_t>(event.payload));
            }
            std::sort(still_held.begin(), still_held.end());
        }
    }
    return py::make_tuple(effective, dropped, to_array(out.released()), to_array(still_held),
                          new_latest ? py::object(py::int_(*new_latest)) : py::object(py::none()));
}

}  // namespace

void register_order(py::module_& m) {
    m.def("order_keys", &order_keys, "segments"_a, "times_ns"_a, "tolerance_ns"_a, "drop"_a,
          "Many keys' events (each key's contiguous, in arrival order) to the end of the input: "
          "(times, dropped, released, held_at_end).");
    m.def(
        "order_key", &order_key, "held_times"_a, "new_times"_a, "latest"_a, "tolerance_ns"_a,
        "drop"_a, "flush"_a,
        "One key's held events, then its new arrivals: (times, dropped, released, held, latest).");
}

}  // namespace streamcp_py
