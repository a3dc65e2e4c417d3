// SPDX-License-Identifier: MIT
// _core.model.RobustChangePointDetector: the opt-in robust detector (not ASA-compatible).
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "streamcp/model/robust_change_point_detector.hpp"

#include "streamcp_py.hpp"

namespace streamcp_py {
namespace {

using namespace pybind11::literals;
using streamcp::robust_change_point_detector;
using streamcp::robust_change_point_options;
using streamcp::robust_change_point_result;

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
    export_dtype<robust_row>(m, "ROBUST_DTYPE");

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
            "forget"_a = "always", "short_history"_a = 0, "period_search"_a = 0);
    def_updates<robust_change_point_detector, robust_row>(
        cls,
        [](const robust_change_point_result& r) {
            return py::make_tuple(r.score, r.p_value, r.is_change, r.onset_lag);
        },
        [](const robust_change_point_result& r) {
            return robust_row{r.score, r.p_value, r.is_change, r.onset_lag};
        });
    def_snapshots(cls);
    using options = robust_change_point_options;
    def_option(cls, "confidence", &options::confidence);
    def_option(cls, "history", &options::history);
    def_option(cls, "min_history", &options::min_history);
    def_option(cls, "epsilon", &options::epsilon);
    def_option(cls, "difference", &options::difference);
    def_option(cls, "detrend", &options::detrend);
    def_option(cls, "min_run", &options::min_run);
    def_option(cls, "calibration", &options::calibration);
    def_option(cls, "cooldown", &options::cooldown);
    def_readonly(cls, "forget", [](const robust_change_point_detector& d) {
        return forget_name(d.options().forget);
    });
    def_option(cls, "short_history", &options::short_history);
    def_option(cls, "period_search", &options::period_search);
    def_readonly(cls, "threshold",
                 [](const robust_change_point_detector& d) { return d.threshold(); });
    def_readonly(cls, "fill", [](const robust_change_point_detector& d) { return d.fill(); });
}

}  // namespace streamcp_py
