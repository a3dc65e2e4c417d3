// SPDX-License-Identifier: MIT
#include "endpoint_options.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include "closest_name.hpp"
#include "duration_parse.hpp"

namespace streamcp::pipeline {
namespace {

std::string setting_name(const endpoint_config& endpoint, std::string_view key) {
    return endpoint.section + "." + std::string(key);
}

[[noreturn]] void bad_option(const endpoint_config& endpoint, std::string_view key,
                             const std::string& why) {
    throw std::invalid_argument("config: " + setting_name(endpoint, key) + " " + why);
}

const std::string* find_option(const endpoint_config& endpoint, std::string_view key) {
    const auto found = endpoint.options.find(key);
    return found == endpoint.options.end() ? nullptr : &found->second;
}

}  // namespace

std::string option_string(const endpoint_config& endpoint, std::string_view key) {
    const std::string* value = find_option(endpoint, key);
    if (value == nullptr || value->empty()) {
        bad_option(endpoint, key, "is required (a string) for type \"" + endpoint.type + "\"");
    }
    return *value;
}

std::string option_string(const endpoint_config& endpoint, std::string_view key,
                          std::string fallback) {
    const std::string* value = find_option(endpoint, key);
    if (value == nullptr) {
        return fallback;  // moved: a ternary would copy it
    }
    return *value;
}

std::int64_t option_int(const endpoint_config& endpoint, std::string_view key,
                        std::int64_t fallback, std::int64_t min, std::int64_t max) {
    const std::string* text = find_option(endpoint, key);
    const std::string range =
        "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    if (text == nullptr) {
        return fallback;
    }
    std::int64_t value = 0;
    const char* end = text->data() + text->size();
    const auto [stop, error] = std::from_chars(text->data(), end, value);
    if (error != std::errc{} || stop != end) {
        bad_option(endpoint, key, "must be " + range + "; got '" + *text + "'");
    }
    if (value < min || value > max) {
        bad_option(endpoint, key, "must be " + range + "; got " + *text);
    }
    return value;
}

bool option_bool(const endpoint_config& endpoint, std::string_view key, bool fallback) {
    const std::string* text = find_option(endpoint, key);
    if (text == nullptr) {
        return fallback;
    }
    if (*text == "true") {
        return true;
    }
    if (*text == "false") {
        return false;
    }
    bad_option(endpoint, key, "must be true or false; got '" + *text + "'");
}

std::chrono::nanoseconds option_duration(const endpoint_config& endpoint, std::string_view key,
                                         std::chrono::nanoseconds fallback) {
    const std::string* text = find_option(endpoint, key);
    if (text == nullptr) {
        return fallback;
    }
    try {
        return parse_duration(*text);
    } catch (const std::invalid_argument& error) {
        bad_option(endpoint, key, std::string("is not a duration: ") + error.what());
    }
}

std::string secret_from_env(const endpoint_config& endpoint, std::string_view key) {
    const std::string env_key = std::string(key) + "_env";
    const std::string variable = option_string(endpoint, env_key);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr || *value == '\0') {
        bad_option(endpoint, env_key,
                   "names the environment variable " + variable + ", which is unset or empty");
    }
    return value;
}

void reject_unknown_options(const endpoint_config& endpoint,
                            std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : endpoint.options) {
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            bad_option(endpoint, key,
                       "is not a setting of type \"" + endpoint.type + "\" (" +
                           allowed_names(key, known) + ")");
        }
    }
}

}  // namespace streamcp::pipeline
