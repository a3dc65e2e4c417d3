// SPDX-License-Identifier: MIT
#include "status_page.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include <streamcp/function/event_time.hpp>

#include "metrics_text.hpp"

namespace streamcp::pipeline {
namespace {

constexpr double chart_width = 360;
constexpr double chart_height = 60;

std::string escaped(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string number(double value) {
    std::array<char, 48> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%.6g", value);
    return buffer.data();
}

std::string fixed(double value, int decimals) {
    std::array<char, 400> buffer{};  // %f of the largest double
    std::snprintf(buffer.data(), buffer.size(), "%.*f", decimals, value);
    return buffer.data();
}

std::string iso_time(std::int64_t time_ticks) {
    // Calendar arithmetic, not gmtime: it covers the event times' whole range, years 1..9999.
    const streamcp::event_time time{streamcp::tick_duration{time_ticks}};
    const auto millis = std::chrono::floor<std::chrono::milliseconds>(time);
    const auto days = std::chrono::floor<std::chrono::days>(millis);
    const std::chrono::year_month_day date{days};
    const std::chrono::hh_mm_ss clock{millis - days};
    std::array<char, 96> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03lldZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()),
                  static_cast<long long>(clock.subseconds().count()));
    return buffer.data();
}

/// A table cell holding a metric's value, marked so tests can find it.
std::string metric_cell(std::string_view metric, std::string_view extra, const std::string& text) {
    std::string out = R"(<td class="n" data-metric=")" + std::string(metric) + "\"";
    if (!extra.empty()) {
        out += " " + std::string(extra);
    }
    return out + ">" + text + "</td>";
}

std::string summary_row(std::string_view title, std::string_view metric, std::string_view extra,
                        const std::string& text) {
    return "<tr><th>" + std::string(title) + "</th>" + metric_cell(metric, extra, text) + "</tr>\n";
}

/// A polyline of `ys` scaled into a box `height` high starting at `top`, x spread evenly.
std::string polyline(const std::vector<double>& ys, double low, double high, double top,
                     const char* css_class) {
    std::string points;
    const double span = high > low ? high - low : 1;
    const double step = ys.size() > 1 ? chart_width / static_cast<double>(ys.size() - 1) : 0;
    for (std::size_t i = 0; i < ys.size(); ++i) {
        if (!std::isfinite(ys[i])) {
            continue;
        }
        const double y = top + chart_height * (1 - (std::clamp(ys[i], low, high) - low) / span);
        points += fixed(step * static_cast<double>(i), 1) + "," + fixed(y, 1) + " ";
    }
    return "<polyline class=\"" + std::string(css_class) + "\" points=\"" + points + "\"/>";
}

/// The lowest and highest finite numbers of `ys` and `also` (NaN: none), never an empty span.
std::pair<double, double> finite_range(const std::vector<double>& ys, double also) {
    // max() and lowest() stand for "none yet": any finite value replaces them.
    double low = std::isfinite(also) ? also : std::numeric_limits<double>::max();
    double high = std::isfinite(also) ? also : std::numeric_limits<double>::lowest();
    for (const double y : ys) {
        if (std::isfinite(y)) {
            low = std::min(low, y);
            high = std::max(high, y);
        }
    }
    if (low > high) {  // no finite value at all
        return {0, 1};
    }
    return {low, high > low ? high : low + 1};
}

std::string key_chart(const watched_key& key, double threshold) {
    std::vector<double> values;
    std::vector<double> scores;
    for (const score_point& p : key.points) {
        values.push_back(p.value);
        // Scores span many orders of magnitude: drawn on a log scale (0 is left out).
        scores.push_back(p.score > 0 ? std::log10(p.score) : NAN);
    }
    const auto [low, high] = finite_range(values, NAN);
    const double log_threshold = std::log10(threshold);
    const auto [score_low, score_high] = finite_range(scores, log_threshold);
    const double score_box = chart_height + 20;
    const double threshold_y =
        score_box + chart_height * (1 - (log_threshold - score_low) / (score_high - score_low));
    std::string out = "<figure><figcaption>key <b>" + escaped(key.key) +
                      "</b> · score ÷ threshold " + number(key.ratio) + "</figcaption>";
    out += "<svg viewBox=\"0 -4 " + fixed(chart_width, 0) + " " + fixed(2 * chart_height + 28, 0) +
           "\" width=\"" + fixed(chart_width, 0) + R"(" role="img">)";
    out += R"(<text x="2" y="8">value</text>)" + polyline(values, low, high, 0, "value");
    out += R"(<text x="2" y=")" + fixed(score_box + 8, 0) + "\">score (log)</text>";
    out += R"(<line class="threshold" x1="0" x2=")" + fixed(chart_width, 0) + "\" y1=\"" +
           fixed(threshold_y, 1) + "\" y2=\"" + fixed(threshold_y, 1) + "\"/>";
    out += polyline(scores, score_low, score_high, score_box, "score");
    out += "</svg></figure>\n";
    return out;
}

constexpr const char* style = R"(<style>
body{font:14px system-ui,sans-serif;margin:1.2em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .2em}h2{font-size:1.05em;margin:1.2em 0 .3em}
.grid{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
table{border-collapse:collapse;background:#fff}th,td{padding:2px 8px;border:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:0;background:#fff;border:1px solid #ddd;padding:4px}figcaption{font-size:12px}
svg text{font-size:9px;fill:#666}polyline{fill:none;stroke-width:1.3}
.value{stroke:#1f6fb4}.score{stroke:#d9822b}.threshold{stroke:#c0392b;stroke-dasharray:4 3}
.muted{color:#777;font-size:12px}
</style>)";

}  // namespace

std::string render_status_page(const status_view& view, const status_rates& rates,
                               int refresh_seconds) {
    std::string out = R"(<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">)";
    out += R"(<meta http-equiv="refresh" content=")" + std::to_string(refresh_seconds) + "\">";
    out += "<title>streamcp job status</title>";
    out += style;
    out += "</head><body><h1>streamcp job status</h1><p class=\"muted\">Reloads every " +
           std::to_string(refresh_seconds) +
           " s. Prometheus metrics: <a href=\"/metrics\">/metrics</a>.</p>\n";

    out += "<div class=\"grid\"><section><h2>Job</h2><table>\n";
    out += summary_row("input events", "streamcp_input_events_total", "",
                       std::to_string(view.counts.read));
    out += summary_row("input bytes", "streamcp_input_bytes_total", "",
                       std::to_string(view.input_bytes));
    out += summary_row("events/s", "events_per_second", "", fixed(rates.events_per_second, 0));
    out += summary_row("output events", "streamcp_output_events_total", "",
                       std::to_string(view.counts.written));
    out += summary_row("filtered", "streamcp_filtered_events_total", "",
                       std::to_string(view.counts.filtered));
    out += summary_row("anomalies", "streamcp_anomalies_total", "",
                       std::to_string(view.counts.anomalies));
    out += summary_row("late, adjusted", "streamcp_late_input_events_total",
                       "data-action=\"adjusted\"", std::to_string(view.late_adjusted));
    out += summary_row(
        "late, dropped", "streamcp_late_input_events_total", "data-action=\"dropped\"",
        std::to_string(view.rejects[static_cast<std::size_t>(reject_reason::out_of_order)]));
    out +=
        summary_row("partition keys", "streamcp_partitions", "", std::to_string(view.partitions));
    out += summary_row("watermark delay (s)", "streamcp_watermark_delay_seconds", "",
                       fixed(watermark_delay_seconds(view), 1));
    out += summary_row("threshold", "threshold", "", number(view.threshold));
    out += "</table></section>\n";

    out +=
        "<section><h2>Source partitions</h2><table><tr><th>partition</th><th>position "
        "(events read)</th><th>idle (s)</th></tr>\n";
    for (std::size_t p = 0; p < view.events_by_partition.size(); ++p) {
        out += "<tr><td>" + std::to_string(p) + "</td>" +
               metric_cell("partition_events", "data-partition=\"" + std::to_string(p) + "\"",
                           std::to_string(view.events_by_partition[p])) +
               "<td class=\"n\">" +
               fixed(p < rates.idle_seconds_by_partition.size() ? rates.idle_seconds_by_partition[p]
                                                                : 0.0,
                     1) +
               "</td></tr>\n";
    }
    out += "</table></section>\n";

    out += "<section><h2>Rejects by reason</h2><table>\n";
    for (std::size_t i = 0; i < reject_reason_count; ++i) {
        const std::string_view reason = reject_reason_name(static_cast<reject_reason>(i));
        out += summary_row(reason, "streamcp_input_deserialization_errors_total",
                           "data-reason=\"" + std::string(reason) + "\"",
                           std::to_string(view.rejects[i]));
    }
    out += "</table></section></div>\n";

    out += "<h2>Keys nearest the threshold</h2><div class=\"grid\">\n";
    if (view.keys.empty()) {
        out += "<p class=\"muted\">No scored events yet.</p>";
    }
    for (const watched_key& key : view.keys) {
        out += key_chart(key, view.threshold);
    }
    out +=
        "</div>\n<h2>Last anomalies</h2><table id=\"anomalies\"><tr><th>time</th><th>key</th>"
        "<th>value</th><th>score</th></tr>\n";
    for (const anomaly_entry& a : view.anomalies) {
        out += "<tr><td>" + iso_time(a.point.time_ticks) + "</td><td>" + escaped(a.key) +
               "</td><td class=\"n\">" + number(a.point.value) + "</td><td class=\"n\">" +
               number(a.point.score) + "</td></tr>\n";
    }
    out += "</table></body></html>\n";
    return out;
}

}  // namespace streamcp::pipeline
