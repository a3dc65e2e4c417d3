// SPDX-License-Identifier: MIT
// _core.model.RobustChangePointDetector: the opt-in robust detector (not ASA-compatible).
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "streamcp/model/robust_change_point_detector.hpp"

#include "streamcp_py.hpp"

namespace streamcp_py {
namespace {

using namespace pybind11::literals;
using streamcp::robust_change_point_detector;
using streamcp::robust_change_point_options;
using streamcp::robust_change_point_result;

using values_array = py::array_t<double, py::array::c_style | py::array::forcecast>;

#pragma pack(push, 1)
/// A row of `update_many`'s result; packed so that the numpy dtype is the plain one.
struct robust_row {
    double score;
    double p_value;
    bool is_change;
    std::int64_t onset_lag;
};
#pragma pack(pop)

constexpr std::array<const char*, 3> forget_names{"always", "never", "outside_range"};

streamcp::robust_forget forget_rule(const std::string& name) {
    for (std::size_t i = 0; i < forget_names.size(); ++i) {
        if (name == forget_names[i]) {
            return static_cast<streamcp::robust_forget>(i);
        }
    }
    throw py::value_error("forget must be 'always', 'never' or 'outside_range'; got '" + name +
                          "'");
}

std::string forget_name(streamcp::robust_forget rule) {
    return forget_names.at(static_cast<std::size_t>(rule));
}

}  // namespace

void register_robust(py::module_& m) {
    PYBIND11_NUMPY_DTYPE(robust_row, score, p_value, is_change, onset_lag);

    using rcpd = guarded<robust_change_point_detector>;
    py::class_<rcpd> cls(m, "RobustChangePointDetector",
                         "The opt-in robust change-point detector (docs/quality.md); not "
                         "ASA-compatible.");
    cls.def(py::init([](double confidence, std::int64_t history, std::int64_t min_history,
                        double epsilon, bool difference, bool detrend, std::int64_t min_run,
                        std::int64_t calibration, std::int64_t cooldown, const std::string& forget,
                        std::int64_t short_history, std::int64_t period_search) {
                return std::make_unique<rcpd>(
                    robust_change_point_options{.confidence = confidence,
                                                .history = history,
                                                .min_history = min_history,
                                                .epsilon = epsilon,
                                                .min_run = min_run,
                                                .difference = difference,
                                                .detrend = detrend,
                                                .calibration = calibration,
                                                .cooldown = cooldown,
                                                .forget = forget_rule(forget),
                                                .short_history = short_history,
                                                .period_search = period_search});
            }),
            "confidence"_a, "history"_a, "min_history"_a, "epsilon"_a, "difference"_a,
            "detrend"_a = false, "min_run"_a = 1, "calibration"_a = 0, "cooldown"_a = 0,
            "forget"_a = "always", "short_history"_a = 0, "period_search"_a = 0)
        .def(
            "update",
            [](rcpd& self, double x) {
                robust_change_point_result r{};
                {
                    const std::lock_guard lock{self.mutex};
                    r = self.value.update(x);
                }
                return py::make_tuple(r.score, r.p_value, r.is_change, r.onset_lag);
            },
            "x"_a, "Scores one value: (score, p_value, is_change, onset_lag).")
        .def(
            "update_many",
            [](rcpd& self, const values_array& values) {
                if (values.ndim() != 1) {
                    throw py::value_error("values must be one-dimensional; got " +
                                          std::to_string(values.ndim()) + " dimensions");
                }
                const std::span<const double> in{values.data(),
                                                 static_cast<std::size_t>(values.shape(0))};
                py::array_t<robust_row> out(static_cast<py::ssize_t>(in.size()));
                robust_row* rows = out.mutable_data();
                {
                    const py::gil_scoped_release no_gil;
                    std::vector<robust_change_point_result> results(in.size());
                    {
                        const std::lock_guard lock{self.mutex};
                        self.value.update_many(in, results);
                    }
                    for (std::size_t i = 0; i < results.size(); ++i) {
                        rows[i] = {results[i].score, results[i].p_value, results[i].is_change,
                                   results[i].onset_lag};
                    }
                }
                return out;
            },
            "values"_a,
            "Scores values in order (GIL released); a structured array (score, p_value, "
            "is_change, onset_lag). Validated first: a bad value changes nothing.")
        .def_property_readonly("confidence",
                               [](rcpd& self) { return self.value.options().confidence; })
        .def_property_readonly("history", [](rcpd& self) { return self.value.options().history; })
        .def_property_readonly("min_history",
                               [](rcpd& self) { return self.value.options().min_history; })
        .def_property_readonly("epsilon", [](rcpd& self) { return self.value.options().epsilon; })
        .def_property_readonly("difference",
                               [](rcpd& self) { return self.value.options().difference; })
        .def_property_readonly("detrend", [](rcpd& self) { return self.value.options().detrend; })
        .def_property_readonly("min_run", [](rcpd& self) { return self.value.options().min_run; })
        .def_property_readonly("calibration",
                               [](rcpd& self) { return self.value.options().calibration; })
        .def_property_readonly("cooldown", [](rcpd& self) { return self.value.options().cooldown; })
        .def_property_readonly("forget",
                               [](rcpd& self) { return forget_name(self.value.options().forget); })
        .def_property_readonly("short_history",
                               [](rcpd& self) { return self.value.options().short_history; })
        .def_property_readonly("period_search",
                               [](rcpd& self) { return self.value.options().period_search; })
        .def(
            "snapshot",
            [](rcpd& self) {
                std::vector<std::byte> data;
                {
                    const std::lock_guard lock{self.mutex};
                    data = self.value.snapshot();
                }
                return to_bytes(data);
            },
            "The whole state and the options, in streamcp's versioned snapshot format.")
        .def(
            "restore",
            [](rcpd& self, const py::bytes& data) {
                const std::lock_guard lock{self.mutex};
                self.value.restore(as_span(data));
            },
            "data"_a,
            "Replaces the state with a snapshot's; ValueError (nothing changed) when the "
            "snapshot is damaged, foreign or was taken with other options.")
        .def_static(
            "from_snapshot",
            [](const py::bytes& data) {
                return std::make_unique<rcpd>(
                    robust_change_point_detector::from_snapshot(as_span(data)));
            },
            "data"_a, "A detector built from a snapshot, with the options it records.")
        .def_property_readonly("threshold", [](rcpd& self) { return self.value.threshold(); })
        .def_property_readonly("fill", [](rcpd& self) {
            const std::lock_guard lock{self.mutex};
            return self.value.fill();
        });
}

}  // namespace streamcp_py
