// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <streamcp/function/partitioned_function.hpp>

#include "event_decoder.hpp"
#include "event_order.hpp"
#include "json_text.hpp"

namespace streamcp::pipeline {

/// The output record's shape.
struct output_shape {
    /// Instead of the whole input object, only the timestamp, partition and value fields plus
    /// `AnomalyScore`: the seed query's `SELECT datetime, device, temp, AnomalyScore`. Adds
    /// `IsAnomaly` too unless only anomalies are written (then it is always 1).
    bool project = false;
    bool only_anomalies = false;
};

/// Names of the fields the output adds.
inline constexpr std::string_view score_field = "Score";
inline constexpr std::string_view is_anomaly_field = "IsAnomaly";
inline constexpr std::string_view projected_score_field = "AnomalyScore";

/// Builds one output line (with its newline) from an event and its function result: the input
/// object's exact bytes plus `"Score"` and `"IsAnomaly"`, which replace input members of the
/// same name; or the projection.
class output_encoder {
  public:
    output_encoder(event_fields fields, output_shape shape);

    void encode(std::string& out, const released_event& event, const std::optional<record>& result);

  private:
    void encode_whole(std::string& out, const released_event& event,
                      const std::optional<record>& result);
    void encode_projection(std::string& out, const released_event& event,
                           const std::optional<record>& result);
    /// The raw text of `path` in `object` (whose members are already in `members_`), or
    /// empty when absent.
    std::optional<std::string_view> raw_field(std::string_view object, const field_path& path);

    event_fields fields_;
    output_shape shape_;
    std::vector<json_member> members_;
    std::vector<json_member> nested_members_;
};

}  // namespace streamcp::pipeline
