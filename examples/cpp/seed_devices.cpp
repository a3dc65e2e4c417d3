// SPDX-License-Identifier: MIT
// The seed's Stream Analytics job on simulated devices: every device reports a temperature
// every 10 s, and the query
//
//   SELECT datetime, device, temp, AnomalyScore
//   FROM (SELECT ..., AnomalyDetection_ChangePoint(temp, 80, 12)
//                OVER (PARTITION BY device LIMIT DURATION(minute, 30)) AS cp
//         FROM input TIMESTAMP BY datetime)
//   WHERE cp.IsAnomaly = 1
//
// prints the anomalies. Device 2's readings jump from ~20-25 °C to ~75-80 °C at minute 40.
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <streamcp/streamcp.hpp>

namespace {

std::string format_utc(streamcp::event_time t) {
    const std::time_t secs =
        std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::array<char, 32> buf{};
    std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf.data();
}

void run() {
    using namespace std::chrono_literals;
    const std::vector<std::string> devices{"acd57d92aadf", "5f2c81b0e4a7", "91d0e6c3b2f8"};
    streamcp::anomaly_detection_change_point<std::string> change_point{80, 12, 30min};

    std::mt19937_64 rng{42};
    std::uniform_real_distribution<double> normal_temp{20.0, 25.0};
    std::uniform_real_distribution<double> hot_temp{75.0, 80.0};

    // 2019-11-18T19:00:00Z, the seed article's day.
    const streamcp::event_time start{std::chrono::sys_days{std::chrono::November / 18 / 2019} +
                                     19h};
    int anomalies = 0;
    for (auto offset = 0s; offset < 90min; offset += 10s) {
        const streamcp::event_time now = start + offset;
        for (std::size_t d = 0; d < devices.size(); ++d) {
            const bool shifted = d == 2 && offset >= 40min;
            const double temp = shifted ? hot_temp(rng) : normal_temp(rng);
            const auto result = change_point.evaluate(devices[d], now, temp);
            if (result && result->is_anomaly) {
                ++anomalies;
                std::printf(R"({"datetime":"%s","device":"%s","temp":%.2f,"AnomalyScore":%.6g})"
                            "\n",
                            format_utc(now).c_str(), devices[d].c_str(), temp,
                            result->score.value_or(0.0));
            }
        }
    }
    // At confidence 80 the threshold is far below 1, so ASA flags noise too (docs/semantics.md).
    const double threshold = change_point.find(devices[0])->threshold();
    std::fprintf(stderr, "%d anomalies over %zu devices (alert threshold T = %.3g)\n", anomalies,
                 devices.size(), threshold);
}

}  // namespace

int main() {
    try {
        run();
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "seed_devices: %s\n", error.what());
        return 1;
    }
}
