// SPDX-License-Identifier: MIT
#include "checkpoint_check.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace streamcp::pipeline {
namespace {

using fingerprint_map = std::map<std::string, std::string, std::less<>>;

/// `key=value;...` as a map; a part without `=` is its own key with an empty value.
fingerprint_map fingerprint_settings(std::string_view text) {
    fingerprint_map out;
    while (!text.empty()) {
        const std::string_view part = text.substr(0, text.find(';'));
        text.remove_prefix(std::min(text.size(), part.size() + 1));
        const std::size_t equals = part.find('=');
        out[std::string(part.substr(0, equals))] =
            equals == std::string_view::npos ? "" : std::string(part.substr(equals + 1));
    }
    out.try_emplace("detector", "asa");  // checkpoints from before the choice are asa's
    return out;
}

std::optional<double> number_of(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

/// ASA truncates the confidence to an integer: 80 and 80.5 are then one query.
void truncate_confidence(fingerprint_map& settings) {
    const auto confidence = settings.find("confidence");
    if (confidence == settings.end() || settings["fractional"] != "0" ||
        settings["detector"] != "asa") {
        return;
    }
    if (const auto value = number_of(confidence->second)) {
        confidence->second = std::to_string(static_cast<long long>(std::trunc(*value)));
    }
}

// Which bytes of the consumed prefix identify an input: its first, middle and last block. A
// commit reads and hashes three blocks (microseconds beside its fdatasync).
constexpr std::uint64_t identity_block = std::uint64_t{16} << 10;
constexpr std::string_view identity_version = "content-v1";

/// A 64-bit hash, eight bytes a step, of the same value on every platform (the bytes are read
/// little-endian): checkpoints move between machines.
std::uint64_t content_hash(std::span<const char> bytes) {
    std::uint64_t hash = 0x9E3779B97F4A7C15ULL ^ bytes.size();
    std::size_t at = 0;
    for (; at + 8 <= bytes.size(); at += 8) {
        std::uint64_t word = 0;
        for (std::size_t byte = 8; byte-- > 0;) {
            word = (word << 8U) | static_cast<unsigned char>(bytes[at + byte]);
        }
        hash = (hash ^ word) * 0xFF51AFD7ED558CCDULL;
        hash ^= hash >> 32U;
    }
    for (; at < bytes.size(); ++at) {
        hash = (hash ^ static_cast<unsigned char>(bytes[at])) * 0x100000001B3ULL;
    }
    return hash;
}

struct identity_range {
    const char* name;
    std::uint64_t offset;
    std::uint64_t size;
};

std::array<identity_range, 3> identity_ranges(std::uint64_t consumed) {
    const std::uint64_t size = std::min(identity_block, consumed);
    const std::uint64_t middle = consumed / 2 - std::min(consumed / 2, size / 2);
    return {identity_range{"first", 0, size}, identity_range{"middle", middle, size},
            identity_range{"last", consumed - size, size}};
}

/// The hash of one range of `source`, or empty when the input is shorter than the range.
std::optional<std::uint64_t> range_hash(const line_source& source, const identity_range& range) {
    std::vector<char> bytes(range.size);
    if (source.read_at(range.offset, bytes) != bytes.size()) {
        return std::nullopt;
    }
    return content_hash(bytes);
}

std::string start_over(const std::string& path) {
    return "; to start over, remove the checkpoint " + path + " (and its -wal file)";
}

/// Refuses an input that is not the one the checkpoint read: shorter than what it consumed, or
/// with other bytes in the recorded ranges. A checkpoint without an identity (older releases)
/// is checked for the length only.
void check_input(line_source& source, const checkpoint& point, const std::string& path) {
    const std::optional<std::uint64_t> size = source.content_size();
    if (!size) {
        return;
    }
    if (*size < point.input_offset) {
        throw std::runtime_error("checkpoint " + path + " had read " +
                                 std::to_string(point.input_offset) + " bytes of the input, but " +
                                 source.name() + " now holds " + std::to_string(*size) +
                                 ": it was shortened or replaced" + start_over(path));
    }
    const std::string recorded(reinterpret_cast<const char*>(point.input_identity.data()),
                               point.input_identity.size());
    if (recorded.empty()) {
        return;
    }
    const fingerprint_map fields = fingerprint_settings(recorded);
    const auto version = fields.find("version");
    if (version == fields.end() || version->second != identity_version) {
        throw std::runtime_error("checkpoint " + path +
                                 " identifies its input in an unknown way (" + recorded + ")" +
                                 start_over(path));
    }
    for (const identity_range& range : identity_ranges(point.input_offset)) {
        const auto stored = fields.find(range.name);
        const std::optional<std::uint64_t> now = range_hash(source, range);
        if (stored == fields.end() || !now || stored->second != std::to_string(*now)) {
            throw std::runtime_error(
                "input " + source.name() + " is not the file checkpoint " + path + " read: its " +
                range.name + " " + std::to_string(range.size) + " bytes before offset " +
                std::to_string(range.offset + range.size) + " differ (it was replaced or " +
                "rewritten)" + start_over(path));
        }
    }
}

}  // namespace

checkpoint_lock::checkpoint_lock(const std::string& path)
    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) {
        throw std::runtime_error("cannot open checkpoint " + path + ": " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        ::close(fd_);
        fd_ = -1;
        if (error == EWOULDBLOCK) {
            throw std::runtime_error("checkpoint " + path +
                                     " is in use by another streamcp process; wait for it to "
                                     "end, or give this run a checkpoint of its own");
        }
        throw std::runtime_error("cannot lock checkpoint " + path + ": " + std::strerror(error));
    }
}

checkpoint_lock::~checkpoint_lock() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

checkpoint_lock::checkpoint_lock(checkpoint_lock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

checkpoint_lock& checkpoint_lock::operator=(checkpoint_lock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

std::string fingerprint_difference(std::string_view recorded, std::string_view current,
                                   bool input_by_content) {
    fingerprint_map then = fingerprint_settings(recorded);
    fingerprint_map now = fingerprint_settings(current);
    if (input_by_content) {  // checked by content instead: any spelling of the path resumes
        then.erase("input");
        now.erase("input");
    }
    if (!then.contains("outputs")) {
        now.erase("outputs");  // written before the outputs were recorded
    }
    truncate_confidence(then);
    truncate_confidence(now);
    std::set<std::string, std::less<>> keys;
    for (const fingerprint_map* settings : {&then, &now}) {
        for (const auto& setting : *settings) {
            keys.insert(setting.first);
        }
    }
    auto value = [](const fingerprint_map& settings, const std::string& key) {
        const auto found = settings.find(key);
        return found == settings.end() ? std::string("(none)") : found->second;
    };
    std::string out;
    for (const std::string& key : keys) {
        const std::string was = value(then, key);
        const std::string is = value(now, key);
        if (was != is) {
            out.append(out.empty() ? "" : "; ")
                .append(key)
                .append(": ")
                .append(was)
                .append(" in the checkpoint, ")
                .append(is)
                .append(" in this run");
        }
    }
    return out;
}

std::vector<std::byte> input_identity(const line_source& source, std::uint64_t consumed) {
    if (!source.content_size()) {
        return {};
    }
    std::string text = "version=";
    text.append(identity_version);
    for (const identity_range& range : identity_ranges(consumed)) {
        const std::optional<std::uint64_t> hash = range_hash(source, range);
        text.append(";").append(range.name).append("=");
        text.append(hash ? std::to_string(*hash) : std::string("none"));
    }
    const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
    return {bytes, bytes + text.size()};
}

std::optional<double> recorded_confidence(std::string_view fingerprint) {
    const fingerprint_map settings = fingerprint_settings(fingerprint);
    const auto confidence = settings.find("confidence");
    return confidence == settings.end() ? std::nullopt : number_of(confidence->second);
}

prepared_checkpoint open_checkpoint(const std::string& path, std::string fingerprint,
                                    line_source& source) {
    prepared_checkpoint out;
    out.lock = checkpoint_lock{path};
    out.store = std::make_unique<checkpoint_store>(path);
    out.fingerprint = std::move(fingerprint);
    out.last = out.store->load();
    if (out.last) {
        const std::string difference = fingerprint_difference(
            out.last->fingerprint, out.fingerprint, source.content_size().has_value());
        if (!difference.empty()) {
            throw std::runtime_error("checkpoint " + path + " belongs to another query or input (" +
                                     difference + ")" + start_over(path) +
                                     ", or run with its settings");
        }
        check_input(source, *out.last, path);
    }
    return out;
}

}  // namespace streamcp::pipeline
