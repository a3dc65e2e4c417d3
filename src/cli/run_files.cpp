// SPDX-License-Identifier: MIT
#include "run_files.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace streamcp::cli {
namespace {

/// A file as the kernel knows it; a file not yet created is its directory's inode plus its
/// name, so two spellings of a path that does not exist yet still compare equal.
struct file_key {
    dev_t device = 0;
    ino_t inode = 0;
    std::string name;  ///< empty for an existing file
    bool operator==(const file_key&) const = default;
};

std::pair<std::string, std::string> split_path(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) {
        return {".", path};
    }
    return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

/// Where a dangling symbolic link points (following a chain of them): opening it for writing
/// creates that file, so it is compared as that path. Other paths are returned as they are.
std::string link_target(std::string path) {
    constexpr int max_links = 40;  // as the kernel's ELOOP limit
    for (int hop = 0; hop < max_links; ++hop) {
        struct stat info {};
        if (::lstat(path.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) {
            return path;
        }
        std::string target(static_cast<std::size_t>(info.st_size) + 1, '\0');
        const ssize_t size = ::readlink(path.c_str(), target.data(), target.size());
        if (size < 0 || static_cast<std::size_t>(size) >= target.size()) {
            return path;
        }
        target.resize(static_cast<std::size_t>(size));
        if (target.starts_with('/')) {
            path = std::move(target);
        } else {
            path = split_path(path).first;
            path.append("/").append(target);
        }
    }
    return path;
}

std::optional<file_key> key_of_path(const std::string& given) {
    struct stat info {};
    if (::stat(given.c_str(), &info) == 0) {
        return file_key{info.st_dev, info.st_ino, ""};
    }
    const std::string path = link_target(given);
    const auto [directory, name] = split_path(path);
    if (::stat(directory.c_str(), &info) == 0) {
        return file_key{info.st_dev, info.st_ino, name};
    }
    return std::nullopt;  // opening it will fail and say so
}

/// stdin or stdout when redirected to a regular file (`>> in.jsonl`); a pipe or terminal
/// cannot be another of the run's files.
std::optional<file_key> key_of_stream(int fd) {
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
        return file_key{info.st_dev, info.st_ino, ""};
    }
    return std::nullopt;
}

struct run_file {
    std::string setting;
    std::optional<file_key> key;
};

std::string endpoint_setting(const pipeline::endpoint_config& endpoint, setting_names names) {
    if (names == setting_names::config_keys) {
        return endpoint.section + (endpoint.type == "file" ? ".path" : ".type");
    }
    return endpoint.section == "source" ? "--input" : "--output";
}

std::optional<file_key> endpoint_key(const pipeline::endpoint_config& endpoint) {
    if (endpoint.type == "file") {
        return key_of_path(endpoint.path);
    }
    if (endpoint.type == "stdin") {
        return key_of_stream(STDIN_FILENO);
    }
    if (endpoint.type == "stdout") {
        return key_of_stream(STDOUT_FILENO);
    }
    return std::nullopt;  // brokers
}

std::vector<run_file> run_files(const pipeline::pipeline_config& config, setting_names names) {
    const bool flags = names == setting_names::flags;
    std::vector<run_file> files;
    files.push_back({endpoint_setting(config.source, names), endpoint_key(config.source)});
    for (const pipeline::endpoint_config& sink : config.sinks) {
        files.push_back({endpoint_setting(sink, names), endpoint_key(sink)});
    }
    if (config.rejects_path) {
        files.push_back({flags ? "--rejects" : "rejects.path", key_of_path(*config.rejects_path)});
    }
    if (config.checkpoint) {
        const std::string setting = flags ? "--checkpoint" : "checkpoint.path";
        for (const char* suffix : {"", "-wal", "-shm"}) {  // SQLite writes all three
            files.push_back({setting + (*suffix == '\0' ? "" : std::string(" (") + suffix + ")"),
                             key_of_path(config.checkpoint->path + suffix)});
        }
    }
    if (config.archive) {
        files.push_back({flags ? "--archive" : "archive.path", key_of_path(config.archive->path)});
    }
    return files;
}

/// A path with its directories resolved (the file itself may not exist yet); `;` and `%` are
/// escaped because the checkpoint's fingerprint separates settings with `;`.
std::string resolved_path(const std::string& given) {
    const std::string path = link_target(given);
    const auto [directory, name] = split_path(path);
    const std::unique_ptr<char, decltype(&std::free)> real{::realpath(path.c_str(), nullptr),
                                                           &std::free};
    const std::unique_ptr<char, decltype(&std::free)> parent{::realpath(directory.c_str(), nullptr),
                                                             &std::free};
    std::string raw =
        real ? std::string(real.get()) : (parent ? std::string(parent.get()) + "/" + name : path);
    std::string out;
    for (const char c : raw) {
        if (c == ';') {
            out += "%3B";
        } else if (c == '%') {
            out += "%25";
        } else {
            out += c;
        }
    }
    return out;
}

void refuse_same_keys(const std::vector<run_file>& files) {
    for (std::size_t i = 0; i < files.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (files[i].key && files[j].key && *files[i].key == *files[j].key) {
                throw std::invalid_argument(files[i].setting + " and " + files[j].setting +
                                            " name the same file: a run never writes over "
                                            "another of its files; give each its own path");
            }
        }
    }
}

}  // namespace

void refuse_shared_files(const pipeline::pipeline_config& config, setting_names names) {
    refuse_same_keys(run_files(config, names));
}

void refuse_shared_files(std::span<const named_file> files) {
    std::vector<run_file> keyed;
    for (const named_file& file : files) {
        const int stream = file.input ? STDIN_FILENO : STDOUT_FILENO;
        keyed.push_back(
            {file.setting, file.path == "-" ? key_of_stream(stream) : key_of_path(file.path)});
    }
    refuse_same_keys(keyed);
}

std::string outputs_identity(const pipeline::pipeline_config& config) {
    std::string out;
    for (const pipeline::endpoint_config& sink : config.sinks) {
        out.append(out.empty() ? "" : ",").append(sink.type);
        if (sink.type == "file") {
            out.append(":").append(resolved_path(sink.path));
        }
    }
    out.append(",rejects:")
        .append(config.rejects_path ? resolved_path(*config.rejects_path) : std::string("none"));
    return out;
}

}  // namespace streamcp::cli
