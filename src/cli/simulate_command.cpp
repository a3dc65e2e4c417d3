// SPDX-License-Identifier: MIT
// `streamcp simulate`: the seed's IoT devices, as JSON Lines.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/file_line_sink.hpp"
#include "cli/commands.hpp"
#include "pipeline/duration_parse.hpp"
#include "pipeline/simulator.hpp"
#include "pipeline/timestamp_parse.hpp"

namespace streamcp::cli {
namespace {

struct simulate_flags {
    std::size_t devices = 3;
    std::string interval = "10s";
    double temp_min = 20;
    double temp_max = 25;
    std::uint64_t seed = 42;
    std::string start;
    std::uint64_t events = 0;
    std::string length;
    std::vector<std::string> injections;
    bool realtime = false;
    std::string output = "-";
};

int run_simulate(const simulate_flags& flags) {
    pipeline::simulation_options options;
    options.devices = flags.devices;
    options.interval = pipeline::parse_duration(flags.interval);
    options.temp_min = flags.temp_min;
    options.temp_max = flags.temp_max;
    options.seed = flags.seed;
    if (!flags.start.empty()) {
        const auto start = pipeline::parse_iso8601_time(flags.start);
        if (!start) {
            throw std::invalid_argument("--start '" + flags.start + "' is not ISO-8601");
        }
        options.start = *start;
    } else if (flags.realtime) {
        options.start = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    }
    for (const std::string& text : flags.injections) {
        options.injections.push_back(pipeline::parse_injection(text));
    }
    std::optional<event_time> end;
    if (!flags.length.empty()) {
        end = options.start + pipeline::parse_duration(flags.length);
    }
    if (flags.events == 0 && !end && !flags.realtime) {
        throw std::invalid_argument("give --events N or --length DURATION (or --realtime)");
    }
    pipeline::device_simulator simulator{options};
    adapters::file_line_sink output{flags.output};
    if (output.truncatable()) {
        output.truncate(0);
    }
    const auto wall_start = std::chrono::steady_clock::now();
    std::string line;
    for (std::uint64_t n = 0; flags.events == 0 || n < flags.events; ++n) {
        const event_time at = simulator.next_time();
        if (end && at >= *end) {
            break;
        }
        if (flags.realtime) {
            const auto due = wall_start + (at - options.start);
            if (due > std::chrono::steady_clock::now()) {
                output.flush();  // a consumer sees each tick as it happens
                std::this_thread::sleep_until(due);
            }
        }
        line.clear();
        simulator.next(line);
        output.write(line);
    }
    output.flush();
    return 0;
}

}  // namespace

void add_simulate_command(CLI::App& root, command_action& action) {
    auto flags = std::make_shared<simulate_flags>();
    CLI::App* cmd = root.add_subcommand(
        "simulate",
        "Play IoT devices sending the seed's messages {\"device\":\"<12 hex>\",\"temp\":21.37,"
        "\"datetime\":\"2019-11-18T19:00:00+0000\"}: every device reports once per interval, "
        "temperatures uniform in [temp-min, temp-max]. Deterministic for a --seed; as fast as "
        "possible unless --realtime.");
    cmd->add_option("--devices,-n", flags->devices, "Number of devices")->capture_default_str();
    cmd->add_option("--interval", flags->interval, "Time between a device's readings")
        ->capture_default_str();
    cmd->add_option("--temp-min", flags->temp_min, "Lowest normal temperature")
        ->capture_default_str();
    cmd->add_option("--temp-max", flags->temp_max, "Highest normal temperature")
        ->capture_default_str();
    cmd->add_option("--seed", flags->seed, "Random seed (device ids and readings)")
        ->capture_default_str();
    cmd->add_option("--start", flags->start,
                    "First reading's time, ISO-8601 (default 2019-11-18T19:00:00Z; now with "
                    "--realtime)");
    cmd->add_option("--events", flags->events, "Stop after this many messages");
    cmd->add_option("--length", flags->length, "Stop after this much simulated time, e.g. 2h");
    cmd->add_option("--inject", flags->injections,
                    "Anomaly schedule, repeatable: DEVICE@FROM[+LENGTH]:LOW-HIGH. Device "
                    "DEVICE (numbered from 1) reads uniformly in [LOW, HIGH] from FROM after the "
                    "start, for LENGTH or to the end. Example: 3@30m:75-80 (device 3 shifts to "
                    "75-80 at minute 30); 2@1h+10m:-5--1");
    cmd->add_flag("--realtime", flags->realtime, "Emit each reading at its wall-clock time");
    cmd->add_option("--output,-o", flags->output, "Output file; - is stdout")
        ->capture_default_str();
    cmd->callback([flags, &action] { action = [flags] { return run_simulate(*flags); }; });
}

}  // namespace streamcp::cli
