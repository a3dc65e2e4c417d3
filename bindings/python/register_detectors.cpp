// SPDX-License-Identifier: MIT
// _core.model: ChangePointDetector and SpikeAndDipDetector, one series each.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <pybind11/stl.h>

#include "streamcp_py.hpp"

namespace streamcp_py {
namespace {

using namespace pybind11::literals;
using streamcp::change_point_detector;
using streamcp::change_point_result;
using streamcp::spike_and_dip_detector;
using streamcp::spike_and_dip_result;

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

/// What both detectors share: snapshots, the threshold and the fill.
template <class Detector>
void def_detector_state(py::class_<guarded<Detector>>& cls) {
    def_snapshots(cls);
    using options = std::remove_cvref_t<decltype(std::declval<const Detector&>().options())>;
    def_option(cls, "confidence", &options::confidence);
    def_option(cls, "history", &options::history);
    def_readonly(cls, "threshold", [](const Detector& d) { return d.threshold(); });
    def_readonly(cls, "fill", [](const Detector& d) { return d.fill(); });
    def_readonly(cls, "kernel",
                 [](const Detector& d) { return std::string(streamcp::to_string(d.kernel())); });
}

}  // namespace

void register_detectors(py::module_& m) {
    PYBIND11_NUMPY_DTYPE(detector_row, score, p_value, is_anomaly);
    export_dtype<detector_row>(m, "DETECTOR_DTYPE");

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
           "kernel"_a = "exact");
    def_updates<change_point_detector, detector_row>(
        cp,
        [](const change_point_result& r) {
            return py::make_tuple(r.score, r.p_value, r.is_anomaly);
        },
        [](const change_point_result& r) {
            return detector_row{r.score, r.p_value, r.is_anomaly};
        });
    def_detector_state(cp);
    def_readonly(cp, "martingale", [](const change_point_detector& d) {
        return martingale_name(d.options().martingale);
    });
    def_option(cp, "epsilon", &streamcp::change_point_options::epsilon);

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
           "confidence"_a, "history"_a, "mode"_a = "spikesanddips", "kernel"_a = "exact");
    // SpikeAndDip's score is its p-value: both fields carry it.
    def_updates<spike_and_dip_detector, detector_row>(
        sd,
        [](const spike_and_dip_result& r) {
            return py::make_tuple(r.p_value, r.p_value, r.is_anomaly);
        },
        [](const spike_and_dip_result& r) {
            return detector_row{r.p_value, r.p_value, r.is_anomaly};
        });
    def_detector_state(sd);
    def_readonly(sd, "mode", [](const spike_and_dip_detector& d) {
        return std::string(streamcp::to_string(d.options().mode));
    });

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
