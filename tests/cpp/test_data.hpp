// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include <simdjson.h>

#ifndef STREAMCP_TEST_DATA_DIR
#error "STREAMCP_TEST_DATA_DIR must name tests/data"
#endif

namespace streamcp_test {

/// One set of ML.NET's vectors: parameters, float inputs and the expected rows.
struct vector_set {
    std::string id;
    std::string kind;
    double confidence = 0;
    long history = 0;
    std::string martingale;  // "power" | "mixture" (change point sets)
    double eps = 0.1;
    std::string side;  // "positive" | "negative" (spike sets)
    std::vector<double> inputs;
    std::vector<std::vector<double>> expected;
    std::string compare_mode;  // "abs" | "float32" | "decimals"
    double tol = 0;
    int decimals = 0;
};

inline std::vector<vector_set> load_mlnet_vectors() {
    simdjson::dom::parser parser;
    const simdjson::dom::element root =
        parser.load(std::string(STREAMCP_TEST_DATA_DIR) + "/mlnet_vectors.json");
    std::vector<vector_set> sets;
    for (simdjson::dom::element s : root["sets"].get_array()) {
        vector_set v;
        v.id = std::string(std::string_view(s["id"]));
        v.kind = std::string(std::string_view(s["kind"]));
        const simdjson::dom::object params = s["params"];
        v.confidence = double(params["confidence"]);
        if (v.kind == "iid_spike") {
            v.history = int64_t(params["pvalue_history_length"]);
            v.side = std::string(std::string_view(params["side"]));
        } else {
            v.history = int64_t(params["change_history_length"]);
            v.martingale = std::string(std::string_view(params["martingale"]));
            v.eps = double(params["eps"]);
        }
        for (simdjson::dom::element x : s["inputs"].get_array()) {
            v.inputs.push_back(double(x));
        }
        for (simdjson::dom::element row : s["expected"].get_array()) {
            std::vector<double> r;
            for (simdjson::dom::element c : row.get_array()) {
                r.push_back(double(c));
            }
            v.expected.push_back(std::move(r));
        }
        const simdjson::dom::object cmp = s["compare"];
        v.compare_mode = std::string(std::string_view(cmp["mode"]));
        if (v.compare_mode == "abs") {
            v.tol = double(cmp["tol"]);
        } else if (v.compare_mode == "decimals") {
            v.decimals = int(int64_t(cmp["decimals"]));
        }
        sets.push_back(std::move(v));
    }
    return sets;
}

}  // namespace streamcp_test
