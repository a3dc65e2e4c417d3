// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <optional>

#include <streamcp/function/partitioned_function.hpp>

#include "event_order.hpp"

namespace streamcp::pipeline {

/// Sees every event the function scored, on the thread that scored it (with `--threads`,
/// several at once). Implementations must stay O(1) and allocation-free on the common path:
/// they run inside the hot loop.
class score_observer {
  public:
    virtual ~score_observer() = default;
    /// `partitions`: the keys the scoring thread's function holds after this event.
    virtual void scored(const released_event& event, const std::optional<record>& result,
                        std::size_t partitions) noexcept = 0;
};

}  // namespace streamcp::pipeline
