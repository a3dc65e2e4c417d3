// SPDX-License-Identifier: MIT
// The binding layer's shared templates (not installed; not API): the lock around every bound
// object, snapshots, batch arrays and read-only options, so every register_*.cpp binds them the
// same way.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <streamcp/streamcp.hpp>

namespace streamcp_py {

namespace py = pybind11;

/// A bound C++ object and the lock that serialises calls on it. Batch calls take the lock
/// only after releasing the GIL, and nothing holding the lock ever waits for the GIL, so
/// a thread blocked on the lock never starves the thread that holds it.
template <class T>
struct guarded {
    template <class... Args>
    explicit guarded(Args&&... args) : value(std::forward<Args>(args)...) {}

    T value;
    std::mutex mutex;
};

// Rows of the structured arrays the batch calls return. Packed, so that their numpy dtypes
// are the plain ones (np.dtype([("score", "f8"), ...])) and survive np.concatenate.
#pragma pack(push, 1)
/// A row of `update_many`'s result (both detectors; SpikeAndDip's score is its p-value).
struct detector_row {
    double score;
    double p_value;
    bool is_anomaly;
};
/// A row of `evaluate_many`'s result.
struct function_row {
    double score;
    bool is_anomaly;
    bool included;
};
#pragma pack(pop)
static_assert(sizeof(detector_row) == 17 && sizeof(function_row) == 10);

[[nodiscard]] inline py::bytes to_bytes(const std::vector<std::byte>& data) {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
}

/// A view of a bytes object's contents (valid while `data` lives).
[[nodiscard]] inline std::span<const std::byte> as_span(const py::bytes& data) {
    char* buffer = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(data.ptr(), &buffer, &size) != 0) {
        throw py::error_already_set();
    }
    return {reinterpret_cast<const std::byte*>(buffer), static_cast<std::size_t>(size)};
}

/// "exact" or "fast"; anything else is a ValueError naming `kernel` and the choices.
[[nodiscard]] inline streamcp::kernel_path parse_kernel(const std::string& text) {
    if (text == "exact") {
        return streamcp::kernel_path::exact;
    }
    if (text == "fast") {
        return streamcp::kernel_path::fast;
    }
    throw py::value_error("kernel = '" + text + "' is out of range: allowed 'exact' or 'fast'");
}

/// Raises _core.BatchError "<field>[<index>]<context>: <reason>" (a ValueError) with the
/// attributes index, field ("timestamps" or "values"), key and reason.
[[noreturn]] void raise_batch_error(const streamcp::batch_error& e, const py::object& key,
                                    const std::string& context);

using values_array = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// A one-dimensional float64 array's elements.
[[nodiscard]] inline std::span<const double> one_dimensional(const values_array& values,
                                                             const char* name = "values") {
    if (values.ndim() != 1) {
        throw py::value_error(std::string(name) + " must be one-dimensional; got " +
                              std::to_string(values.ndim()) + " dimensions");
    }
    return {values.data(), static_cast<std::size_t>(values.shape(0))};
}

/// `read(self.value)` under the object's lock. Every read takes it, options included, so no
/// binding has to decide which reads are safe without it.
template <class T, class Read>
auto locked(guarded<T>& self, Read read) {
    const std::lock_guard lock{self.mutex};
    return read(self.value);
}

/// Read-only properties, each read under the lock: `def_readonly(cls, "history", [](const T& t)
/// { return t.options().history; }, ...)`.
template <class T, class Read>
void def_readonly(py::class_<guarded<T>>& cls, const char* name, Read read) {
    cls.def_property_readonly(name, [read](guarded<T>& self) {
        return locked(self, [&](const T& t) { return read(t); });
    });
}

/// A read-only property for one field of the object's `options()`:
/// `def_option(cls, "history", &change_point_options::history)`.
template <class T, class Options, class Field>
void def_option(py::class_<guarded<T>>& cls, const char* name, Field Options::*field) {
    def_readonly(cls, name, [field](const T& t) { return t.options().*field; });
}

/// `snapshot`, `restore` and, for types that have it, the static `from_snapshot`.
template <class T>
void def_snapshots(py::class_<guarded<T>>& cls) {
    using namespace pybind11::literals;
    cls.def(
           "snapshot",
           [](guarded<T>& self) {
               return to_bytes(locked(self, [](const T& t) { return t.snapshot(); }));
           },
           "The whole state and the options, in streamcp's versioned snapshot format.")
        .def(
            "restore",
            [](guarded<T>& self, const py::bytes& data) {
                locked(self, [&](T& t) { t.restore(as_span(data)); });
            },
            "data"_a,
            "Replaces the state with a snapshot's; ValueError (nothing changed) when the "
            "snapshot is damaged, foreign or was taken with other options.");
    // The kernel is a setting, not state: a snapshot does not record it, so it is chosen here.
    if constexpr (requires(std::span<const std::byte> bytes) {
                      T::from_snapshot(bytes, streamcp::kernel_path::exact);
                  }) {
        cls.def_static(
            "from_snapshot",
            [](const py::bytes& data, const std::string& kernel) {
                return std::make_unique<guarded<T>>(
                    T::from_snapshot(as_span(data), parse_kernel(kernel)));
            },
            "data"_a, "kernel"_a = "exact",
            "An object built from a snapshot, with the options it records and `kernel`.");
    } else if constexpr (requires(std::span<const std::byte> bytes) { T::from_snapshot(bytes); }) {
        cls.def_static(
            "from_snapshot",
            [](const py::bytes& data) {
                return std::make_unique<guarded<T>>(T::from_snapshot(as_span(data)));
            },
            "data"_a, "An object built from a snapshot, with the options it records.");
    }
}

/// `update(x)` returning `to_tuple(result)`, and `update_many(values)` returning a structured
/// array of `Row`s built by `to_row(result)`: validated as a whole first, GIL released.
template <class T, class Row, class ToTuple, class ToRow>
void def_updates(py::class_<guarded<T>>& cls, ToTuple to_tuple, ToRow to_row) {
    using namespace pybind11::literals;
    using result = decltype(std::declval<T&>().update(0.0));
    cls.def(
           "update",
           [to_tuple](guarded<T>& self, double x) {
               return to_tuple(locked(self, [x](T& t) { return t.update(x); }));
           },
           "x"_a, "Scores one value.")
        .def(
            "update_many",
            [to_row](guarded<T>& self, const values_array& values) {
                const std::span<const double> in = one_dimensional(values);
                py::array_t<Row> out(static_cast<py::ssize_t>(in.size()));
                Row* rows = out.mutable_data();
                try {
                    const py::gil_scoped_release no_gil;
                    std::vector<result> results(in.size());
                    locked(self, [&](T& t) { t.update_many(in, results); });
                    for (std::size_t i = 0; i < results.size(); ++i) {
                        rows[i] = to_row(results[i]);
                    }
                } catch (const streamcp::batch_error& e) {
                    raise_batch_error(e, py::none(), "");
                }
                return out;
            },
            "values"_a,
            "Scores values in order (GIL released); a structured array. Validated first: a bad "
            "value changes nothing.");
}

/// The numpy dtype of a row type registered with PYBIND11_NUMPY_DTYPE, for the Python layer.
template <class Row>
void export_dtype(py::module_& m, const char* name) {
    m.attr(name) = py::dtype::of<Row>();
}

void register_errors(py::module_& m);
void register_detectors(py::module_& m);
void register_functions(py::module_& m);
void register_robust(py::module_& m);
void register_convert(py::module_& m);
void register_order(py::module_& m);

}  // namespace streamcp_py
