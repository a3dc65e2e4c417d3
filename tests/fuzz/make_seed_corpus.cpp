// SPDX-License-Identifier: MIT
// Writes valid snapshots of every kind into the directory argv[1], as a seed corpus for
// fuzz_snapshot.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "streamcp/model/robust_change_point_detector.hpp"
#include "streamcp/streamcp.hpp"

namespace {

using namespace std::chrono;  // NOLINT

void write(const std::string& dir, const std::string& name, const std::vector<std::byte>& b) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()),  // NOLINT: byte I/O
              static_cast<std::streamsize>(b.size()));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    const streamcp::event_time t0 = sys_days{year{2024} / 1 / 1};
    // Parameters match fuzz_snapshot.cpp's functions so the seeds restore there.
    streamcp::change_point_detector cp{{.confidence = 90, .history = 4}};
    streamcp::change_point_detector mix{
        {.confidence = 80, .history = 3, .martingale = streamcp::martingale_type::mixture}};
    streamcp::spike_and_dip_detector sd{{.confidence = 95, .history = 4}};
    // Matches fuzz_snapshot.cpp's robust detector (restore needs equal options).
    streamcp::robust_change_point_detector robust{{.history = 8, .min_history = 3}};
    streamcp::robust_change_point_detector robust_detrend{
        {.confidence = 80, .history = 6, .min_history = 3, .min_run = 2, .detrend = true}};
    // Every payload layout of kind 5: layout 1 (the options added later off), layout 2
    // (no period search), layout 3 (the defaults; and with a period found, below).
    streamcp::robust_change_point_detector robust_layout1{
        {.history = 8, .min_history = 3, .cooldown = 0, .forget = streamcp::robust_forget::always}};
    streamcp::robust_change_point_detector robust_calibrated{
        {.history = 8, .min_history = 3, .calibration = 5, .short_history = 4, .period_search = 0}};
    streamcp::robust_change_point_detector robust_seasonal{
        {.history = 8, .min_history = 3, .period_search = 10}};
    streamcp::anomaly_detection_change_point<std::string> cpf{90, 4, minutes{4}};
    streamcp::robust_change_point_function<std::string> robust_fn{{.history = 8, .min_history = 3},
                                                                  minutes{4}};
    streamcp::anomaly_detection_spike_and_dip<std::int64_t> sdf{
        95, 4, streamcp::spike_mode::spikes_and_dips, minutes{4}};
    write(dir, "cp_empty", cp.snapshot());
    write(dir, "robust_empty", robust.snapshot());
    write(dir, "sd_empty", sd.snapshot());
    write(dir, "cpf_empty", cpf.snapshot());
    write(dir, "sdf_empty", sdf.snapshot());
    for (int i = 0; i < 7; ++i) {
        const double v = 1.0 + (i % 3) * 0.5 + (i == 5 ? 10.0 : 0.0);
        (void)cp.update(v);
        (void)mix.update(v);
        (void)sd.update(v);
        (void)robust.update(v);
        (void)robust_detrend.update(v);
        (void)robust_layout1.update(v);
        (void)robust_calibrated.update(v);
        (void)cpf.evaluate(i % 2 == 0 ? "a" : "sensor-b", t0 + minutes{i}, v);
        (void)robust_fn.evaluate(i % 2 == 0 ? "a" : "sensor-b", t0 + minutes{i}, v);
        (void)sdf.evaluate(i % 3, t0 + minutes{i}, v);
    }
    write(dir, "cp", cp.snapshot());
    write(dir, "cp_mixture", mix.snapshot());
    write(dir, "sd", sd.snapshot());
    write(dir, "robust", robust.snapshot());
    write(dir, "robust_detrend", robust_detrend.snapshot());
    write(dir, "robust_layout1", robust_layout1.snapshot());
    write(dir, "robust_calibrated", robust_calibrated.snapshot());
    for (int i = 0; i < 30; ++i) {  // a cycle of 6: the period is found at 20 values
        (void)robust_seasonal.update(static_cast<double>(i % 6) + (i == 25 ? 0.5 : 0.0));
    }
    write(dir, "robust_seasonal", robust_seasonal.snapshot());
    write(dir, "cpf", cpf.snapshot());
    write(dir, "robust_fn", robust_fn.snapshot());
    write(dir, "sdf", sdf.snapshot());
    return 0;
}
