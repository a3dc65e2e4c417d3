// SPDX-License-Identifier: MIT
#include "process_metrics.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "metrics_text.hpp"

namespace streamcp::pipeline {
namespace {

/// The fields of /proc/self/stat after the command name (which may hold spaces), so that
/// index 0 is field 3 (`state`).
std::vector<std::string> stat_fields() {
    std::ifstream in{"/proc/self/stat"};
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::size_t close = text.rfind(')');
    std::vector<std::string> fields;
    if (close == std::string::npos) {
        return fields;
    }
    std::istringstream rest{text.substr(close + 1)};
    for (std::string field; rest >> field;) {
        fields.push_back(field);
    }
    return fields;
}

double boot_time_unix() {
    std::ifstream in{"/proc/stat"};
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("btime ")) {
            return std::stod(line.substr(6));
        }
    }
    return 0;
}

std::size_t open_fds() {
    std::size_t n = 0;
    std::error_code ignored;
    for (auto it = std::filesystem::directory_iterator{"/proc/self/fd", ignored};
         it != std::filesystem::directory_iterator{}; it.increment(ignored)) {
        ++n;
    }
    return n;
}

}  // namespace

void append_process_metrics(std::string& out) {
    const std::vector<std::string> stat = stat_fields();
    // proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24 (1-based field numbers).
    constexpr std::size_t first = 3;
    if (stat.size() + first > 24) {
        const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
        const auto field = [&](std::size_t number) { return std::stod(stat[number - first]); };
        append_metric_header(out, "process_cpu_seconds_total", "counter",
                             "User and system CPU time spent in seconds.");
        append_sample(out, "process_cpu_seconds_total", "", (field(14) + field(15)) / ticks);
        append_metric_header(out, "process_start_time_seconds", "gauge",
                             "Start time of the process since the Unix epoch in seconds.");
        append_sample(out, "process_start_time_seconds", "", boot_time_unix() + field(22) / ticks);
        append_metric_header(out, "process_virtual_memory_bytes", "gauge",
                             "Virtual memory size in bytes.");
        append_sample(out, "process_virtual_memory_bytes", "", field(23));
        append_metric_header(out, "process_resident_memory_bytes", "gauge",
                             "Resident memory size in bytes.");
        append_sample(out, "process_resident_memory_bytes", "",
                      field(24) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
    }
    append_metric_header(out, "process_open_fds", "gauge", "Number of open file descriptors.");
    append_sample(out, "process_open_fds", "", static_cast<double>(open_fds()));
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        append_metric_header(out, "process_max_fds", "gauge",
                             "Maximum number of open file descriptors.");
        append_sample(out, "process_max_fds", "", static_cast<double>(limit.rlim_cur));
    }
}

}  // namespace streamcp::pipeline
