// SPDX-License-Identifier: MIT
// std::invalid_argument maps to ValueError by pybind11's default; a damaged, foreign or
// mismatched snapshot is bad input too, so snapshot_error maps to ValueError as well.
#include "streamcp_py.hpp"

namespace streamcp_py {

void register_errors(py::module_& m) {
    (void)m;
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
