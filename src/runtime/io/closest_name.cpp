// SPDX-License-Identifier: MIT
#include "closest_name.hpp"

#include <algorithm>
#include <vector>

namespace streamcp::pipeline {
namespace {

constexpr std::size_t max_edits = 2;

/// Edits (insert, delete, replace, swap of neighbours) turning `a` into `b`.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t columns = b.size() + 1;
    std::vector<std::size_t> d((a.size() + 1) * columns);
    auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * columns + j]; };
    for (std::size_t i = 0; i <= a.size(); ++i) {
        at(i, 0) = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        at(0, j) = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t replace = at(i - 1, j - 1) + (a[i - 1] == b[j - 1] ? 0 : 1);
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, replace});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
            }
        }
    }
    return at(a.size(), b.size());
}

}  // namespace

std::string closest_name(std::string_view unknown, std::span<const std::string_view> allowed) {
    std::string best;
    std::size_t best_edits = max_edits + 1;
    for (const std::string_view name : allowed) {
        const std::size_t edits = edit_distance(unknown, name);
        if (edits < best_edits && edits < std::max(name.size(), unknown.size())) {
            best_edits = edits;
            best = name;
        }
    }
    return best;
}

std::string allowed_names(std::string_view unknown, std::span<const std::string_view> allowed) {
    std::string out = "allowed: ";
    for (std::size_t i = 0; i < allowed.size(); ++i) {
        out.append(i == 0 ? "" : ", ").append(allowed[i]);
    }
    if (allowed.empty()) {
        out.append("none");
    }
    const std::string closest = closest_name(unknown, allowed);
    if (!closest.empty()) {
        out.append("; did you mean '").append(closest).append("'?");
    }
    return out;
}

std::string allowed_names(std::string_view unknown,
                          std::initializer_list<std::string_view> allowed) {
    return allowed_names(unknown,
                         std::span<const std::string_view>(allowed.begin(), allowed.size()));
}

}  // namespace streamcp::pipeline
