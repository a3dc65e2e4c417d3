// SPDX-License-Identifier: MIT
// The raw-message archive: layout, rolling by minute and size, atomic completion, restarts.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "detect_runner.hpp"
#include "file_archive.hpp"
#include "file_line_source.hpp"
#include "test_sinks.hpp"
#include "timestamp_parse.hpp"

namespace streamcp::adapters {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A fresh directory, removed at the end of the test.
class scratch_dir {
  public:
    scratch_dir() {
        path_ = fs::temp_directory_path() / ("streamcp-archive-" + std::to_string(::getpid()) +
                                             "-" + std::to_string(counter_++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~scratch_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    [[nodiscard]] std::string str() const { return path_.string(); }
    [[nodiscard]] const fs::path& path() const { return path_; }

  private:
    static inline int counter_ = 0;
    fs::path path_;
};

event_time at(const char* iso) { return *pipeline::parse_iso8601_time(iso); }

std::string read_file(const fs::path& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Every file under `root`, relative path → content, in lexical order.
std::map<std::string, std::string> files_under(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator{root}) {
        if (entry.is_regular_file()) {
            out[fs::relative(entry.path(), root).string()] = read_file(entry.path());
        }
    }
    return out;
}

/// The published files (no dot-prefixed temporary names), concatenated in name order.
std::string published(const fs::path& root) {
    std::string all;
    for (const auto& [name, text] : files_under(root)) {
        if (fs::path{name}.filename().string().starts_with(".")) {
            continue;
        }
        all += text;
    }
    return all;
}

archive_options options_for(const scratch_dir& dir) {
    archive_options options;
    options.directory = dir.str();
    return options;
}

TEST(FileArchive, DatePathLayoutAndAtomicCompletion) {
    scratch_dir dir;
    file_archive archive{options_for(dir)};
    archive.write(R"({"t":"2019-11-18T19:11:36Z"})", at("2019-11-18T19:11:36Z"), 0);
    archive.sync();
    // While open, the file exists only under its dot-prefixed temporary name.
    const auto open_files = files_under(dir.path());
    ASSERT_EQ(open_files.size(), 1U);
    EXPECT_EQ(open_files.begin()->first, "2019/11/18/19/.11-0-0000.jsonl.tmp");
    EXPECT_EQ(published(dir.path()), "");
    archive.write(R"({"t":"2019-11-18T19:11:59Z"})", at("2019-11-18T19:11:59Z"), 0);
    archive.close();
    const auto done = files_under(dir.path());
    ASSERT_EQ(done.size(), 1U);
    EXPECT_EQ(done.begin()->first, "2019/11/18/19/11-0-0000.jsonl");
    EXPECT_EQ(done.begin()->second,
              "{\"t\":\"2019-11-18T19:11:36Z\"}\n{\"t\":\"2019-11-18T19:11:59Z\"}\n");
    EXPECT_EQ(archive.position(), done.begin()->second.size());
}

TEST(FileArchive, IotHubLayout) {
    scratch_dir dir;
    archive_options options = options_for(dir);
    options.layout = parse_archive_layout("iothub");
    options.hub = "myhub";
    file_archive archive{options};
    archive.write("a", at("2019-01-02T03:04:05Z"), 7);
    archive.close();
    const auto done = files_under(dir.path());
    ASSERT_EQ(done.size(), 1U);
    // Issue 17 changed this layout to IoT Hub routing's default {iothub}/{partition}/{YYYY}/...
    EXPECT_EQ(done.begin()->first, "myhub/7/2019/01/02/03/04-0000.jsonl");
    EXPECT_THROW((void)parse_archive_layout("hourly"), std::invalid_argument);
    options.hub.clear();
    EXPECT_THROW(file_archive{options}, std::invalid_argument);
}

TEST(FileArchive, RollsByMinuteAndLateEventsOpenANewFileOfTheirMinute) {
    scratch_dir dir;
    file_archive archive{options_for(dir)};
    archive.write("a", at("2019-11-18T19:11:00Z"), 0);
    archive.write("b", at("2019-11-18T19:11:59.9Z"), 0);
    archive.write("c", at("2019-11-18T19:12:00Z"), 0);  // a new minute completes 19:11
    EXPECT_EQ(published(dir.path()), "a\nb\n");
    archive.write("late", at("2019-11-18T19:11:30Z"), 0);  // 19:11 is closed: its next file
    archive.write("d", at("2019-11-18T20:00:00Z"), 0);
    archive.write("other", at("2019-11-18T19:12:10Z"), 1);  // partitions roll independently
    archive.close();
    const auto done = files_under(dir.path());
    std::vector<std::string> names;
    names.reserve(done.size());
    for (const auto& [name, text] : done) {
        names.push_back(name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{
                         "2019/11/18/19/11-0-0000.jsonl", "2019/11/18/19/11-0-0001.jsonl",
                         "2019/11/18/19/12-0-0000.jsonl", "2019/11/18/19/12-1-0000.jsonl",
                         "2019/11/18/20/00-0-0000.jsonl"}));
    EXPECT_EQ(done.at("2019/11/18/19/11-0-0001.jsonl"), "late\n");
    EXPECT_EQ(done.at("2019/11/18/20/00-0-0000.jsonl"), "d\n");
}

TEST(FileArchive, GraceKeepsAMinuteOpenForLateEvents) {
    scratch_dir dir;
    archive_options options = options_for(dir);
    options.grace = 20s;
    file_archive archive{options};
    archive.write("a", at("2019-11-18T19:11:50Z"), 0);
    archive.write("b", at("2019-11-18T19:12:10Z"), 0);
    archive.write("late", at("2019-11-18T19:11:55Z"), 0);  // 19:11 is still open
    EXPECT_EQ(published(dir.path()), "");
    archive.write("c", at("2019-11-18T19:12:20Z"), 0);  // 20 s past 19:11's end: completed
    EXPECT_EQ(published(dir.path()), "a\nlate\n");
    archive.close();
    EXPECT_EQ(files_under(dir.path()).size(), 2U);
}

TEST(FileArchive, PathsCoverTheWholeDotnetRange) {
    // Beyond int64 nanoseconds (1677-09-21 .. 2262-04-11) the paths used to wrap (9999-12-31
    // under 1816/03/30); every instant from 0001-01-01 to 9999-12-31 now has its own.
    scratch_dir dir;
    archive_options options = options_for(dir);
    options.grace = 30s;  // a grace past the last minute of 9999 must not overflow
    file_archive archive{options};
    archive.write("first", at("0001-01-01T00:00:00Z"), 0);
    archive.write("old", at("1677-09-21T00:12:00Z"), 1);
    archive.write("new", at("2262-04-11T23:48:00Z"), 1);
    archive.write("last", at("9999-12-31T23:59:59.9999999Z"), 0);
    archive.close();
    std::vector<std::string> names;
    for (const auto& [name, text] : files_under(dir.path())) {
        names.push_back(name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{
                         "0001/01/01/00/00-0-0000.jsonl", "1677/09/21/00/12-1-0000.jsonl",
                         "2262/04/11/23/48-1-0000.jsonl", "9999/12/31/23/59-0-0000.jsonl"}));
}

TEST(FileArchive, RollsBySize) {
    scratch_dir dir;
    archive_options options = options_for(dir);
    options.max_bytes = 10;
    file_archive archive{options};
    for (const char* line : {"1234", "5678", "9abc", "a-line-longer-than-the-limit", "x"}) {
        archive.write(line, at("2019-11-18T19:11:00Z"), 0);
    }
    archive.close();
    const auto done = files_under(dir.path());
    std::vector<std::string> texts;
    for (const auto& [name, text] : done) {
        texts.push_back(text);
        EXPECT_TRUE(text.size() <= 10 || text.find('\n') == text.size() - 1) << name;
    }
    EXPECT_EQ(texts, (std::vector<std::string>{"1234\n5678\n", "9abc\n",
                                               "a-line-longer-than-the-limit\n", "x\n"}));
    EXPECT_EQ(done.rbegin()->first, "2019/11/18/19/11-0-0003.jsonl");
}

/// Lines over three minutes with a late one, archived with a size limit.
std::vector<std::pair<std::string, event_time>> sample_lines() {
    std::vector<std::pair<std::string, event_time>> out;
    const event_time start = at("2019-11-18T19:10:00Z");
    for (int i = 0; i < 60; ++i) {
        event_time time = start + std::chrono::seconds{5 * i};
        if (i == 40) {
            time = start + 10s;  // late: its minute is closed
        }
        out.emplace_back("line-" + std::to_string(i), time);
    }
    return out;
}

TEST(FileArchive, RestoreAfterAKillArchivesEveryMessageOnceUnderTheSameNames) {
    const auto lines = sample_lines();
    scratch_dir expected_dir;
    {
        archive_options options = options_for(expected_dir);
        options.max_bytes = 40;
        file_archive archive{options};
        for (const auto& [line, time] : lines) {
            archive.write(line, time, 0);
        }
        archive.close();
    }
    const auto expected = files_under(expected_dir.path());

    for (std::size_t checkpoint_at : {0UL, 7UL, 13UL, 30UL, 41UL, 59UL}) {
        for (std::size_t killed_at : {checkpoint_at, checkpoint_at + 9, lines.size()}) {
            scratch_dir dir;
            archive_options options = options_for(dir);
            options.max_bytes = 40;
            std::vector<std::byte> state;
            {
                file_archive archive{options};
                for (std::size_t i = 0; i < std::min(killed_at, lines.size()); ++i) {
                    if (i == checkpoint_at) {
                        archive.sync();
                        state = archive.save_state();
                    }
                    archive.write(lines[i].first, lines[i].second, 0);
                }
                if (state.empty()) {
                    archive.sync();
                    state = archive.save_state();
                }
                // Destroyed without close(): open files stay under their temporary names.
            }
            file_archive restarted{options};
            restarted.restore(state);
            for (std::size_t i = std::min(checkpoint_at, lines.size()); i < lines.size(); ++i) {
                restarted.write(lines[i].first, lines[i].second, 0);
            }
            restarted.close();
            EXPECT_EQ(files_under(dir.path()), expected)
                << "checkpoint at " << checkpoint_at << ", killed at " << killed_at;
        }
    }
}

TEST(FileArchive, RestoreRefusesAnArchiveChangedSince) {
    scratch_dir dir;
    std::vector<std::byte> state;
    {
        file_archive archive{options_for(dir)};
        archive.write("a", at("2019-11-18T19:11:00Z"), 0);
        archive.sync();
        state = archive.save_state();
    }
    fs::remove_all(dir.path() / "2019");
    file_archive restarted{options_for(dir)};
    EXPECT_THROW(restarted.restore(state), std::runtime_error);
}

TEST(FileArchive, AnEventFarInTheFutureDoesNotKeepEveryMinuteOpen) {
    scratch_dir dir;
    file_archive archive{options_for(dir)};
    archive.write("future", at("2099-01-01T00:00:00Z"), 0);
    const event_time start = at("2019-11-18T19:00:00Z");
    for (int i = 0; i < 100; ++i) {
        archive.write("m" + std::to_string(i), start + std::chrono::minutes{i}, 0);
    }
    std::size_t temporary = 0;
    for (const auto& [name, text] : files_under(dir.path())) {
        temporary += fs::path{name}.filename().string().starts_with(".") ? 1U : 0U;
    }
    EXPECT_LE(temporary, 64U);
    archive.close();
    EXPECT_EQ(files_under(dir.path()).size(), 101U);
    EXPECT_EQ(published(dir.path()).size(), archive.position());
}

TEST(FileArchive, TheRunnerArchivesEveryLineWithATimestampOnce) {
    scratch_dir dir;
    const std::string input_path = (dir.path() / "in.jsonl").string();
    const std::vector<std::string> lines{
        R"({"temp":20,"datetime":"2019-11-18T19:11:36Z"})",
        R"(not json)",
        R"({"temp":"hot","datetime":"2019-11-18T19:11:46Z"})",  // rejected, but has a time
        R"({"temp":21})",                                       // no timestamp: not archived
        R"({"temp":22,"datetime":"2019-11-18T19:12:06Z"})",
        R"({"temp":23,"datetime":"2019-11-18T19:11:50Z"})",  // late
    };
    {
        std::ofstream out{input_path};
        for (const std::string& line : lines) {
            out << line << '\n';
        }
    }
    pipeline::detect_query query;
    query.fields.value = pipeline::field_path{"temp"};
    query.fields.timestamp = pipeline::field_path{"datetime"};
    query.confidence = 80;
    query.history = 4;
    query.duration = 30min;
    archive_options options;
    options.directory = (dir.path() / "archive").string();
    file_archive archive{options};
    file_line_source source{input_path};
    pipeline::testing::string_sink output;
    pipeline::run_settings settings;
    settings.archive = &archive;
    const auto counts = pipeline::run_detect(query, source, output, nullptr, settings);
    EXPECT_EQ(counts.read, 6U);
    const auto done = files_under(dir.path() / "archive");
    std::vector<std::string> names;
    names.reserve(done.size());
    for (const auto& [name, text] : done) {
        names.push_back(name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"2019/11/18/19/11-0-0000.jsonl",
                                               "2019/11/18/19/11-0-0001.jsonl",
                                               "2019/11/18/19/12-0-0000.jsonl"}));
    EXPECT_EQ(done.at("2019/11/18/19/11-0-0000.jsonl"), lines[0] + "\n" + lines[2] + "\n");
    EXPECT_EQ(done.at("2019/11/18/19/11-0-0001.jsonl"), lines[5] + "\n");
    EXPECT_EQ(done.at("2019/11/18/19/12-0-0000.jsonl"), lines[4] + "\n");
}

}  // namespace
}  // namespace streamcp::adapters
