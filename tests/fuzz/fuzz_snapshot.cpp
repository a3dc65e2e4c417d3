// SPDX-License-Identifier: MIT
// libFuzzer target: snapshot decoding of every kind must either succeed or throw snapshot_error.
//
// Build and run:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I include \
//       tests/fuzz/fuzz_snapshot.cpp -o fuzz_snapshot
//   ./fuzz_snapshot corpus/ -max_total_time=60
// Seed the corpus with tests/fuzz/make_seed_corpus.cpp.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "streamcp/model/robust_change_point_detector.hpp"
#include "streamcp/streamcp.hpp"

namespace {

using namespace std::chrono;  // NOLINT

const streamcp::event_time t0 = sys_days{year{2024} / 1 / 1};

// The parameters here must match make_seed_corpus.cpp so seeds restore into functions.
streamcp::anomaly_detection_change_point<std::string> make_cp_function() {
    return {90, 4, minutes{4}};
}
streamcp::anomaly_detection_spike_and_dip<std::int64_t> make_sd_function() {
    return {95, 4, streamcp::spike_mode::spikes_and_dips, minutes{4}};
}
streamcp::robust_change_point_function<std::string> make_robust_function() {
    return {{.history = 8, .min_history = 3}, minutes{4}};
}

// Exercise a restored object: it must keep working. Values chosen to hit the KDE, the
// martingale and imputation; a restored state may hold any doubles, so NaN/inf outputs are fine.
void exercise(streamcp::change_point_detector& d) {
    for (const double v : {0.0, 1.0, -3.5, 1e30, 2.0}) {
        (void)d.update(v);
    }
    (void)d.snapshot();
}

void exercise(streamcp::spike_and_dip_detector& d) {
    for (const double v : {0.0, 1.0, -3.5, 1e30, 2.0}) {
        (void)d.update(v);
    }
    (void)d.snapshot();
}

void exercise(streamcp::robust_change_point_detector& d) {
    for (const double v : {0.0, 1.0, -3.5, 1e30, 2.0}) {
        (void)d.update(v);
    }
    (void)d.snapshot();
}

template <class F, class K>
void exercise(F& f, const K& key) {
    // Restored clocks can be anything: evaluate at the far future so order holds; also at
    // the sample time, which may be out of order (std::invalid_argument is then expected).
    for (int i = 0; i < 3; ++i) {
        try {
            (void)f.evaluate(key, t0 + minutes{i}, 1.0 + i);
        } catch (const std::invalid_argument&) {
        }
    }
    const streamcp::event_time late = sys_days{year{2200} / 1 / 1};
    try {
        (void)f.evaluate(key, late, 5.0);
        (void)f.evaluate(key, late + minutes{1}, 6.0);
    } catch (const std::invalid_argument&) {
        // a restored clock beyond 2200: out of order is the documented answer
    }
    if constexpr (requires { f.evict_idle(late, hours{1}); }) {  // the ASA functions' TTL
        (void)f.evict_idle(late, hours{1});
    }
    (void)f.snapshot();
}

// Detectors restored from a snapshot are exercised with every history: memory grows with the
// events seen, not with the recorded history. The bound below only skips exercising models whose
// history is too large to score quickly (each update is O(history)); decoding is always fuzzed.
constexpr std::int64_t max_exercised_history = 1 << 20;

/// Decodes `bytes` as a `Detector` snapshot and, when that succeeds, scores with it.
template <class Detector>
void try_from_snapshot(std::span<const std::byte> bytes) {
    try {
        auto d = Detector::from_snapshot(bytes);
        if (d.options().history <= max_exercised_history) {
            exercise(d);
        }
    } catch (const streamcp::snapshot_error&) {
    }
}

/// Restores `bytes` into an existing detector and, when that succeeds, scores with it.
template <class Detector>
void try_restore(Detector d, std::span<const std::byte> bytes) {
    try {
        d.restore(bytes);
        exercise(d);
    } catch (const streamcp::snapshot_error&) {
    }
}

void try_all(std::span<const std::byte> bytes) {
    try_from_snapshot<streamcp::change_point_detector>(bytes);
    try_restore(streamcp::change_point_detector{{.confidence = 90, .history = 4}}, bytes);
    try_from_snapshot<streamcp::spike_and_dip_detector>(bytes);
    try_from_snapshot<streamcp::robust_change_point_detector>(bytes);
    try_restore(streamcp::robust_change_point_detector{{.history = 8, .min_history = 3}}, bytes);
    try {
        auto f = make_cp_function();
        f.restore(bytes);
        exercise(f, std::string{"a"});
    } catch (const streamcp::snapshot_error&) {
    }
    try {
        auto f = make_sd_function();
        f.restore(bytes);
        exercise(f, std::int64_t{0});
    } catch (const streamcp::snapshot_error&) {
    }
    try {
        auto f = make_robust_function();
        f.restore(bytes);
        exercise(f, std::string{"a"});
    } catch (const streamcp::snapshot_error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto raw = std::as_bytes(std::span{data, size});
    // (a) the raw bytes, envelope and all (mostly exercises the envelope checks);
    try_all(raw);
    // (b) the bytes as a payload behind a valid envelope, so the decoders behind the
    // checksum see arbitrary input. A seed file is a whole snapshot: also try its payload.
    for (const auto kind : {streamcp::snapshot_kind::change_point_detector,
                            streamcp::snapshot_kind::spike_and_dip_detector,
                            streamcp::snapshot_kind::change_point_function,
                            streamcp::snapshot_kind::spike_and_dip_function,
                            streamcp::snapshot_kind::robust_change_point_detector,
                            streamcp::snapshot_kind::robust_change_point_function}) {
        try_all(streamcp::snapshot_format::seal(kind, raw));
    }
    if (size > streamcp::snapshot_format::header_size + streamcp::snapshot_format::trailer_size) {
        const auto inner = raw.subspan(streamcp::snapshot_format::header_size,
                                       size - streamcp::snapshot_format::header_size -
                                           streamcp::snapshot_format::trailer_size);
        std::uint16_t kind = 0;
        kind = static_cast<std::uint16_t>(static_cast<unsigned>(raw[6]) |
                                          (static_cast<unsigned>(raw[7]) << 8U));
        if (kind >= 1 && kind <= 6) {
            try_all(
                streamcp::snapshot_format::seal(static_cast<streamcp::snapshot_kind>(kind), inner));
        }
    }
    return 0;
}
