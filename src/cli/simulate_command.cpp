// SPDX-License-Identifier: MIT
// `streamcp simulate`: the seed's IoT devices, as JSON Lines or over MQTT as IoT Hub devices.
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "connection_string.hpp"
#include "duration_parse.hpp"
#include "file_line_sink.hpp"
#include "integer_option.hpp"
#include "message_output.hpp"
#include "run_files.hpp"
#include "run_reporting.hpp"
#include "simulator.hpp"
#include "stop_signal.hpp"
#include "timestamp_parse.hpp"

namespace streamcp::cli {
namespace {

/// Each simulated device holds its id and generator state: this bounds the memory one flag
/// can ask for.
constexpr std::uint64_t max_devices = 10'000'000;

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
    double rate = 0;
    std::string output = "-";
    // MQTT (IoT Hub device protocol)
    std::string mqtt_url;
    std::string connection_string_env;
    std::string identity = "shared";
    std::string ca_file;
    std::string sas_ttl = "1h";
    std::string sas_expiry;
    std::size_t max_in_flight = 64;
    std::string retry_for = "5m";
};

#if STREAMCP_WITH_MQTT
adapters::mqtt_publisher_options mqtt_options(const simulate_flags& flags) {
    adapters::mqtt_publisher_options options;
    options.url = flags.mqtt_url;
    options.ca_file = flags.ca_file;
    options.token_lifetime =
        std::chrono::ceil<std::chrono::seconds>(pipeline::parse_duration(flags.sas_ttl));
    if (!flags.sas_expiry.empty()) {
        const auto expiry = pipeline::parse_iso8601_time(flags.sas_expiry);
        if (!expiry) {
            throw std::invalid_argument("--sas-expiry '" + flags.sas_expiry + "' is not ISO-8601");
        }
        options.fixed_expiry =
            std::chrono::time_point_cast<std::chrono::system_clock::duration>(*expiry);
    }
    options.max_in_flight = flags.max_in_flight;
    options.give_up_after = std::chrono::duration_cast<std::chrono::milliseconds>(
        pipeline::parse_duration(flags.retry_for));
    return options;
}

/// One identity from the device connection string ("shared", as the seed: every simulated
/// device sends through one IoT Hub device), or one per simulated device id ("per-device",
/// each signing with the connection string's key).
std::vector<adapters::mqtt_identity> mqtt_identities(
    const simulate_flags& flags, const std::vector<std::string>& simulated_ids) {
    if (flags.connection_string_env.empty()) {
        throw std::invalid_argument(
            "--mqtt needs --connection-string-env VAR: the environment variable holding a "
            "device connection string HostName=<hub>.azure-devices.net;DeviceId=<id>;"
            "SharedAccessKey=<key>");
    }
    const char* text = std::getenv(flags.connection_string_env.c_str());
    if (text == nullptr || *text == '\0') {
        throw std::invalid_argument("--connection-string-env: environment variable " +
                                    flags.connection_string_env + " is unset or empty");
    }
    const adapters::connection_string cs = adapters::parse_connection_string(
        text, "--connection-string-env (variable " + flags.connection_string_env + ")");
    if (cs.kind != adapters::connection_string_kind::iothub_device) {
        throw std::invalid_argument("--connection-string-env (variable " +
                                    flags.connection_string_env +
                                    "): a device connection string (with DeviceId) is "
                                    "needed, not a service or Event Hubs one");
    }
    std::vector<adapters::mqtt_identity> out;
    if (flags.identity == "shared") {
        out.push_back({cs.host, cs.device_id, cs.key});
    } else if (flags.identity == "per-device") {
        for (const std::string& id : simulated_ids) {
            out.push_back({cs.host, id, cs.key});
        }
    } else {
        throw std::invalid_argument("--identity must be shared or per-device, not '" +
                                    flags.identity + "'");
    }
    return out;
}
#endif

std::unique_ptr<pipeline::message_output> make_output(
    const simulate_flags& flags, const std::vector<std::string>& simulated_ids) {
    if (flags.mqtt_url.empty()) {
        // Its one input is stdin when redirected from a file: `simulate -o f < f` would empty
        // the file it was given.
        const std::array<named_file, 2> files{
            {{"stdin", "-", true}, {"--output", flags.output, false}}};
        refuse_shared_files(files);  // before the output is opened (and truncated)
        auto sink = std::make_unique<adapters::file_line_sink>(flags.output);
        if (sink->truncatable()) {
            sink->truncate(0);
        }
        return std::make_unique<pipeline::line_sink_output>(std::move(sink));
    }
    if (flags.output != "-") {
        throw std::invalid_argument("give either --mqtt or --output, not both");
    }
#if STREAMCP_WITH_MQTT
    return std::make_unique<pipeline::mqtt_output>(
        mqtt_options(flags), mqtt_identities(flags, simulated_ids), flags.identity == "shared");
#else
    (void)simulated_ids;
    throw std::invalid_argument(
        "--mqtt: this streamcp was built without MQTT support (configure with "
        "-DSTREAMCP_WITH_MQTT=ON and libmosquitto-dev installed)");
#endif
}

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
        // Times are whole ticks: a time reaches start + length once it reaches the next tick.
        end = options.start +
              std::chrono::ceil<tick_duration>(pipeline::parse_duration(flags.length));
    }
    if (flags.events == 0 && !end && !flags.realtime) {
        throw std::invalid_argument("give --events N or --length DURATION (or --realtime)");
    }
    if (!std::isfinite(flags.temp_min) || !std::isfinite(flags.temp_max) ||
        flags.temp_min > flags.temp_max) {
        throw std::invalid_argument(
            "--temp-min and --temp-max must be finite numbers with "
            "--temp-min <= --temp-max; got " +
            number_text(flags.temp_min) + " and " + number_text(flags.temp_max));
    }
    if (!(flags.rate >= 0)) {
        throw std::invalid_argument("--rate must be >= 0 (messages per second; 0 = no limit)");
    }
    pipeline::device_simulator simulator{options};
    const std::unique_ptr<pipeline::message_output> output =
        make_output(flags, simulator.device_ids());
    install_stop_handlers();
    const pipeline::stop_token stop = signal_stop_token();
    const auto wall_start = std::chrono::steady_clock::now();
    std::string line;
    for (std::uint64_t n = 0; (flags.events == 0 || n < flags.events) && !stop.stop_requested();
         ++n) {
        const event_time at = simulator.next_time();
        if (end && at >= *end) {
            break;
        }
        auto due = wall_start;
        if (flags.realtime) {
            due = std::max(due, wall_start + (at - options.start));
        }
        if (flags.rate > 0) {
            due = std::max(
                due, wall_start +
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(static_cast<double>(n) / flags.rate)));
        }
        if (due > std::chrono::steady_clock::now()) {
            output->wait_until(due);
        }
        line.clear();
        simulator.next(line);
        output->write(line, static_cast<std::size_t>(n % options.devices));
    }
    output->finish();
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
    cmd->add_option(
           "--devices,-n", flags->devices,
           "Number of devices, in [1, " + std::to_string(max_devices) + "]; memory grows with it")
        ->check(integer_in(1, max_devices))
        ->capture_default_str();
    cmd->add_option("--interval", flags->interval, "Time between a device's readings")
        ->capture_default_str();
    cmd->add_option("--temp-min", flags->temp_min, "Lowest normal temperature")
        ->capture_default_str();
    cmd->add_option("--temp-max", flags->temp_max, "Highest normal temperature")
        ->capture_default_str();
    cmd->add_option("--seed", flags->seed, "Random seed (device ids and readings)")
        ->check(integer_in(0, UINT64_MAX))
        ->capture_default_str();
    cmd->add_option("--start", flags->start,
                    "First reading's time, ISO-8601 (default 2019-11-18T19:00:00Z; now with "
                    "--realtime)");
    cmd->add_option("--events", flags->events, "Stop after this many messages")
        ->check(integer_in(0, UINT64_MAX));
    cmd->add_option("--length", flags->length, "Stop after this much simulated time, e.g. 2h");
    cmd->add_option("--inject", flags->injections,
                    "Anomaly schedule, repeatable: DEVICE@FROM[+LENGTH]:LOW-HIGH. Device "
                    "DEVICE (numbered from 1) reads uniformly in [LOW, HIGH] from FROM after the "
                    "start, for LENGTH or to the end. Example: 3@30m:75-80 (device 3 shifts to "
                    "75-80 at minute 30); 2@1h+10m:-5--1");
    cmd->add_flag("--realtime", flags->realtime, "Emit each reading at its wall-clock time");
    cmd->add_option("--rate", flags->rate,
                    "At most this many messages per second (0 = no limit; with --realtime, "
                    "whichever is slower)")
        ->capture_default_str();
    cmd->add_option("--output,-o", flags->output, "Output file; - is stdout")
        ->capture_default_str();
    cmd->add_option("--mqtt", flags->mqtt_url,
                    "Publish to IoT Hub's MQTT endpoint (or a stand-in broker) instead: "
                    "mqtts://HOST[:PORT] (TLS) or mqtt://HOST[:PORT]. QoS 1; the run ends when "
                    "every message is acknowledged")
        ->group("MQTT");
    cmd->add_option("--connection-string-env", flags->connection_string_env,
                    "Environment variable holding the device connection string "
                    "HostName=<hub>.azure-devices.net;DeviceId=<id>;SharedAccessKey=<key>")
        ->group("MQTT");
    cmd->add_option("--identity", flags->identity,
                    "shared: every simulated device sends as the connection string's device "
                    "(as the seed); per-device: each simulated device connects as its own id, "
                    "signing with the same key")
        ->check(CLI::IsMember({"shared", "per-device"}))
        ->capture_default_str()
        ->group("MQTT");
    cmd->add_option("--ca-file", flags->ca_file,
                    "mqtts: trust the CA certificates in this PEM file (default: the system's)")
        ->group("MQTT");
    cmd->add_option("--sas-ttl", flags->sas_ttl,
                    "Lifetime of each SAS password; reconnects with a fresh one after 80% of it")
        ->capture_default_str()
        ->group("MQTT");
    cmd->add_option("--sas-expiry", flags->sas_expiry,
                    "Fixed SAS expiry (ISO-8601) instead of --sas-ttl: reproducible passwords "
                    "for tests; no renewal")
        ->group("MQTT");
    cmd->add_option("--max-in-flight", flags->max_in_flight,
                    "Unacknowledged messages per connection, in [1, 65535]")
        ->check(integer_in(1, 65535))
        ->capture_default_str()
        ->group("MQTT");
    cmd->add_option("--retry-for", flags->retry_for,
                    "Fail when the broker stays unreachable this long (reconnects back off "
                    "from 100 ms to 10 s meanwhile); 0s = retry forever")
        ->capture_default_str()
        ->group("MQTT");
    cmd->callback([flags, &action] { action = [flags] { return run_simulate(*flags); }; });
}

}  // namespace streamcp::cli
