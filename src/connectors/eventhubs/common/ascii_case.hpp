// SPDX-License-Identifier: MIT
#ifndef STREAMCP_CONNECTORS_EVENTHUBS_ASCII_CASE_HPP
#define STREAMCP_CONNECTORS_EVENTHUBS_ASCII_CASE_HPP

#include <string>
#include <string_view>

namespace streamcp::adapters {

/// `text` with A-Z lowered: connection-string keys and SAS resource URIs compare without case,
/// and only ASCII, whatever the locale.
inline std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

}  // namespace streamcp::adapters

#endif  // STREAMCP_CONNECTORS_EVENTHUBS_ASCII_CASE_HPP
