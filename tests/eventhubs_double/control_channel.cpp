// SPDX-License-Identifier: MIT
#include "control_channel.hpp"

#include <charconv>
#include <sstream>

#include <poll.h>
#include <unistd.h>

namespace streamcp::eventhubs_double {

std::string run_command(const std::string& line, amqp_server& server) {
    std::istringstream words(line);
    std::string command;
    words >> command;
    const auto rest = [&] {
        std::string text;
        std::getline(words >> std::ws, text);
        return text;
    };
    if (command == "detach-all") {
        std::string condition = "amqp:link:detach-forced";
        words >> condition;
        std::string description = rest();
        if (description.empty()) description = "the test double detached the link";
        server.detach_all(condition, description);
    } else if (command == "drop-connections") {
        server.drop_connections();
    } else if (command == "expire-tokens") {
        server.expire_tokens();
    } else if (command == "busy") {
        const std::string count = rest();
        std::uint64_t k = 0;
        const auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), k);
        if (error != std::errc{} || end != count.data() + count.size()) {
            return "error busy: K must be a non-negative integer, got '" + count + "'";
        }
        server.add_busy(k);
    } else if (command == "append") {
        std::string device;
        words >> device;
        stored_event event;
        event.device_id = device;
        event.body = rest();
        event.content_type = "application/json";
        event.content_encoding = "utf-8";
        if (device.empty() || event.body.empty()) return "error append: use append DEVICE BODY";
        server.append_telemetry(std::move(event));
    } else if (command == "stats") {
        return server.stats() + "\nok stats";
    } else if (command == "quit") {
        amqp_server::request_stop();  // the sweep stops the container (and its own timer)
    } else {
        return "error unknown command '" + command +
               "' (detach-all, drop-connections, expire-tokens, busy, append, stats, quit)";
    }
    return "ok " + command;
}

control_channel::control_channel(amqp_server& server, proton::container& container,
                                 line_output& out)
    : commands_(container,
                [&server, &out](const std::string& line) { out.line(run_command(line, server)); }),
      reader_([this] { read_loop(); }) {}

control_channel::~control_channel() {
    stopping_ = true;
    reader_.join();
}

void control_channel::read_loop() {
    std::string pending;
    char buffer[4096];
    while (!stopping_) {
        pollfd input{STDIN_FILENO, POLLIN, 0};
        // Poll with a timeout so the destructor can end the loop without closing stdin.
        if (poll(&input, 1, 200) <= 0) continue;
        const ssize_t count = read(STDIN_FILENO, buffer, sizeof buffer);
        if (count <= 0) return;  // EOF: the double keeps running
        pending.append(buffer, static_cast<std::size_t>(count));
        for (std::size_t newline; (newline = pending.find('\n')) != std::string::npos;) {
            std::string line = pending.substr(0, newline);
            pending.erase(0, newline + 1);
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            commands_.push(std::move(line));
        }
    }
}

}  // namespace streamcp::eventhubs_double
