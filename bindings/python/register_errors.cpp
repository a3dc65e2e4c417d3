// SPDX-License-Identifier: MIT
// std::invalid_argument maps to ValueError by pybind11's default; a damaged, foreign or
// mismatched snapshot is bad input too, so snapshot_error maps to ValueError as well. A batch
// call's refusal of one event is _core.BatchError, a ValueError saying where.
#include <string>

#include "streamcp_py.hpp"

namespace streamcp_py {
namespace {

PyObject* batch_error_class = nullptr;  // created once by register_errors

}  // namespace

void raise_batch_error(const streamcp::batch_error& e, const py::object& key,
                       const std::string& context) {
    const std::string field = e.field() == streamcp::batch_field::time ? "timestamps" : "values";
    const py::object error = py::reinterpret_borrow<py::object>(batch_error_class)(
        field + "[" + std::to_string(e.index()) + "]" + context + ": " + e.reason());
    error.attr("index") = e.index();
    error.attr("field") = field;
    error.attr("key") = key;
    error.attr("reason") = e.reason();
    PyErr_SetObject(batch_error_class, error.ptr());
    throw py::error_already_set();
}

void register_errors(py::module_& m) {
    batch_error_class = PyErr_NewException("streamcp._core.BatchError", PyExc_ValueError, nullptr);
    m.attr("BatchError") = py::handle(batch_error_class);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) {
                std::rethrow_exception(p);
            }
        } catch (const streamcp::snapshot_error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });
}

}  // namespace streamcp_py
