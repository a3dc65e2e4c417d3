// SPDX-License-Identifier: MIT
// _core.function: AnomalyDetectionChangePoint and AnomalyDetectionSpikeAndDip, one model
// per partition key. Times arrive as int64 100 ns ticks since the Unix epoch (the Python
// layer converts every accepted timestamp form); durations as int64 nanoseconds.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <pybind11/stl.h>

#include "streamcp_py.hpp"

namespace streamcp_py {
namespace {

using namespace pybind11::literals;

/// 100 ns ticks since 1970 as an event time (the Python layer truncates finer times).
streamcp::event_time time_of(std::int64_t ticks) {
    return streamcp::event_time{streamcp::tick_duration{ticks}};
}

/// A partition key: None (the NULL key), an integer or a string; 1 and "1" differ.
using key_type = std::variant<std::monostate, std::int64_t, std::string>;

using change_point_function = streamcp::anomaly_detection_change_point<key_type>;
using spike_and_dip_function = streamcp::anomaly_detection_spike_and_dip<key_type>;
using robust_function = streamcp::robust_change_point_function<key_type>;

using int64_array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
using double_array = py::array_t<double, py::array::c_style | py::array::forcecast>;
using bool_array = py::array_t<bool, py::array::c_style | py::array::forcecast>;

void check_length(const char* name, std::size_t size, std::size_t expected) {
    if (size != expected) {
        throw py::value_error(std::string(name) + " has " + std::to_string(size) +
                              " elements; values has " + std::to_string(expected));
    }
}

std::string key_repr(const key_type& key) {
    if (std::holds_alternative<std::monostate>(key)) {
        return "None";
    }
    if (const auto* i = std::get_if<std::int64_t>(&key)) {
        return std::to_string(*i);
    }
    return py::repr(py::str(std::get<std::string>(key))).cast<std::string>();
}

/// An integral float as an integer key (a NaN as the NULL key): pandas turns an integer key
/// column with a missing value into floats.
key_type float_key(double v, const std::function<std::string()>& where) {
    if (std::isnan(v)) {
        return std::monostate{};
    }
    // 2^63 is exactly representable; every integral double below it fits in int64.
    if (v != std::trunc(v) || v < -0x1p63 || v >= 0x1p63) {
        throw py::type_error(where() + " must be a str, an int or None; got the float " +
                             py::repr(py::float_(v)).cast<std::string>() +
                             " (an integral float is an integer key)");
    }
    return static_cast<std::int64_t>(v);
}

key_type to_key(py::handle h, const std::function<std::string()>& where) {
    PyObject* o = h.ptr();
    if (o == Py_None) {
        return std::monostate{};
    }
    if (PyUnicode_Check(o)) {
        Py_ssize_t size = 0;
        const char* text = PyUnicode_AsUTF8AndSize(o, &size);
        if (text == nullptr) {
            throw py::error_already_set();
        }
        return std::string(text, static_cast<std::size_t>(size));
    }
    if (PyFloat_Check(o)) {
        return float_key(PyFloat_AS_DOUBLE(o), where);
    }
    if (!PyBool_Check(o) && PyIndex_Check(o)) {
        const py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(o));
        if (!index) {
            throw py::error_already_set();
        }
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
        if (overflow != 0) {
            throw py::value_error(where() + " = " + py::repr(h).cast<std::string>() +
                                  " is out of range: an integer key must fit in int64");
        }
        if (v == -1 && PyErr_Occurred() != nullptr) {
            throw py::error_already_set();
        }
        return static_cast<std::int64_t>(v);
    }
    throw py::type_error(where() + " must be a str, an int or None; got " +
                         std::string(Py_TYPE(o)->tp_name));
}

/// Keys for a batch, converted once here: None (every event in the NULL partition), or a
/// 1-d array of integers, floats (integral, or NaN for NULL) or objects (str / int / None).
std::vector<key_type> to_keys(const py::object& keys, std::size_t n) {
    std::vector<key_type> out;
    if (keys.is_none()) {
        out.resize(n);
        return out;
    }
    if (!py::isinstance<py::array>(keys)) {
        throw py::type_error("keys must be None or a one-dimensional array");
    }
    const auto array = py::reinterpret_borrow<py::array>(keys);
    if (array.ndim() != 1) {
        throw py::value_error("keys must be one-dimensional; got " + std::to_string(array.ndim()) +
                              " dimensions");
    }
    check_length("keys", static_cast<std::size_t>(array.shape(0)), n);
    out.reserve(n);
    const auto where = [](std::size_t i) {
        return [i] { return "keys[" + std::to_string(i) + "]"; };
    };
    switch (array.dtype().kind()) {
        case 'u':
            if (array.itemsize() == 8) {
                const auto u =
                    py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>::ensure(
                        keys);
                for (std::size_t i = 0; i < n; ++i) {
                    if (u.data()[i] >
                        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                        throw py::value_error(where(i)() + " = " + std::to_string(u.data()[i]) +
                                              " is out of range: an integer key must fit in int64");
                    }
                }
            }
            [[fallthrough]];
        case 'i': {
            const auto ints = int64_array::ensure(keys);
            for (std::size_t i = 0; i < n; ++i) {
                out.emplace_back(std::in_place_type<std::int64_t>, ints.data()[i]);
            }
            return out;
        }
        case 'f': {
            const auto floats = double_array::ensure(keys);
            for (std::size_t i = 0; i < n; ++i) {
                out.push_back(float_key(floats.data()[i], where(i)));
            }
            return out;
        }
        case 'O': {
            const auto objects = py::array::ensure(keys, py::array::c_style);
            auto* const* items = static_cast<PyObject* const*>(objects.data());
            for (std::size_t i = 0; i < n; ++i) {
                out.push_back(to_key(items[i], where(i)));
            }
            return out;
        }
        case 'U': {
            const py::list items = array.attr("tolist")();
            for (std::size_t i = 0; i < n; ++i) {
                out.push_back(to_key(items[i], where(i)));
            }
            return out;
        }
        default:
            throw py::type_error("keys must hold str, int or None; got an array of dtype " +
                                 py::str(array.dtype()).cast<std::string>());
    }
}

py::object key_object(const key_type& key) {
    if (const auto* i = std::get_if<std::int64_t>(&key)) {
        return py::int_(*i);
    }
    if (const auto* text = std::get_if<std::string>(&key)) {
        return py::str(*text);
    }
    return py::none();
}

[[noreturn]] void rethrow_with_key(const streamcp::batch_error& e,
                                   const std::vector<key_type>& keys) {
    const key_type& key = keys.at(e.index());
    raise_batch_error(e, key_object(key), " (key " + key_repr(key) + ")");
}

/// The writable float64 array `p_values` (one element per event) as a span; empty for None.
std::span<double> p_value_output(const py::object& p_values, std::size_t n) {
    if (p_values.is_none()) {
        return {};
    }
    auto array = py::reinterpret_borrow<py::array>(p_values);
    if (!py::isinstance<py::array_t<double>>(p_values) || array.ndim() != 1 ||
        (array.flags() & py::array::c_style) == 0 || !array.writeable()) {
        throw py::type_error("p_values must be None or a writable contiguous float64 array");
    }
    check_length("p_values", static_cast<std::size_t>(array.shape(0)), n);
    return {static_cast<double*>(array.mutable_data()), n};
}

/// `evaluate_many` of a bound function: validated as a whole first (GIL released), one
/// (score, is_anomaly, included) row per event; each event's p-value into `p_values` if given.
template <class G>
py::array_t<function_row> evaluate_batch(G& self, const py::object& keys,
                                         const int64_array& times_ticks, const double_array& values,
                                         const py::object& when, const py::object& p_values) {
    if (values.ndim() != 1 || times_ticks.ndim() != 1) {
        throw py::value_error("timestamps and values must be one-dimensional");
    }
    const auto n = static_cast<std::size_t>(values.shape(0));
    check_length("timestamps", static_cast<std::size_t>(times_ticks.shape(0)), n);
    const std::vector<key_type> k = to_keys(keys, n);
    bool_array w;
    if (!when.is_none()) {
        w = bool_array::ensure(when);
        if (!w || w.ndim() != 1) {
            throw py::value_error("when must be a one-dimensional boolean array");
        }
        check_length("when", static_cast<std::size_t>(w.shape(0)), n);
    }
    const std::span<double> p = p_value_output(p_values, n);
    py::array_t<function_row> out(static_cast<py::ssize_t>(n));
    function_row* rows = out.mutable_data();
    try {
        const py::gil_scoped_release no_gil;
        std::vector<streamcp::event_time> t(n);
        std::vector<std::optional<double>> v(n);
        const std::int64_t* tp = times_ticks.data();
        const double* vp = values.data();
        for (std::size_t i = 0; i < n; ++i) {
            t[i] = time_of(tp[i]);
            if (!std::isnan(vp[i])) {
                v[i] = vp[i];
            }
        }
        const std::span<const bool> ws =
            when.is_none() ? std::span<const bool>{} : std::span<const bool>{w.data(), n};
        std::vector<std::optional<streamcp::record>> results(n);
        locked(self, [&](auto& f) { f.evaluate_many(k, t, v, ws, results, p); });
        for (std::size_t i = 0; i < n; ++i) {
            const auto& r = results[i];
            rows[i] = r ? function_row{r->score.value_or(std::numeric_limits<double>::quiet_NaN()),
                                       r->is_anomaly, true}
                        : function_row{std::numeric_limits<double>::quiet_NaN(), false, false};
        }
    } catch (const streamcp::batch_error& e) {
        rethrow_with_key(e, k);
    }
    return out;
}

/// What every bound function has: `evaluate_many`, `snapshot` and `restore`.
template <class Function>
void bind_batch(py::class_<guarded<Function>>& cls) {
    using G = guarded<Function>;
    cls.def(
        "evaluate_many",
        [](G& self, const py::object& keys, const int64_array& times_ticks,
           const double_array& values, const py::object& when, const py::object& p_values) {
            return evaluate_batch(self, keys, times_ticks, values, when, p_values);
        },
        "keys"_a, "times_ticks"_a, "values"_a, "when"_a = py::none(), "p_values"_a = py::none(),
        "Scores events in order (GIL released), validated as a whole first; each event's "
        "p-value into `p_values` (NaN where NULL) when given.");
    def_snapshots(cls);
    def_readonly(cls, "partition_count", [](const Function& f) { return f.partition_count(); });
}

template <class Function>
void bind_function(py::class_<guarded<Function>>& cls) {
    using G = guarded<Function>;
    cls.def(
        "evaluate",
        [](G& self, py::handle key, std::int64_t time_ticks, std::optional<double> value,
           bool when) -> py::tuple {
            const key_type k = to_key(key, [] { return std::string{"key"}; });
            if (value && std::isnan(*value)) {
                value.reset();  // in Python, NaN and None both mean NULL
            }
            std::optional<streamcp::record> r;
            try {
                r = locked(self, [&](Function& f) {
                    return f.evaluate(k, time_of(time_ticks), value, when);
                });
            } catch (const std::invalid_argument& e) {
                throw py::value_error("key " + key_repr(k) + ": " + e.what());
            }
            if (!r) {
                return py::make_tuple(std::numeric_limits<double>::quiet_NaN(), false, false);
            }
            return py::make_tuple(r->score.value_or(std::numeric_limits<double>::quiet_NaN()),
                                  static_cast<bool>(r->is_anomaly), true);
        },
        "key"_a, "time_ticks"_a, "value"_a, "when"_a = true,
        "Scores one event: (score, is_anomaly, included); NaN/False/False when NULL.");
    bind_batch(cls);
    cls.def(
        "evict_idle",
        [](G& self, std::int64_t now_ticks, std::int64_t max_idle_ns) {
            return locked(self, [&](Function& f) {
                return f.evict_idle(time_of(now_ticks), std::chrono::nanoseconds{max_idle_ns});
            });
        },
        "now_ticks"_a, "max_idle_ns"_a);
    def_readonly(cls, "confidence", [](const Function& f) { return f.confidence(); });
    def_readonly(cls, "history", [](const Function& f) { return f.history(); });
    def_readonly(cls, "duration_ns", [](const Function& f) { return f.duration().count(); });
    def_readonly(cls, "fractional_confidence",
                 [](const Function& f) { return f.options().fractional_confidence; });
    def_readonly(cls, "idle_ttl_ns",
                 [](const Function& f) { return f.options().idle_ttl.count(); });
    def_readonly(cls, "kernel", [](const Function& f) {
        return std::string(streamcp::to_string(f.options().kernel));
    });
    def_readonly(cls, "threshold", [](const Function& f) {
        return typename Function::model_type{f.partition_model_options()}.threshold();
    });
}

streamcp::function_options make_options(bool fractional_confidence, std::int64_t idle_ttl_ns,
                                        const std::string& kernel) {
    return {.fractional_confidence = fractional_confidence,
            .idle_ttl = std::chrono::nanoseconds{idle_ttl_ns},
            .kernel = parse_kernel(kernel)};
}

}  // namespace

void register_functions(py::module_& m) {
    PYBIND11_NUMPY_DTYPE(function_row, score, is_anomaly, included);
    export_dtype<function_row>(m, "FUNCTION_DTYPE");

    using cpf = guarded<change_point_function>;
    py::class_<cpf> cp(
        m, "AnomalyDetectionChangePoint",
        "ASA's AnomalyDetection_ChangePoint per partition key (semantics.md#asa-mapping).");
    cp.def(py::init([](double confidence, std::int64_t history, std::int64_t duration_ns,
                       bool fractional_confidence, std::int64_t idle_ttl_ns,
                       const std::string& kernel) {
               return std::make_unique<cpf>(
                   confidence, history, std::chrono::nanoseconds{duration_ns},
                   make_options(fractional_confidence, idle_ttl_ns, kernel));
           }),
           "confidence"_a, "history"_a, "duration_ns"_a, "fractional_confidence"_a = false,
           "idle_ttl_ns"_a = 0, "kernel"_a = "exact");
    bind_function(cp);

    using sdf = guarded<spike_and_dip_function>;
    py::class_<sdf> sd(
        m, "AnomalyDetectionSpikeAndDip",
        "ASA's AnomalyDetection_SpikeAndDip per partition key (semantics.md#spike-and-dip).");
    sd.def(
        py::init([](double confidence, std::int64_t history, const std::string& mode,
                    std::int64_t duration_ns, bool fractional_confidence, std::int64_t idle_ttl_ns,
                    const std::string& kernel) {
            return std::make_unique<sdf>(confidence, history, streamcp::parse_spike_mode(mode),
                                         std::chrono::nanoseconds{duration_ns},
                                         make_options(fractional_confidence, idle_ttl_ns, kernel));
        }),
        "confidence"_a, "history"_a, "mode"_a, "duration_ns"_a, "fractional_confidence"_a = false,
        "idle_ttl_ns"_a = 0, "kernel"_a = "exact");
    bind_function(sd);
    def_readonly(sd, "mode", [](const spike_and_dip_function& f) {
        return std::string(streamcp::to_string(f.partition_model_options().mode));
    });

    using rf = guarded<robust_function>;
    py::class_<rf> robust(m, "RobustChangePoint",
                          "The recommended (robust) change-point detector per partition key, "
                          "with the ASA functions' rules; not ASA-compatible.");
    robust.def(py::init([](const guarded<streamcp::robust_change_point_detector>& model,
                           std::int64_t duration_ns) {
                   return std::make_unique<rf>(model.value.options(),
                                               std::chrono::nanoseconds{duration_ns});
               }),
               "model"_a, "duration_ns"_a,
               "One detector per key with `model`'s options (its state is not used).");
    bind_batch(robust);
}

}  // namespace streamcp_py
