// SPDX-License-Identifier: MIT
// Consumer test: a project linking the installed streamcp::pipeline copies a JSON Lines file
// through the endpoint factory's file source and sink, and parses a duration. Exit code 0 means
// every line arrived unchanged.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "duration_parse.hpp"
#include "endpoint_factory.hpp"

int main() {
    namespace pipeline = streamcp::pipeline;
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / "streamcp_pipeline_consumer";
    std::filesystem::create_directories(dir);
    const std::string input = (dir / "in.jsonl").string();
    const std::string output = (dir / "out.jsonl").string();
    const std::string lines = "{\"device\":\"a\",\"temp\":21.5}\n{\"device\":\"b\",\"temp\":22}\n";
    std::ofstream(input, std::ios::binary | std::ios::trunc) << lines;
    std::filesystem::remove(output);

    pipeline::endpoint_config in{"file", input, "source", {}};
    pipeline::endpoint_config out{"file", output, "sinks[0]", {}};
    {
        const auto source = streamcp::adapters::make_source(in);
        const auto sink = streamcp::adapters::make_sink(out);
        std::string_view line;
        while (source->next(line)) {
            sink->write(line);
            sink->write("\n");
        }
        sink->sync();
    }
    std::ifstream copied(output, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(copied), {}};
    const bool durations = pipeline::parse_duration("PT30M") == std::chrono::minutes(30);
    std::printf("copied %zu bytes through streamcp::pipeline; PT30M %s\n", text.size(),
                durations ? "parsed" : "misparsed");
    return text == lines && durations ? 0 : 1;
}
