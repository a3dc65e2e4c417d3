// SPDX-License-Identifier: MIT
// Shared pieces of the binding layer (not installed; not API).
#pragma once

#include <cstddef>
#include <mutex>
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

void register_errors(py::module_& m);
void register_detectors(py::module_& m);
void register_functions(py::module_& m);
void register_robust(py::module_& m);

}  // namespace streamcp_py
