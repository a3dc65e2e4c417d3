// SPDX-License-Identifier: MIT
// The extension streamcp._core: wires one submodule per area. The public API is the pure
// Python package around it (bindings/python/streamcp).
#include "streamcp_py.hpp"

PYBIND11_MODULE(_core, m, pybind11::mod_gil_not_used()) {
    namespace py = pybind11;
    m.doc() = "streamcp's C++ core (private: use the streamcp package)";
    m.attr("__version__") = STREAMCP_VERSION_STRING;

    streamcp_py::register_errors(m);
    py::module_ model = m.def_submodule("model", "Single-series detectors (ML.NET semantics)");
    streamcp_py::register_detectors(model);
    streamcp_py::register_robust(model);
    py::module_ function = m.def_submodule("function", "The ASA functions, per partition key");
    streamcp_py::register_functions(function);
    py::module_ convert = m.def_submodule(
        "convert", "Argument translation: the one duration and ISO-8601 grammar, object arrays");
    streamcp_py::register_convert(convert);
    py::module_ order = m.def_submodule(
        "order", "The CLI's per-key ordering stage (tolerance, adjust or drop) over event indices");
    streamcp_py::register_order(order);
    // Importable as streamcp._core.<name> (for stubtest and `import ... as`), like a package's.
    const py::dict modules = py::module_::import("sys").attr("modules");
    for (const py::module_& sub : {model, function, convert, order}) {
        modules[sub.attr("__name__")] = sub;
    }
}
