// SPDX-License-Identifier: MIT
#include "pipeline_config.hpp"

#include <array>
#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include <toml++/toml.h>

#include "detect_settings.hpp"

namespace streamcp::pipeline {
namespace {

[[noreturn]] void bad_setting(const std::string& key, const std::string& why) {
    throw std::invalid_argument("config: " + key + " " + why);
}

/// Replaces each `${NAME}` in a string setting with the environment variable NAME, so one file
/// serves hosts, ports and paths that differ between machines. An unset variable is an error naming
/// the setting.
std::string expand_environment(const std::string& text, const std::string& setting) {
    std::string out;
    std::size_t at = 0;
    while (true) {
        const std::size_t open = text.find("${", at);
        if (open == std::string::npos) {
            return out.append(text, at, std::string::npos);
        }
        const std::size_t close = text.find('}', open + 2);
        if (close == std::string::npos) {
            bad_setting(setting, "has '${' without a closing '}'");
        }
        const std::string name = text.substr(open + 2, close - open - 2);
        const char* value = std::getenv(name.c_str());
        if (name.empty() || value == nullptr) {
            bad_setting(setting, "uses ${" + name + "}, which is not set in the environment");
        }
        out.append(text, at, open - at).append(value);
        at = close + 1;
    }
}

std::string required_string(const toml::table& table, const std::string& section,
                            const std::string& key) {
    const auto value = table[key].value<std::string>();
    if (!value) {
        bad_setting(section + "." + key, "is required (a string)");
    }
    return expand_environment(*value, section + "." + key);
}

std::string optional_string(const toml::table& table, const std::string& key,
                            const std::string& fallback) {
    const auto value = table[key].value<std::string>();
    return value ? expand_environment(*value, key) : fallback;
}

/// A scalar as the text an adapter parses; arrays of scalars are joined with commas.
std::optional<std::string> option_text(const toml::node& node) {
    if (const auto* text = node.as_string()) {
        return text->get();
    }
    if (const auto* number = node.as_integer()) {
        return std::to_string(number->get());
    }
    if (const auto* number = node.as_floating_point()) {
        std::array<char, 32> digits{};  // shortest round-trip form
        const auto written =
            std::to_chars(digits.data(), digits.data() + digits.size(), number->get());
        return std::string(digits.data(), written.ptr);
    }
    if (const auto* flag = node.as_boolean()) {
        return flag->get() ? "true" : "false";
    }
    if (const auto* array = node.as_array()) {
        std::string joined;
        for (const toml::node& item : *array) {
            const auto text = item.as_array() == nullptr ? option_text(item) : std::nullopt;
            if (!text) {
                return std::nullopt;
            }
            joined.append(joined.empty() ? "" : ",").append(*text);
        }
        return joined;
    }
    return std::nullopt;
}

endpoint_config read_endpoint(const toml::table& table, const std::string& section) {
    endpoint_config out;
    out.section = section;
    out.type = required_string(table, section, "type");
    if (out.type == "file") {
        out.path = required_string(table, section, "path");
    }
    for (const auto& [key, node] : table) {
        const std::string name{key.str()};
        if (name == "type" || (name == "path" && out.type == "file")) {
            continue;
        }
        const auto text = option_text(node);
        std::string setting = section;
        setting.append(".").append(name);
        if (!text) {
            bad_setting(setting, "must be a string, number, boolean or array of them");
        }
        out.options.emplace(name, expand_environment(*text, setting));
    }
    return out;
}

const toml::table& required_table(const toml::table& root, const std::string& key) {
    const toml::table* table = root[key].as_table();
    if (table == nullptr) {
        bad_setting("[" + key + "]", "is required");
    }
    return *table;
}

/// A boolean key, or `fallback` when absent.
bool optional_flag(const toml::table& table, const std::string& section, const std::string& key,
                   bool fallback) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
        return fallback;
    }
    const auto flag = node->value<bool>();
    if (!flag) {
        bad_setting(section + "." + key, "must be true or false");
    }
    return *flag;
}

/// `[query]`: the keys are `detect`'s flag names with `_` for `-`; the defaults are
/// `query_settings`'s.
query_settings read_query(const toml::table& table) {
    query_settings settings;
    settings.value = required_string(table, "query", "value");
    settings.timestamp = required_string(table, "query", "timestamp");
    settings.timestamp_format =
        optional_string(table, "timestamp_format", settings.timestamp_format);
    settings.partition_by = optional_string(table, "partition_by", settings.partition_by);
    settings.when = optional_string(table, "when", settings.when);
    settings.detector = optional_string(table, "detector", settings.detector);
    settings.kernel = optional_string(table, "kernel", settings.kernel);
    if (const toml::node* confidence = table.get("confidence")) {
        settings.confidence = confidence->value<double>();
        if (!settings.confidence) {
            bad_setting("query.confidence", "must be a number");
        }
    }
    if (const toml::node* history = table.get("history")) {
        settings.history = history->value<std::int64_t>();
        if (!settings.history) {
            bad_setting("query.history", "must be an integer");
        }
    }
    settings.duration = required_string(table, "query", "duration");
    settings.fractional_confidence =
        optional_flag(table, "query", "fractional_confidence", settings.fractional_confidence);
    settings.out_of_order_tolerance =
        optional_string(table, "out_of_order_tolerance", settings.out_of_order_tolerance);
    settings.out_of_order_action =
        optional_string(table, "out_of_order_action", settings.out_of_order_action);
    settings.only_anomalies =
        optional_flag(table, "query", "only_anomalies", settings.only_anomalies);
    settings.project = optional_flag(table, "query", "project", settings.project);
    if (const toml::node* threads = table.get("threads")) {
        const auto count = threads->value<std::int64_t>();
        if (!count || *count < 1 || *count > max_detect_threads) {
            bad_setting("query.threads",
                        "must be an integer in [1, " + std::to_string(max_detect_threads) + "]");
        }
        settings.threads = static_cast<unsigned>(*count);
    }
    return settings;
}

/// `[checkpoint]`: `path`, `every` and `interval`, defaults `checkpoint_settings`'s.
checkpoint_settings read_checkpoint(const toml::table& table) {
    checkpoint_settings settings;
    settings.path = required_string(table, "checkpoint", "path");
    if (const toml::node* every = table.get("every")) {
        const auto count = every->value<std::int64_t>();
        if (!count || *count < 1) {
            bad_setting("checkpoint.every", "must be an integer of at least 1");
        }
        settings.every = static_cast<std::uint64_t>(*count);
    }
    settings.interval = optional_string(table, "interval", settings.interval);
    return settings;
}

}  // namespace

pipeline_config load_pipeline_config(const std::string& path) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& error) {
        const auto& where = error.source().begin;
        throw std::invalid_argument("config " + path + ":" + std::to_string(where.line) + ":" +
                                    std::to_string(where.column) + ": " +
                                    std::string(error.description()));
    }
    pipeline_config config;
    config.source = read_endpoint(required_table(root, "source"), "source");
    config.query = build_query(read_query(required_table(root, "query")));
    if (const toml::array* sinks = root["sinks"].as_array()) {
        for (const toml::node& node : *sinks) {
            const toml::table* table = node.as_table();
            if (table == nullptr) {
                bad_setting("sinks", "must be an array of tables ([[sinks]])");
            }
            config.sinks.push_back(
                read_endpoint(*table, "sinks[" + std::to_string(config.sinks.size()) + "]"));
        }
    }
    if (config.sinks.empty()) {
        config.sinks.push_back(
            {.type = "stdout", .path = "", .section = "sinks[0]", .options = {}});
    }
    if (const toml::table* rejects = root["rejects"].as_table()) {
        config.rejects_path = required_string(*rejects, "rejects", "path");
    }
    if (const toml::table* checkpoint = root["checkpoint"].as_table()) {
        config.checkpoint = build_checkpoint(read_checkpoint(*checkpoint));
    }
    if (const toml::table* archive = root["archive"].as_table()) {
        archive_config settings;
        settings.path = required_string(*archive, "archive", "path");
        settings.layout = optional_string(*archive, "layout", settings.layout);
        if (settings.layout != "date" && settings.layout != "iothub") {
            bad_setting("archive.layout",
                        "'" + settings.layout + "' is unknown: allowed date, iothub");
        }
        settings.format = optional_string(*archive, "format", settings.format);
        if (settings.format != "json" && settings.format != "avro") {
            bad_setting("archive.format",
                        "'" + settings.format + "' is unknown: allowed json, avro");
        }
        settings.hub = optional_string(*archive, "hub", settings.hub);
        if (settings.layout == "iothub" && settings.hub.empty()) {
            bad_setting("archive.hub", "is required with layout = \"iothub\"");
        }
        if (const auto max_bytes = (*archive)["max_bytes"].value<std::int64_t>()) {
            if (*max_bytes < 0) {
                bad_setting("archive.max_bytes", "must not be negative (0: no size limit)");
            }
            settings.max_bytes = static_cast<std::uint64_t>(*max_bytes);
        }
        config.archive = settings;
    }
    if (const toml::table* metrics = root["metrics"].as_table()) {
        config.metrics_listen = required_string(*metrics, "metrics", "listen");
    }
    return config;
}

}  // namespace streamcp::pipeline
