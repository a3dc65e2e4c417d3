// SPDX-License-Identifier: MIT
#ifndef STREAMCP_CONNECTORS_EVENTHUBS_AMQP_TEXT_HPP
#define STREAMCP_CONNECTORS_EVENTHUBS_AMQP_TEXT_HPP

#include <string>

#include <proton/scalar.hpp>
#include <proton/symbol.hpp>
#include <proton/types.hpp>
#include <proton/value.hpp>

namespace streamcp::adapters {

/// An AMQP value as text: strings and symbols as they are (the service sends either for the
/// same field), anything else in Proton's printed form.
inline std::string text_of(const proton::value& value) {
    if (value.type() == proton::STRING) {
        return proton::get<std::string>(value);
    }
    if (value.type() == proton::SYMBOL) {
        return proton::get<proton::symbol>(value);
    }
    return proton::to_string(value);
}

}  // namespace streamcp::adapters

#endif  // STREAMCP_CONNECTORS_EVENTHUBS_AMQP_TEXT_HPP
