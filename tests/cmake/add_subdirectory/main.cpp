// SPDX-License-Identifier: MIT
// Consumer test: a project that only links streamcp::streamcp scores the
// semantics.md#worked-example sequence through the ASA function and gets the reference's alert and
// score. Exit code 0 means it matched.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include <streamcp/streamcp.hpp>

int main() {
    using namespace std::chrono_literals;
    // History 4 over 4 minutes: one event a minute is exactly the expected rate.
    streamcp::anomaly_detection_change_point<std::string> change_point{95, 4, 4min};
    const streamcp::event_time start{std::chrono::sys_days{std::chrono::January / 1 / 2024}};
    int alerts = 0;
    double alert_score = 0;
    for (int i = 0; i < 16; ++i) {
        const double value = i < 8 ? 5.0 : 7.0;
        const auto out = change_point.evaluate("device", start + std::chrono::minutes{i}, value);
        if (out && out->is_anomaly) {
            ++alerts;
            alert_score = out->score.value_or(0.0);
        }
    }
    std::printf("streamcp %s: %d alert(s), score %.8g\n", STREAMCP_VERSION_STRING, alerts,
                alert_score);
    return alerts == 1 && std::abs(alert_score - 10298.666) < 1e-3 ? 0 : 1;
}
