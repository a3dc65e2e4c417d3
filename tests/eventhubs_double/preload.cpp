// SPDX-License-Identifier: MIT
#include "preload.hpp"

#include <fstream>
#include <stdexcept>

#include <simdjson.h>

namespace streamcp::eventhubs_double {

std::vector<stored_event> read_preload(const std::string& path, const std::string& device_field) {
    std::ifstream file(path);
    if (!file) throw std::runtime_error("--preload: cannot open " + path);
    simdjson::ondemand::parser parser;
    std::vector<stored_event> events;
    std::string line;
    for (std::size_t number = 1; std::getline(file, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const simdjson::padded_string padded(line);
        std::string_view device;
        simdjson::ondemand::document document;
        if (parser.iterate(padded).get(document) ||
            document.find_field_unordered(device_field).get_string().get(device) ||
            device.empty()) {
            throw std::runtime_error("--preload: " + path + ":" + std::to_string(number) +
                                     " is not a JSON object with a string field '" + device_field +
                                     "'");
        }
        stored_event event;
        event.device_id = std::string(device);
        event.body = line;
        event.content_type = "application/json";
        event.content_encoding = "utf-8";
        events.push_back(std::move(event));
    }
    return events;
}

}  // namespace streamcp::eventhubs_double
