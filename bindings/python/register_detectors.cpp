// SPDX-License-Identifier: MIT
// _core.model: ChangePointDetector and SpikeAndDipDetector, one series each.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include <pybind11/stl.h>

#include "streamcp_py.hpp"

namespace streamcp_py {
namespace {

using namespace pybind11::literals;
using streamcp::change_point_detector;
using streamcp::change_point_result;
using streamcp::spike_and_dip_detector;
using streamcp::spike_and_dip_result;

using values_array = py::array_t<double, py::array::c_style | py::array::forcecast>;

streamcp::martingale_type parse_martingale(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (text == "power") {
        return streamcp::martingale_type::power;
    }
    if (text == "mixture") {
        return streamcp::martingale_type::mixture;
    }
    throw std::invalid_argument("martingale = \"" + text +
                                "\" is out of range: allowed \"power\" or \"mixture\"");
}

std::string martingale_name(streamcp::martingale_type t) {
    return t == streamcp::martingale_type::power ? "power" : "mixture";
}

std::span<const double> one_dimensional(const values_array& values) {
    if (values.ndim() != 1) {
        throw py::value_error("values must be one-dimensional; got " +
                              std::to_string(values.ndim()) + " dimensions");
    }
    return {values.data(), static_cast<std::size_t>(values.shape(0))};
}

/// The snapshot methods every detector shares.
template <class Detector, class Class>
void def_snapshots(Class& cls) {
    using G = guarded<Detector>;
    cls.def(
           "snapshot",
           [](G& self) {
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
            [](G& self, const py::bytes& data) {
                const std::lock_guard lock{self.mutex};
                self.value.restore(as_span(data));
            },
            "data"_a,
            "Replaces the state with a snapshot's; ValueError (nothing changed) when the "
            "snapshot is damaged, foreign or was taken with other options.")
        .def_static(
            "from_snapshot",
            [](const py::bytes& data, const std::string& kernel) {
                return std::make_unique<G>(
                    Detector::from_snapshot(as_span(data), parse_kernel(kernel)));
            },
            "data"_a, "kernel"_a = "exact",
            "A detector built from a snapshot, with the options it records and `kernel`.")
        .def_property_readonly("kernel",
                               [](G& self) {
                                   const std::lock_guard lock{self.mutex};
                                   return std::string(streamcp::to_string(self.value.kernel()));
                               })
        .def_property_readonly("threshold",
                               [](G& self) {
                                   const std::lock_guard lock{self.mutex};
                                   return self.value.threshold();
                               })
        .def_property_readonly("fill", [](G& self) {
            const std::lock_guard lock{self.mutex};
            return self.value.fill();
        });
}

}  // namespace

void register_detectors(py::module_& m) {
    PYBIND11_NUMPY_DTYPE(detector_row, score, p_value, is_anomaly);

    using cpd = guarded<change_point_detector>;
    py::class_<cpd> cp(m, "ChangePointDetector",
                       "ML.NET's IidChangePointDetector on one series (semantics.md#per-event).");
    cp.def(py::init([](double confidence, std::int64_t history, const std::string& martingale,
                       double epsilon, const std::string& kernel) {
               return std::make_unique<cpd>(
                   streamcp::change_point_options{.confidence = confidence,
                                                  .history = history,
                                                  .martingale = parse_martingale(martingale),
                                                  .epsilon = epsilon},
                   parse_kernel(kernel));
           }),
           "confidence"_a, "history"_a, "martingale"_a = "power", "epsilon"_a = 0.1,
           "kernel"_a = "exact")
        .def(
            "update",
            [](cpd& self, double x) {
                change_point_result r{};
                {
                    const std::lock_guard lock{self.mutex};
                    r = self.value.update(x);
                }
                return py::make_tuple(r.score, r.p_value, r.is_anomaly);
            },
            "x"_a, "Scores one value: (score, p_value, is_anomaly).")
        .def(
            "update_many",
            [](cpd& self, const values_array& values) {
                const std::span<const double> in = one_dimensional(values);
                py::array_t<detector_row> out(static_cast<py::ssize_t>(in.size()));
                detector_row* rows = out.mutable_data();
                {
                    const py::gil_scoped_release no_gil;
                    std::vector<change_point_result> results(in.size());
                    {
                        const std::lock_guard lock{self.mutex};
                        self.value.update_many(in, results);
                    }
                    for (std::size_t i = 0; i < results.size(); ++i) {
                        rows[i] = {results[i].score, results[i].p_value, results[i].is_anomaly};
                    }
                }
                return out;
            },
            "values"_a,
            "Scores values in order (GIL released); a structured array (score, p_value, "
            "is_anomaly). Validated first: a bad value changes nothing.")
        .def_property_readonly("confidence",
                               [](cpd& self) { return self.value.options().confidence; })
        .def_property_readonly("history", [](cpd& self) { return self.value.options().history; })
        .def_property_readonly(
            "martingale",
            [](cpd& self) { return martingale_name(self.value.options().martingale); })
        .def_property_readonly("epsilon", [](cpd& self) { return self.value.options().epsilon; });
    def_snapshots<change_point_detector>(cp);

    using sdd = guarded<spike_and_dip_detector>;
    py::class_<sdd> sd(
        m, "SpikeAndDipDetector",
        "ML.NET's IidSpikeDetector on one series (semantics.md#kde-p-value, #spike-and-dip).");
    sd.def(py::init([](double confidence, std::int64_t history, const std::string& mode,
                       const std::string& kernel) {
               return std::make_unique<sdd>(
                   streamcp::spike_and_dip_options{.confidence = confidence,
                                                   .history = history,
                                                   .mode = streamcp::parse_spike_mode(mode)},
                   parse_kernel(kernel));
           }),
           "confidence"_a, "history"_a, "mode"_a = "spikesanddips", "kernel"_a = "exact")
        .def(
            "update",
            [](sdd& self, double x) {
                spike_and_dip_result r{};
                {
                    const std::lock_guard lock{self.mutex};
                    r = self.value.update(x);
                }
                return py::make_tuple(r.p_value, r.p_value, r.is_anomaly);
            },
            "x"_a, "Scores one value: (score, p_value, is_anomaly); score is the p-value.")
        .def(
            "update_many",
            [](sdd& self, const values_array& values) {
                const std::span<const double> in = one_dimensional(values);
                py::array_t<detector_row> out(static_cast<py::ssize_t>(in.size()));
                detector_row* rows = out.mutable_data();
                {
                    const py::gil_scoped_release no_gil;
                    std::vector<spike_and_dip_result> results(in.size());
                    {
                        const std::lock_guard lock{self.mutex};
                        self.value.update_many(in, results);
                    }
                    for (std::size_t i = 0; i < results.size(); ++i) {
                        rows[i] = {results[i].p_value, results[i].p_value, results[i].is_anomaly};
                    }
                }
                return out;
            },
            "values"_a)
        .def_property_readonly("confidence",
                               [](sdd& self) { return self.value.options().confidence; })
        .def_property_readonly("history", [](sdd& self) { return self.value.options().history; })
        .def_property_readonly("mode", [](sdd& self) {
            return std::string(streamcp::to_string(self.value.options().mode));
        });
    def_snapshots<spike_and_dip_detector>(sd);

    m.def(
        "_update_loop_seconds",
        [](const values_array& values, double confidence, std::int64_t history) {
            const std::span<const double> in = one_dimensional(values);
            const py::gil_scoped_release no_gil;
            change_point_detector det{{.confidence = confidence, .history = history}};
            double score_sum = 0.0;
            std::size_t alerts = 0;
            const auto start = std::chrono::steady_clock::now();
            for (const double v : in) {
                const change_point_result r = det.update(v);
                score_sum += r.score;
                alerts += r.is_anomaly ? 1U : 0U;
            }
            const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
            volatile double sink = score_sum + static_cast<double>(alerts);
            (void)sink;
            return elapsed.count();
        },
        "values"_a, "confidence"_a, "history"_a,
        "Benchmark hook (bench/python): seconds taken by a plain C++ loop of "
        "change_point_detector::update over values.");
}

}  // namespace streamcp_py
