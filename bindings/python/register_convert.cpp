// SPDX-License-Identifier: MIT
// _core.convert: argument translation that must not loop in Python. Durations and ISO-8601
// instants in the project's one grammar (docs/semantics.md#text-durations, #text-timestamps),
// the same code the CLI and TOML use; object arrays of numbers and flags.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "duration_parse.hpp"
#include "iso8601_parse.hpp"
#include "streamcp_py.hpp"

namespace streamcp_py {
namespace {

using namespace pybind11::literals;

std::string_view utf8(py::handle text) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
    if (data == nullptr) {
        throw py::error_already_set();
    }
    return {data, static_cast<std::size_t>(size)};
}

std::string quoted(py::handle text) { return py::repr(text).cast<std::string>(); }

[[noreturn]] void not_an_instant(const std::string& where, py::handle text, std::string_view why) {
    throw py::value_error(where + " = " + quoted(text) +
                          " is not an ISO-8601 timestamp: " + std::string(why) +
                          " (e.g. '2019-11-18T19:00:00Z', " + "'2019-11-18T19:00:00.5+01:00')");
}

std::int64_t duration_ns(const py::str& text, const std::string& name) {
    std::chrono::nanoseconds out{};
    if (const std::string why = streamcp::pipeline::read_duration(utf8(text), out); !why.empty()) {
        throw py::value_error(name + " = " + quoted(text) + " is not a duration: " + why +
                              " (e.g. '30m', '1h30m', '1.5m', '500ms', 'PT30M')");
    }
    return out.count();
}

std::int64_t time_ticks(const py::str& text, const std::string& name) {
    streamcp::event_time out{};
    if (const auto why = streamcp::pipeline::read_iso8601_time(utf8(text), out); !why.empty()) {
        not_an_instant(name, text, why);
    }
    return out.time_since_epoch().count();
}

/// The objects of a 1-d object array (a contiguous copy when needed).
std::span<PyObject* const> objects_of(const py::array& items, const std::string& name) {
    if (items.dtype().kind() != 'O' || items.ndim() != 1) {
        throw py::type_error(name + " must be a one-dimensional object array");
    }
    const auto contiguous = py::array::ensure(items, py::array::c_style);
    if (contiguous.ptr() != items.ptr()) {
        throw py::type_error(name + " must be a contiguous object array");
    }
    return {static_cast<PyObject* const*>(items.data()), static_cast<std::size_t>(items.shape(0))};
}

std::string element(const std::string& name, std::size_t i) {
    return name + "[" + std::to_string(i) + "]";
}

/// Numbers to float64; None and `na` (pandas' NA, or None) to NaN, the NULL value.
py::array_t<double> values(const py::array& items, const std::string& name, py::handle na) {
    const auto objects = objects_of(items, name);
    py::array_t<double> out(static_cast<py::ssize_t>(objects.size()));
    double* data = out.mutable_data();
    for (std::size_t i = 0; i < objects.size(); ++i) {
        PyObject* item = objects[i];
        if (item == Py_None || item == na.ptr()) {
            data[i] = std::numeric_limits<double>::quiet_NaN();
            continue;
        }
        if (!PyUnicode_Check(item) && !PyBytes_Check(item)) {
            data[i] = PyFloat_AsDouble(item);
            if (data[i] != -1.0 || PyErr_Occurred() == nullptr) {
                continue;
            }
            PyErr_Clear();
        }
        throw py::type_error(element(name, i) + " must be a number or None; got " +
                             Py_TYPE(item)->tp_name);
    }
    return out;
}

/// bools (Python's or numpy's) to bool; None and `na` to false, as SQL's WHEN reads NULL.
py::array_t<bool> flags(const py::array& items, const std::string& name, py::handle na) {
    static const py::object numpy_bool = py::module_::import("numpy").attr("bool_");
    const auto objects = objects_of(items, name);
    py::array_t<bool> out(static_cast<py::ssize_t>(objects.size()));
    bool* data = out.mutable_data();
    for (std::size_t i = 0; i < objects.size(); ++i) {
        PyObject* item = objects[i];
        if (item == Py_None || item == na.ptr()) {
            data[i] = false;
        } else if (PyBool_Check(item) ||
                   Py_TYPE(item) == reinterpret_cast<PyTypeObject*>(numpy_bool.ptr())) {
            data[i] = PyObject_IsTrue(item) == 1;
        } else {
            throw py::type_error(element(name, i) + " must be a bool or None; got " +
                                 Py_TYPE(item)->tp_name);
        }
    }
    return out;
}

/// Parses the str elements of a 1-d object array; the others are left to the caller, marked
/// in the returned mask.
py::tuple times_ticks(const py::array& items, const std::string& name) {
    const auto objects = objects_of(items, name);
    const auto n = static_cast<py::ssize_t>(objects.size());
    py::array_t<std::int64_t> out(n);
    py::array_t<bool> other(n);
    auto* ticks = out.mutable_data();
    auto* is_other = other.mutable_data();
    for (std::size_t i = 0; i < objects.size(); ++i) {
        const py::handle item{objects[i]};
        is_other[i] = !PyUnicode_Check(item.ptr());
        ticks[i] = 0;
        if (is_other[i]) {
            continue;
        }
        streamcp::event_time t{};
        if (const auto why = streamcp::pipeline::read_iso8601_time(utf8(item), t); !why.empty()) {
            not_an_instant(element(name, i), item, why);
        }
        ticks[i] = t.time_since_epoch().count();
    }
    return py::make_tuple(out, other);
}

}  // namespace

void register_convert(py::module_& m) {
    m.def("duration_ns", &duration_ns, "text"_a, "name"_a,
          "A duration string in nanoseconds; ValueError naming `name` and why otherwise.");
    m.def("time_ticks", &time_ticks, "text"_a, "name"_a,
          "An ISO-8601 instant in 100 ns ticks since 1970 (UTC); ValueError otherwise.");
    m.def("times_ticks", &times_ticks, "items"_a, "name"_a,
          "(ticks, other) for a 1-d object array: its strings parsed as ISO-8601 instants; "
          "other marks the elements that are not strings (ticks 0), left to the caller.");
    m.def("values", &values, "items"_a, "name"_a, "na"_a,
          "A 1-d object array of numbers as float64; None and `na` become NaN.");
    m.def("flags", &flags, "items"_a, "name"_a, "na"_a,
          "A 1-d object array of bools as bool; None and `na` become False.");
}

}  // namespace streamcp_py
