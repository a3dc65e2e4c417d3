// SPDX-License-Identifier: MIT
#include "pipeline_config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "closest_name.hpp"
#include "detect_settings.hpp"

namespace streamcp::pipeline {
namespace {

[[noreturn]] void bad_setting(const std::string& key, const std::string& why) {
    throw std::invalid_argument("config: " + key + " " + why);
}

/// Every table a config may hold and the keys of each, in one place: any other table or key is
/// refused by name (a typo must not run silently with a default). A new setting is one more
/// name here. `[source]` and `[[sinks]]` hold their adapter's keys, which the adapter checks.
struct config_table {
    std::string_view name;
    std::vector<std::string_view> keys;
};
const std::vector<config_table>& config_tables() {
    static const std::vector<config_table> tables{
        {"source", {}},
        {"sinks", {}},
        {"query",
         {"value", "timestamp", "timestamp_format", "partition_by", "when", "detector", "kernel",
          "confidence", "history", "duration", "fractional_confidence", "out_of_order_tolerance",
          "out_of_order_action", "idle_ttl", "max_partitions", "only_anomalies", "project",
          "threads"}},
        {"rejects", {"path"}},
        {"checkpoint", {"path", "every", "interval"}},
        {"archive", {"type", "path", "layout", "format", "hub", "max_bytes"}},
        {"metrics", {"listen"}},
    };
    return tables;
}

/// What a TOML value is, for "must be X, not Y" messages.
std::string type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        default:
            return "a date or time";
    }
}

/// An `[archive]` of another type than "file" (an object store) holds its connector's keys,
/// which the connector checks as `[source]`'s adapter does.
bool is_object_store_archive(const std::string& name, const toml::node& node) {
    const toml::table* table = node.as_table();
    if (name != "archive" || table == nullptr) {
        return false;
    }
    const auto* type = table->get_as<std::string>("type");
    return type != nullptr && type->get() != "file";
}

/// Refuses a table or key `config_tables` does not list, naming the allowed ones and the
/// closest match.
void refuse_unknown_keys(const toml::table& root) {
    std::vector<std::string_view> tables;
    for (const config_table& table : config_tables()) {
        tables.push_back(table.name);
    }
    for (const auto& [key, node] : root) {
        const std::string name{key.str()};
        const auto known = std::find_if(config_tables().begin(), config_tables().end(),
                                        [&](const config_table& t) { return t.name == name; });
        if (known == config_tables().end()) {
            bad_setting(
                node.is_table() ? "[" + name + "]" : name,
                "is not a table of a pipeline config (" + allowed_names(name, tables) + ")");
        }
        if (known->keys.empty() || is_object_store_archive(name, node)) {
            continue;  // the adapter's keys
        }
        const toml::table* table = node.as_table();
        if (table == nullptr) {
            bad_setting("[" + name + "]", "must be a table, not " + type_name(node));
        }
        for (const auto& [inner, value] : *table) {
            const std::string_view setting = inner.str();
            if (std::find(known->keys.begin(), known->keys.end(), setting) == known->keys.end()) {
                bad_setting(name + "." + std::string(setting),
                            "is not a setting of [" + name + "] (" +
                                allowed_names(setting, known->keys) + ")");
            }
        }
    }
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
    const toml::node* node = table.get(key);
    if (node == nullptr) {
        bad_setting(section + "." + key, "is required (a string)");
    }
    const auto* text = node->as_string();
    if (text == nullptr) {
        bad_setting(section + "." + key, "must be a string, not " + type_name(*node));
    }
    return expand_environment(text->get(), section + "." + key);
}

std::string optional_string(const toml::table& table, const std::string& section,
                            const std::string& key, const std::string& fallback) {
    return table.contains(key) ? required_string(table, section, key) : fallback;
}

/// An integer key, or empty when absent; any other type is refused naming the key.
std::optional<std::int64_t> optional_integer(const toml::table& table, const std::string& section,
                                             const std::string& key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
        return std::nullopt;
    }
    const auto* number = node->as_integer();
    if (number == nullptr) {
        bad_setting(section + "." + key, "must be an integer, not " + type_name(*node));
    }
    return number->get();
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
    const auto* flag = node->as_boolean();
    if (flag == nullptr) {
        bad_setting(section + "." + key, "must be true or false, not " + type_name(*node));
    }
    return flag->get();
}

/// `[query]`: the keys are `detect`'s flag names with `_` for `-`; the defaults are
/// `query_settings`'s.
query_settings read_query(const toml::table& table) {
    query_settings settings;
    settings.value = required_string(table, "query", "value");
    settings.timestamp = required_string(table, "query", "timestamp");
    settings.timestamp_format =
        optional_string(table, "query", "timestamp_format", settings.timestamp_format);
    settings.partition_by = optional_string(table, "query", "partition_by", settings.partition_by);
    settings.when = optional_string(table, "query", "when", settings.when);
    settings.detector = optional_string(table, "query", "detector", settings.detector);
    settings.kernel = optional_string(table, "query", "kernel", settings.kernel);
    if (const toml::node* confidence = table.get("confidence")) {
        if (!confidence->is_number()) {
            bad_setting("query.confidence", "must be a number, not " + type_name(*confidence));
        }
        settings.confidence = confidence->value<double>();
    }
    settings.history = optional_integer(table, "query", "history");
    settings.duration = required_string(table, "query", "duration");
    settings.fractional_confidence =
        optional_flag(table, "query", "fractional_confidence", settings.fractional_confidence);
    settings.out_of_order_tolerance =
        optional_string(table, "query", "out_of_order_tolerance", settings.out_of_order_tolerance);
    settings.out_of_order_action =
        optional_string(table, "query", "out_of_order_action", settings.out_of_order_action);
    settings.idle_ttl = optional_string(table, "query", "idle_ttl", settings.idle_ttl);
    if (const auto count = optional_integer(table, "query", "max_partitions")) {
        if (*count < 0) {
            bad_setting("query.max_partitions", "must be an integer of at least 0 (0: no limit)");
        }
        settings.max_partitions = static_cast<std::uint64_t>(*count);
    }
    settings.only_anomalies =
        optional_flag(table, "query", "only_anomalies", settings.only_anomalies);
    settings.project = optional_flag(table, "query", "project", settings.project);
    if (const auto count = optional_integer(table, "query", "threads")) {
        if (*count < 1 || *count > max_detect_threads) {
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
    if (const auto count = optional_integer(table, "checkpoint", "every")) {
        if (*count < 1) {
            bad_setting("checkpoint.every", "must be an integer of at least 1");
        }
        settings.every = static_cast<std::uint64_t>(*count);
    }
    settings.interval = optional_string(table, "checkpoint", "interval", settings.interval);
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
    refuse_unknown_keys(root);
    pipeline_config config;
    config.source = read_endpoint(required_table(root, "source"), "source");
    config.query = build_query(read_query(required_table(root, "query")));
    if (root.contains("sinks") && !root["sinks"].is_array()) {
        bad_setting("sinks", "must be an array of tables ([[sinks]])");
    }
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
    if (const toml::table* store = root["archive"].as_table();
        store != nullptr && optional_string(*store, "archive", "type", "file") != "file") {
        // An object store (type = "azure_blob"): its connector reads and checks its options.
        archive_config settings;
        settings.type = optional_string(*store, "archive", "type", settings.type);
        settings.store = read_endpoint(*store, "archive");
        config.archive = settings;
    } else if (const toml::table* archive = root["archive"].as_table()) {
        archive_config settings;
        settings.path = required_string(*archive, "archive", "path");
        settings.layout = optional_string(*archive, "archive", "layout", settings.layout);
        if (settings.layout != "date" && settings.layout != "iothub") {
            bad_setting("archive.layout",
                        "'" + settings.layout + "' is unknown: allowed date, iothub");
        }
        settings.format = optional_string(*archive, "archive", "format", settings.format);
        if (settings.format != "json" && settings.format != "avro") {
            bad_setting("archive.format",
                        "'" + settings.format + "' is unknown: allowed json, avro");
        }
        settings.hub = optional_string(*archive, "archive", "hub", settings.hub);
        if (settings.layout == "iothub" && settings.hub.empty()) {
            bad_setting("archive.hub", "is required with layout = \"iothub\"");
        }
        if (const auto max_bytes = optional_integer(*archive, "archive", "max_bytes")) {
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
