// SPDX-License-Identifier: MIT
#include "reject_reason.hpp"

namespace streamcp::pipeline {

std::string_view reject_reason_name(reject_reason reason) noexcept {
    switch (reason) {
        case reject_reason::malformed_json:
            return "malformed_json";
        case reject_reason::not_an_object:
            return "not_an_object";
        case reject_reason::missing_timestamp:
            return "missing_timestamp";
        case reject_reason::bad_timestamp:
            return "bad_timestamp";
        case reject_reason::time_out_of_range:
            return "time_out_of_range";
        case reject_reason::bad_value:
            return "bad_value";
        case reject_reason::value_out_of_range:
            return "value_out_of_range";
        case reject_reason::bad_partition_key:
            return "bad_partition_key";
        case reject_reason::out_of_order:
            return "out_of_order";
        case reject_reason::partition_limit:
            return "partition_limit";
    }
    return "unknown";
}

}  // namespace streamcp::pipeline
