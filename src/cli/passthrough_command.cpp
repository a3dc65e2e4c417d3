// SPDX-License-Identifier: MIT
// `streamcp passthrough` (hidden): parse every line with the same JSON parser as `detect` and
// write it back unchanged. It is the baseline scripts/bench-detect compares `detect` against.
#include <array>
#include <memory>
#include <string>

#include <simdjson.h>

#include "commands.hpp"
#include "file_line_sink.hpp"
#include "file_line_source.hpp"
#include "run_files.hpp"

namespace streamcp::cli {
namespace {

struct passthrough_flags {
    std::string input = "-";
    std::string output = "-";
};

int run_passthrough(const passthrough_flags& flags) {
    const std::array<named_file, 2> files{
        {{"--input", flags.input, true}, {"--output", flags.output, false}}};
    refuse_shared_files(files);  // before the output is opened (and truncated)
    adapters::file_line_source source{flags.input};
    adapters::file_line_sink output{flags.output};
    if (output.truncatable()) {
        output.truncate(0);
    }
    simdjson::dom::parser parser;
    std::string_view line;
    std::string buffer;
    std::uint64_t malformed = 0;
    while (source.next(line)) {
        simdjson::dom::element root;
        if (parser.parse(line.data(), line.size(), false).get(root) != simdjson::SUCCESS) {
            ++malformed;
            continue;
        }
        buffer.assign(line);
        buffer += '\n';
        output.write(buffer);
    }
    output.flush();
    if (malformed > 0) {
        std::fprintf(stderr, "streamcp passthrough: %llu malformed lines skipped\n",
                     static_cast<unsigned long long>(malformed));
    }
    return 0;
}

}  // namespace

void add_passthrough_command(CLI::App& root, command_action& action) {
    auto flags = std::make_shared<passthrough_flags>();
    CLI::App* cmd = root.add_subcommand(
        "passthrough", "Parse each JSON line and write it back unchanged (benchmark baseline)");
    cmd->group("");  // hidden from --help: a measuring tool, not a feature
    cmd->add_option("--input,-i", flags->input, "Input file; - is stdin");
    cmd->add_option("--output,-o", flags->output, "Output file; - is stdout");
    cmd->callback([flags, &action] { action = [flags] { return run_passthrough(*flags); }; });
}

}  // namespace streamcp::cli
