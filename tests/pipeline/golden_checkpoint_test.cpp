// SPDX-License-Identifier: MIT
// Checkpoints written by streamcp releases (tests/data/golden/checkpoint) still resume: the
// command continues each one to the same output and rejects as an uninterrupted run, with any
// thread count. Each case is a run that crashed after a mid-run checkpoint, in one of the layouts
// releases wrote: the whole state in one blob (0.1.0) and segments of rows (table `segment`). The
// whole-state files predate the input's content identity (the `input_identity` table): they are
// checked for the input's length only, which is why a damaged first input line still resumes;
// the later ones are checked by content, so the proof that they resume is a damaged first output
// line that a fresh start would rewrite. None records the outputs, which are then not compared
// (the library's runs name none).
//
// Write a case only when its release is the current one, never to make a test pass (a layout
// must not change silently):
// STREAMCP_WRITE_GOLDEN=segments-no-tolerance ./streamcp_pipeline_tests --gtest_filter='*Golden*'
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "checkpoint_store.hpp"
#include "detect_job.hpp"
#include "detect_runner.hpp"
#include "detect_settings.hpp"
#include "file_line_sink.hpp"
#include "file_line_source.hpp"
#include "test_sinks.hpp"

#ifndef STREAMCP_GOLDEN_DIR
#error "STREAMCP_GOLDEN_DIR must name tests/data/golden"
#endif
#ifndef STREAMCP_CLI_PATH
#error "STREAMCP_CLI_PATH must name the streamcp executable"
#endif

namespace streamcp::pipeline {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path golden_dir = fs::path{STREAMCP_GOLDEN_DIR} / "checkpoint";
constexpr std::uint64_t checkpoint_every = 100;
constexpr std::uint64_t crash_after = 250;  // lines: the last checkpoint is at line 200

struct golden_case {
    std::string name;
    std::string tolerance;  ///< --out-of-order-tolerance
    bool incremental;       ///< written in one of the incremental layouts
};

// Readable test names in failure messages.
void PrintTo(const golden_case& c, std::ostream* os) { *os << c.name; }

const std::array<golden_case, 4> cases{{{"no-tolerance", "0s", false},
                                        {"tolerance-2m", "2m", false},
                                        {"segments-no-tolerance", "0s", true},
                                        {"segments-tolerance-2m", "2m", true}}};

/// The arguments of every run but the paths, as the command line and as a query.
std::string query_flags(const golden_case& c) {
    return "--value temperature --timestamp time --partition-by device --confidence 90 "
           "--history 12 --duration 12m --out-of-order-tolerance " +
           c.tolerance;
}

detect_query golden_query(const golden_case& c) {
    query_settings settings;
    settings.value = "temperature";
    settings.timestamp = "time";
    settings.partition_by = "device";
    settings.confidence = 90;
    settings.history = 12;
    settings.duration = "12m";
    settings.out_of_order_tolerance = c.tolerance;
    return build_query(settings);
}

std::string read_file(const fs::path& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        throw std::runtime_error("cannot read " + path.string());
    }
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

void write_file(const fs::path& path, std::string_view text) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

fs::path fresh_dir(const std::string& name) {
    fs::path dir =
        fs::temp_directory_path() / ("streamcp-golden-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

/// Runs the command in `dir` on input.jsonl (a relative path: the checkpoint's fingerprint
/// records the input path as given) and returns its exit status.
int run_cli(const fs::path& dir, const golden_case& c, const std::string& extra) {
    const std::string command = "cd '" + dir.string() + "' && '" STREAMCP_CLI_PATH "' detect " +
                                query_flags(c) +
                                " --input input.jsonl --output output.jsonl --rejects "
                                "rejects.jsonl -q " +
                                extra + " 2> stderr.txt";
    return std::system(command.c_str());
}

/// The file input, stopped by an exception after `lines` lines as a kill would stop it.
class crashing_source final : public line_source {
  public:
    crashing_source(const fs::path& path, std::uint64_t lines) : inner_(path), left_(lines) {}
    bool next(std::string_view& line) override {
        if (left_ == 0) {
            throw std::runtime_error("simulated crash");
        }
        --left_;
        return inner_.next(line);
    }
    [[nodiscard]] std::uint64_t position() const override { return inner_.position(); }
    [[nodiscard]] bool seekable() const override { return true; }
    void seek(std::uint64_t offset) override { inner_.seek(offset); }
    [[nodiscard]] std::string name() const override { return "input.jsonl"; }

  private:
    adapters::file_line_source inner_;
    std::uint64_t left_;
};

/// Writes a case's crashed run (checkpoint, output and rejects as the crash left them) and the
/// uninterrupted run's output and rejects.
void write_golden(const golden_case& c) {
    const fs::path dir = golden_dir / c.name;
    fs::create_directories(dir);
    for (const char* name :
         {"checkpoint.sqlite", "checkpoint.sqlite-wal", "checkpoint.sqlite-shm"}) {
        fs::remove(dir / name);
    }
    {
        crashing_source source{golden_dir / "input.jsonl", crash_after};
        adapters::file_line_sink output{(dir / "output.jsonl").string()};
        adapters::file_line_sink rejects{(dir / "rejects.jsonl").string()};
        run_settings settings;
        settings.checkpoint = checkpoint_policy{.path = (dir / "checkpoint.sqlite").string(),
                                                .every_events = checkpoint_every,
                                                .interval = 24h};
        EXPECT_THROW((void)run_detect(golden_query(c), source, output, &rejects, settings),
                     std::runtime_error);
    }
    ASSERT_FALSE(fs::exists(dir / "checkpoint.sqlite-wal")) << "the checkpoint was left open";
    const fs::path work = fresh_dir(c.name + "-write");
    fs::copy_file(golden_dir / "input.jsonl", work / "input.jsonl");
    ASSERT_EQ(run_cli(work, c, ""), 0) << read_file(work / "stderr.txt");
    fs::copy_file(work / "output.jsonl", dir / "expected-output.jsonl",
                  fs::copy_options::overwrite_existing);
    fs::copy_file(work / "rejects.jsonl", dir / "expected-rejects.jsonl",
                  fs::copy_options::overwrite_existing);
    fs::remove_all(work);
}

class GoldenCheckpoint : public ::testing::TestWithParam<golden_case> {};

TEST_P(GoldenCheckpoint, ResumesToTheUninterruptedOutputWithAnyThreadCount) {
    const golden_case& c = GetParam();
    if (const char* name = std::getenv("STREAMCP_WRITE_GOLDEN");
        name != nullptr && name == c.name) {
        write_golden(c);
    }
    const fs::path dir = golden_dir / c.name;
    const std::string input = read_file(golden_dir / "input.jsonl");
    for (const unsigned threads : {1U, 3U}) {
        SCOPED_TRACE(c.name + ", threads " + std::to_string(threads));
        const fs::path work = fresh_dir(c.name + "-" + std::to_string(threads));
        for (const char* name : {"checkpoint.sqlite", "output.jsonl", "rejects.jsonl"}) {
            fs::copy_file(dir / name, work / name);
        }
        // Damage the first line, which lies before the checkpoint: a resumed run never reads
        // nor writes it again, so the output proves the run resumed instead of starting afresh.
        std::string expected_output = read_file(dir / "expected-output.jsonl");
        if (c.incremental) {
            std::string output = read_file(work / "output.jsonl");
            ASSERT_EQ(output.substr(0, 20), expected_output.substr(0, 20));
            output[1] = expected_output[1] = '#';
            write_file(work / "output.jsonl", output);
            write_file(work / "input.jsonl", input);
        } else {
            std::string damaged = input;
            const std::size_t value = damaged.find("21.250");
            ASSERT_LT(value, damaged.find('\n'));
            damaged.replace(value, 6, "99.250");
            write_file(work / "input.jsonl", damaged);
        }

        ASSERT_EQ(
            run_cli(work, c, "--checkpoint checkpoint.sqlite --threads " + std::to_string(threads)),
            0)
            << read_file(work / "stderr.txt");
        EXPECT_EQ(read_file(work / "output.jsonl"), expected_output);
        EXPECT_EQ(read_file(work / "rejects.jsonl"), read_file(dir / "expected-rejects.jsonl"));
        fs::remove_all(work);
    }
}

TEST_P(GoldenCheckpoint, ExpectedOutputIsTheUninterruptedRun) {
    const golden_case& c = GetParam();
    const fs::path dir = golden_dir / c.name;
    const fs::path work = fresh_dir(c.name + "-straight");
    fs::copy_file(golden_dir / "input.jsonl", work / "input.jsonl");
    ASSERT_EQ(run_cli(work, c, ""), 0) << read_file(work / "stderr.txt");
    EXPECT_EQ(read_file(work / "output.jsonl"), read_file(dir / "expected-output.jsonl"));
    EXPECT_EQ(read_file(work / "rejects.jsonl"), read_file(dir / "expected-rejects.jsonl"));
    fs::remove_all(work);
}

TEST_P(GoldenCheckpoint, HoldsAMidRunState) {
    const golden_case& c = GetParam();
    // A copy: opening a SQLite file may write beside it.
    const fs::path work = fresh_dir(c.name + "-open");
    fs::copy_file(golden_dir / c.name / "checkpoint.sqlite", work / "checkpoint.sqlite");
    const auto point = checkpoint_store{(work / "checkpoint.sqlite").string()}.load();
    fs::remove_all(work);
    ASSERT_TRUE(point.has_value());
    EXPECT_EQ(point->line, 2 * checkpoint_every);
    EXPECT_EQ(point->fingerprint, golden_query(c).fingerprint() + ";input=input.jsonl");
    EXPECT_GT(point->output_offset, 0U);
    EXPECT_GT(point->rejects_offset, 0U);
    // The tolerance case holds late events back: the checkpoint carries them.
    EXPECT_EQ(point->incremental, c.incremental);
    testing::string_sink output;
    testing::string_sink rejects;
    const auto job = make_detect_engine(golden_query(c), output, &rejects);
    if (point->incremental) {
        EXPECT_FALSE(point->partitions.empty());
        job->load_state(point->state, point->partitions);
    } else {
        job->load_state(point->state);
    }
    EXPECT_EQ(job->counts().read, 2 * checkpoint_every);
    if (c.tolerance != "0s") {
        EXPECT_GT(job->held(), 0U);
    }
}

std::vector<std::byte> bytes_of(std::string_view text) {
    const auto* begin = reinterpret_cast<const std::byte*>(text.data());  // NOLINT
    return {begin, begin + text.size()};
}

// An incremental checkpoint replaces only the rows it is given (an empty state deletes one), and
// a load returns the head with every stored row.
TEST(CheckpointStore, IncrementalCheckpointsReplaceOnlyTheirRows) {
    const fs::path work = fresh_dir("incremental");
    const std::string path = (work / "checkpoint.sqlite").string();
    auto point = [](std::string_view head, std::vector<partition_row> rows) {
        checkpoint saved;
        saved.fingerprint = "query";
        saved.state = bytes_of(head);
        saved.incremental = true;
        saved.partitions = std::move(rows);
        return saved;
    };
    {
        checkpoint_store store{path};
        store.save(point("head 1", {{bytes_of("a"), bytes_of("a1")},
                                    {bytes_of("b"), bytes_of("b1")},
                                    {bytes_of("c"), bytes_of("c1")}}));
        store.save(point("head 2", {{bytes_of("b"), bytes_of("b2")}, {bytes_of("c"), {}}}));
    }
    const auto loaded = checkpoint_store{path}.load();
    fs::remove_all(work);
    ASSERT_TRUE(loaded.has_value());
    EXPECT_TRUE(loaded->incremental);
    EXPECT_EQ(loaded->fingerprint, "query");
    EXPECT_EQ(loaded->state, bytes_of("head 2"));
    std::map<std::vector<std::byte>, std::vector<std::byte>> rows;
    for (const partition_row& row : loaded->partitions) {
        rows.emplace(row.key, row.state);
    }
    const std::map<std::vector<std::byte>, std::vector<std::byte>> expected{
        {bytes_of("a"), bytes_of("a1")}, {bytes_of("b"), bytes_of("b2")}};
    EXPECT_EQ(rows, expected);
}

// Once the appended rows reach what the file held after its last full write (at least 1 MiB),
// the store asks for a checkpoint of every key, and that checkpoint drops every row before it.
TEST(CheckpointStore, AFullWriteDropsEveryRowBeforeIt) {
    const fs::path work = fresh_dir("rewrite");
    const std::string path = (work / "checkpoint.sqlite").string();
    auto point = [](std::vector<partition_row> rows, bool every_key) {
        checkpoint saved;
        saved.fingerprint = "query";
        saved.state = bytes_of("head");
        saved.incremental = true;
        saved.partitions = std::move(rows);
        saved.every_key = every_key;
        return saved;
    };
    const std::vector<std::byte> large(std::size_t{64} << 10, std::byte{7});
    {
        checkpoint_store store{path};
        int saves = 0;
        while (!store.rewrite_due()) {
            ASSERT_LT(saves, 100);
            store.save(point({{bytes_of("k" + std::to_string(saves % 4)), large}}, false));
            ++saves;
        }
        EXPECT_EQ(saves, 16);  // 16 rows of 64 KiB: the first MiB
        store.save(point({{bytes_of("k0"), bytes_of("only")}, {bytes_of("gone"), {}}}, true));
        EXPECT_FALSE(store.rewrite_due());
    }
    checkpoint_store reopened{path};
    const auto loaded = reopened.load();
    ASSERT_TRUE(loaded.has_value());
    ASSERT_EQ(loaded->partitions.size(), 1U);
    EXPECT_EQ(loaded->partitions[0].key, bytes_of("k0"));
    EXPECT_EQ(loaded->partitions[0].state, bytes_of("only"));
    EXPECT_FALSE(reopened.rewrite_due());
    fs::remove_all(work);
}

std::string case_name(const ::testing::TestParamInfo<golden_case>& param) {
    std::string name = param.param.name;
    std::erase(name, '-');
    return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenCheckpoint, ::testing::ValuesIn(cases), case_name);

}  // namespace
}  // namespace streamcp::pipeline
