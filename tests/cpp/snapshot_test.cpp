// SPDX-License-Identifier: MIT
// Snapshots (semantics.md#snapshots): transparent restore, rejection of foreign/damaged input
// without side effects, key codecs, golden bytes.
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "streamcp/function/robust_change_point_function.hpp"
#include "streamcp/model/robust_change_point_detector.hpp"
#include "streamcp/streamcp.hpp"

#include "function_events.hpp"

namespace {

using namespace std::chrono;  // NOLINT: durations read better unqualified
using streamcp::anomaly_detection_change_point;
using streamcp::anomaly_detection_spike_and_dip;
using streamcp::byte_reader;
using streamcp::byte_writer;
using streamcp::change_point_detector;
using streamcp::change_point_options;
using streamcp::event_time;
using streamcp::record;
using streamcp::robust_change_point_detector;
using streamcp::snapshot_error;
using streamcp::snapshot_kind;
using streamcp::spike_and_dip_detector;
using streamcp::spike_mode;
namespace snapshot_format = streamcp::snapshot_format;

using bytes = std::vector<std::byte>;
using cp_function = anomaly_detection_change_point<std::string>;
using sd_function = anomaly_detection_spike_and_dip<std::int64_t>;

const event_time t0 = sys_days{year{2024} / 3 / 1};

bool same(double a, double b) { return std::isnan(a) ? std::isnan(b) : a == b; }

std::vector<double> series(std::uint64_t seed, int n) {
    std::mt19937_64 rng{seed};
    std::normal_distribution<double> noise{0.0, 1.0};
    std::vector<double> xs;
    for (int i = 0; i < n; ++i) {
        double v = noise(rng) + (i > n / 2 ? 3.0 : 0.0);
        if (rng() % 31 == 0) {
            v = std::numeric_limits<double>::quiet_NaN();
        }
        xs.push_back(v);
    }
    return xs;
}

std::string hex(const bytes& b) {
    std::string out;
    std::array<char, 3> buf{};
    for (const std::byte x : b) {
        std::snprintf(buf.data(), buf.size(), "%02x", static_cast<unsigned>(x));
        out += buf.data();
    }
    return out;
}

// ---- transparency ------------------------------------------------------------------------

TEST(Snapshot, ChangePointDetectorRestoreIsTransparent) {
    for (const std::uint64_t seed : {1U, 2U, 3U, 4U, 5U}) {
        std::mt19937_64 rng{seed * 1000};
        const auto xs = series(seed, 150);
        const change_point_options o{.confidence = 90,
                                     .history = static_cast<std::int64_t>(2 + rng() % 20),
                                     .martingale = seed % 2 == 0
                                                       ? streamcp::martingale_type::power
                                                       : streamcp::martingale_type::mixture,
                                     .epsilon = 0.1};
        const std::size_t cut = rng() % xs.size();
        change_point_detector straight{o};
        change_point_detector first{o};
        for (std::size_t i = 0; i < cut; ++i) {
            (void)straight.update(xs[i]);
            (void)first.update(xs[i]);
        }
        const bytes snap = first.snapshot();
        change_point_detector restored{o};
        restored.restore(snap);
        change_point_detector built = change_point_detector::from_snapshot(snap);
        EXPECT_EQ(built.options(), o);
        EXPECT_EQ(restored.snapshot(), snap);
        for (std::size_t i = cut; i < xs.size(); ++i) {
            const auto a = straight.update(xs[i]);
            const auto b = restored.update(xs[i]);
            const auto c = built.update(xs[i]);
            ASSERT_TRUE(same(a.score, b.score) && same(a.score, c.score)) << seed << " " << i;
            ASSERT_TRUE(same(a.p_value, b.p_value) && same(a.p_value, c.p_value)) << i;
            ASSERT_EQ(a.is_anomaly, b.is_anomaly);
            ASSERT_EQ(a.is_anomaly, c.is_anomaly);
        }
    }
}

TEST(Snapshot, SpikeAndDipDetectorRestoreIsTransparent) {
    for (const std::uint64_t seed : {11U, 12U, 13U}) {
        std::mt19937_64 rng{seed};
        const auto xs = series(seed, 120);
        const streamcp::spike_and_dip_options o{
            .confidence = 95, .history = 7, .mode = static_cast<spike_mode>(1 + seed % 3)};
        const std::size_t cut = rng() % xs.size();
        spike_and_dip_detector straight{o};
        for (std::size_t i = 0; i < cut; ++i) {
            (void)straight.update(xs[i]);
        }
        const bytes snap = straight.snapshot();
        spike_and_dip_detector restored{o};
        restored.restore(snap);
        auto built = spike_and_dip_detector::from_snapshot(snap);
        for (std::size_t i = cut; i < xs.size(); ++i) {
            const auto a = straight.update(xs[i]);
            const auto b = restored.update(xs[i]);
            const auto c = built.update(xs[i]);
            ASSERT_TRUE(same(a.p_value, b.p_value) && same(a.p_value, c.p_value)) << i;
            ASSERT_EQ(a.is_anomaly, b.is_anomaly);
            ASSERT_EQ(a.is_anomaly, c.is_anomaly);
        }
    }
}

struct event {
    int key;
    event_time time;
    std::optional<double> value;
    bool when;
};

std::vector<event> events(std::uint64_t seed, int n) {
    std::mt19937_64 rng{seed};
    std::normal_distribution<double> noise{5.0, 1.0};
    std::vector<event_time> clock(4, t0);
    std::vector<event> out;
    for (int i = 0; i < n; ++i) {
        const int key = static_cast<int>(rng() % 4);
        clock[static_cast<std::size_t>(key)] +=
            rng() % 9 == 0 ? minutes{static_cast<int>(rng() % 40)} : seconds{50};
        std::optional<double> v = noise(rng);
        if (rng() % 23 == 0) {
            v = std::nullopt;
        } else if (rng() % 29 == 0) {
            v = std::numeric_limits<double>::quiet_NaN();
        }
        out.push_back({key, clock[static_cast<std::size_t>(key)], v, rng() % 11 != 0});
    }
    return out;
}

template <class F, class MakeKey>
void expect_function_transparent(const std::function<F()>& make, MakeKey make_key,
                                 std::uint64_t seed) {
    const auto evs = events(seed, 300);
    std::mt19937_64 rng{seed + 5};
    const std::size_t cut = rng() % evs.size();
    F straight = make();
    for (std::size_t i = 0; i < cut; ++i) {
        (void)straight.evaluate(make_key(evs[i].key), evs[i].time, evs[i].value, evs[i].when);
    }
    const bytes snap = straight.snapshot();
    F restored = make();
    restored.restore(snap);
    EXPECT_EQ(restored.partition_count(), straight.partition_count());
    for (std::size_t i = cut; i < evs.size(); ++i) {
        const auto k = make_key(evs[i].key);
        const auto a = straight.evaluate(k, evs[i].time, evs[i].value, evs[i].when);
        const auto b = restored.evaluate(k, evs[i].time, evs[i].value, evs[i].when);
        ASSERT_EQ(a, b) << "seed " << seed << " cut " << cut << " event " << i;
    }
}

TEST(Snapshot, ChangePointFunctionRestoreIsTransparent) {
    for (const std::uint64_t seed : {21U, 22U, 23U, 24U}) {
        expect_function_transparent<cp_function>(
            [] {
                return cp_function{85, 6, minutes{5}};
            },
            [](int k) { return "sensor-" + std::to_string(k); }, seed);
    }
}

TEST(Snapshot, SpikeAndDipFunctionRestoreIsTransparent) {
    for (const std::uint64_t seed : {31U, 32U, 33U}) {
        expect_function_transparent<sd_function>(
            [] {
                return sd_function{95, 6, spike_mode::spikes_and_dips, minutes{5}};
            },
            [](int k) { return static_cast<std::int64_t>(k) - 2; }, seed);
    }
}

TEST(Snapshot, FunctionWithIdleTtlRestoreIsTransparent) {
    // The amortised TTL sweep decides whether a key restarts, so its schedule is behaviour and
    // a snapshot must carry it. Key A's events lie far behind key B's newest event (order is
    // per partition): in the uninterrupted run no sweep is due yet and A keeps its model.
    const streamcp::function_options opts{.idle_ttl = minutes{10}};
    cp_function straight{90, 4, minutes{4}, opts};
    (void)straight.evaluate("B", t0 + minutes{100}, 1.0);
    (void)straight.evaluate("A", t0, 1.0);
    (void)straight.evaluate("A", t0 + seconds{1}, 2.0);
    const bytes snap = straight.snapshot();
    cp_function restored{90, 4, minutes{4}, opts};
    restored.restore(snap);
    for (int i = 2; i < 6; ++i) {
        const auto a = straight.evaluate("A", t0 + seconds{i}, 1.5 * i);
        const auto b = restored.evaluate("A", t0 + seconds{i}, 1.5 * i);
        EXPECT_EQ(a, b) << "event " << i;
        EXPECT_EQ(straight.partition_count(), restored.partition_count()) << "event " << i;
    }
}

// ---- rejection ---------------------------------------------------------------------------

TEST(Snapshot, DetectorRejectsOtherOptions) {
    change_point_detector det{{.confidence = 90, .history = 5}};
    (void)det.update(1.0);
    const bytes snap = det.snapshot();
    for (const change_point_options o :
         {change_point_options{.confidence = 91, .history = 5},
          change_point_options{.confidence = 90, .history = 6},
          change_point_options{.confidence = 90, .history = 5, .epsilon = 0.2},
          change_point_options{
              .confidence = 90, .history = 5, .martingale = streamcp::martingale_type::mixture}}) {
        change_point_detector other{o};
        EXPECT_THROW(other.restore(snap), snapshot_error);
    }
    spike_and_dip_detector sd{{.confidence = 90, .history = 5, .mode = spike_mode::dips}};
    const bytes sd_snap = sd.snapshot();
    spike_and_dip_detector sd_other{{.confidence = 90, .history = 5, .mode = spike_mode::spikes}};
    EXPECT_THROW(sd_other.restore(sd_snap), snapshot_error);
}

TEST(Snapshot, FunctionRejectsOtherParameters) {
    cp_function f{90, 5, minutes{5}};
    (void)f.evaluate("k", t0, 1.0);
    const bytes snap = f.snapshot();
    const auto attempt = [&snap](cp_function other) {
        EXPECT_THROW(other.restore(snap), snapshot_error);
        EXPECT_EQ(other.partition_count(), 0U);
    };
    attempt(cp_function{91, 5, minutes{5}});
    attempt(cp_function{90.5, 5, minutes{5}});  // same model, different declared confidence
    attempt(cp_function{90, 6, minutes{5}});
    attempt(cp_function{90, 5, minutes{6}});
    attempt(cp_function{90, 5, minutes{5}, {.fractional_confidence = true}});
    attempt(cp_function{90, 5, minutes{5}, {.idle_ttl = hours{1}}});
    sd_function s{90, 5, spike_mode::dips, minutes{5}};
    (void)s.evaluate(1, t0, 1.0);
    sd_function s_other{90, 5, spike_mode::spikes, minutes{5}};
    EXPECT_THROW(s_other.restore(s.snapshot()), snapshot_error);
}

TEST(Snapshot, KindsAreNotInterchangeable) {
    change_point_detector cp{{.confidence = 90, .history = 5}};
    spike_and_dip_detector sd{{.confidence = 90, .history = 5}};
    cp_function cpf{90, 5, minutes{5}};
    sd_function sdf{90, 5, spike_mode::spikes_and_dips, minutes{5}};
    const std::array<bytes, 4> snaps{cp.snapshot(), sd.snapshot(), cpf.snapshot(), sdf.snapshot()};
    for (std::size_t i = 0; i < 4; ++i) {
        if (i != 0) {
            EXPECT_THROW(cp.restore(snaps[i]), snapshot_error) << i;
            EXPECT_THROW((void)change_point_detector::from_snapshot(snaps[i]), snapshot_error);
        }
        if (i != 1) {
            EXPECT_THROW(sd.restore(snaps[i]), snapshot_error) << i;
            EXPECT_THROW((void)spike_and_dip_detector::from_snapshot(snaps[i]), snapshot_error);
        }
        if (i != 2) {
            EXPECT_THROW(cpf.restore(snaps[i]), snapshot_error) << i;
        }
        if (i != 3) {
            EXPECT_THROW(sdf.restore(snaps[i]), snapshot_error) << i;
        }
    }
    // A function keyed by another type reads a different payload: rejected, not misread.
    anomaly_detection_change_point<std::int64_t> int_keys{90, 5, minutes{5}};
    (void)cpf.evaluate("abc", t0, 1.0);
    EXPECT_THROW(int_keys.restore(cpf.snapshot()), snapshot_error);
}

TEST(Snapshot, GarbageAndEmptyInputThrow) {
    change_point_detector det{{.confidence = 90, .history = 5}};
    EXPECT_THROW(det.restore(bytes{}), snapshot_error);
    const std::string text = "not a snapshot at all, just text";
    EXPECT_THROW(det.restore(std::as_bytes(std::span{text.data(), text.size()})), snapshot_error);
    // A valid envelope from a future format version.
    bytes snap = det.snapshot();
    snap[4] = std::byte{2};
    EXPECT_THROW(det.restore(snap), snapshot_error);
}

/// Snapshots of every kind with some state in them.
std::vector<std::pair<snapshot_kind, bytes>> sample_snapshots() {
    change_point_detector cp{{.confidence = 90, .history = 4}};
    spike_and_dip_detector sd{{.confidence = 90, .history = 4}};
    cp_function cpf{90, 4, minutes{4}};
    sd_function sdf{90, 4, spike_mode::dips, minutes{4}};
    robust_change_point_detector robust{};
    streamcp::robust_change_point_function<std::string> robust_fn{{}, minutes{4}};
    for (int i = 0; i < 12; ++i) {
        (void)robust.update(1.0 + 0.25 * (i % 3));
        (void)robust_fn.evaluate(i % 2 == 0 ? "a" : "bb", t0 + minutes{i}, 1.0 + 0.25 * (i % 3));
    }
    for (int i = 0; i < 6; ++i) {
        const double v = 1.0 + 0.25 * (i % 3);
        (void)cp.update(v);
        (void)sd.update(v);
        (void)cpf.evaluate(i % 2 == 0 ? "a" : "bb", t0 + minutes{i}, v);
        (void)sdf.evaluate(i % 2, t0 + minutes{i}, v);
    }
    return {{snapshot_kind::change_point_detector, cp.snapshot()},
            {snapshot_kind::spike_and_dip_detector, sd.snapshot()},
            {snapshot_kind::change_point_function, cpf.snapshot()},
            {snapshot_kind::spike_and_dip_function, sdf.snapshot()},
            {snapshot_kind::robust_change_point_detector, robust.snapshot()},
            {snapshot_kind::robust_change_point_function, robust_fn.snapshot()}};
}

/// Tries to restore `b` as `kind` into objects with the sample's parameters; returns true on
/// success. Any exception other than snapshot_error propagates and fails the test.
bool try_restore(snapshot_kind kind, std::span<const std::byte> b) {
    try {
        switch (kind) {
            case snapshot_kind::change_point_detector: {
                change_point_detector cp{{.confidence = 90, .history = 4}};
                cp.restore(b);
                (void)change_point_detector::from_snapshot(b);
                break;
            }
            case snapshot_kind::spike_and_dip_detector: {
                spike_and_dip_detector sd{{.confidence = 90, .history = 4}};
                sd.restore(b);
                (void)spike_and_dip_detector::from_snapshot(b);
                break;
            }
            case snapshot_kind::change_point_function: {
                cp_function f{90, 4, minutes{4}};
                f.restore(b);
                break;
            }
            case snapshot_kind::spike_and_dip_function: {
                sd_function f{90, 4, spike_mode::dips, minutes{4}};
                f.restore(b);
                break;
            }
            case snapshot_kind::robust_change_point_detector: {
                robust_change_point_detector r{};
                r.restore(b);
                (void)robust_change_point_detector::from_snapshot(b);
                break;
            }
            case snapshot_kind::robust_change_point_function: {
                streamcp::robust_change_point_function<std::string> f{{}, minutes{4}};
                f.restore(b);
                break;
            }
        }
        return true;
    } catch (const snapshot_error&) {
        return false;
    }
}

TEST(Snapshot, SamplesRestore) {
    for (const auto& [kind, b] : sample_snapshots()) {
        EXPECT_TRUE(try_restore(kind, b)) << static_cast<int>(kind);
    }
}

TEST(Snapshot, EveryTruncationThrows) {
    for (const auto& [kind, b] : sample_snapshots()) {
        for (std::size_t len = 0; len < b.size(); ++len) {
            EXPECT_FALSE(try_restore(kind, std::span{b}.first(len)))
                << static_cast<int>(kind) << " len " << len;
        }
    }
}

TEST(Snapshot, EveryByteFlipThrows) {
    for (const auto& [kind, b] : sample_snapshots()) {
        for (std::size_t pos = 0; pos < b.size(); ++pos) {
            for (const unsigned pattern : {0x01U, 0x10U, 0x80U, 0xFFU}) {
                bytes damaged = b;
                damaged[pos] ^= static_cast<std::byte>(pattern);
                EXPECT_FALSE(try_restore(kind, damaged))
                    << static_cast<int>(kind) << " pos " << pos << " pattern " << pattern;
            }
        }
    }
}

TEST(Snapshot, TruncatedPayloadBehindAValidChecksumThrows) {
    // Resealing bypasses the CRC, so the payload decoders themselves must catch short input.
    for (const auto& [kind, b] : sample_snapshots()) {
        const auto payload = snapshot_format::open(b, kind);
        for (std::size_t len = 0; len < payload.size(); ++len) {
            const bytes resealed = snapshot_format::seal(kind, payload.first(len));
            EXPECT_FALSE(try_restore(kind, resealed)) << static_cast<int>(kind) << " len " << len;
        }
        bytes padded(payload.begin(), payload.end());
        padded.push_back(std::byte{0});
        EXPECT_FALSE(try_restore(kind, snapshot_format::seal(kind, padded)));
    }
}

TEST(Snapshot, PayloadByteFlipsNeverCrash) {
    // Behind a valid checksum a flip may still decode (e.g. in a double); it must either
    // restore or throw snapshot_error.
    for (const auto& [kind, b] : sample_snapshots()) {
        const auto payload = snapshot_format::open(b, kind);
        for (std::size_t pos = 0; pos < payload.size(); ++pos) {
            for (const unsigned pattern : {0x01U, 0x80U, 0xFFU}) {
                bytes damaged(payload.begin(), payload.end());
                damaged[pos] ^= static_cast<std::byte>(pattern);
                (void)try_restore(kind, snapshot_format::seal(kind, damaged));
            }
        }
    }
}

TEST(Snapshot, DuplicatePartitionKeyThrows) {
    // Build a two-partition payload whose partitions share one key.
    cp_function empty{90, 4, minutes{4}};
    cp_function one{90, 4, minutes{4}};
    (void)one.evaluate("k", t0, 1.0);
    const bytes e0 = empty.snapshot();
    const auto p0 = snapshot_format::open(e0, snapshot_kind::change_point_function);
    const bytes e1 = one.snapshot();
    const auto p1 = snapshot_format::open(e1, snapshot_kind::change_point_function);
    ASSERT_GT(p1.size(), p0.size());
    const std::size_t header = p0.size() - 8;  // parameters, newest time; then the count
    byte_writer w;
    w.raw(p1.first(header));
    w.u64(2);
    const auto part = p1.subspan(p0.size());
    w.raw(part);
    w.raw(part);
    const bytes dup = snapshot_format::seal(snapshot_kind::change_point_function, w.bytes());
    cp_function target{90, 4, minutes{4}};
    EXPECT_THROW(target.restore(dup), snapshot_error);
    EXPECT_EQ(target.partition_count(), 0U);
}

TEST(Snapshot, FailedRestoreLeavesTheObjectUnchanged) {
    change_point_detector det{{.confidence = 90, .history = 4}};
    for (const double v : {1.0, 2.0, 1.5}) {
        (void)det.update(v);
    }
    change_point_detector twin = det;
    bytes good = det.snapshot();
    change_point_detector other{{.confidence = 90, .history = 4}};
    (void)other.update(100.0);
    const bytes foreign = other.snapshot();
    // Damage the foreign snapshot's payload behind a valid CRC: its cooldown (last 4 bytes).
    auto payload = snapshot_format::open(foreign, snapshot_kind::change_point_detector);
    bytes bad_payload(payload.begin(), payload.end());
    bad_payload[bad_payload.size() - 1] = std::byte{0x7F};  // cooldown far beyond history
    const bytes bad = snapshot_format::seal(snapshot_kind::change_point_detector, bad_payload);
    EXPECT_THROW(det.restore(bad), snapshot_error);
    EXPECT_THROW(det.restore(std::span{foreign}.first(foreign.size() - 1)), snapshot_error);
    EXPECT_EQ(det.snapshot(), good);
    for (const double v : {3.0, 1.0, 9.0, 2.0}) {
        const auto a = det.update(v);
        const auto b = twin.update(v);
        EXPECT_EQ(a.score, b.score);
        EXPECT_EQ(a.is_anomaly, b.is_anomaly);
    }
    // Functions too: a bad partition at the end must not leave earlier ones behind.
    cp_function f{90, 4, minutes{4}};
    (void)f.evaluate("x", t0, 1.0);
    const bytes f_before = f.snapshot();
    cp_function g{90, 4, minutes{4}};
    for (int i = 0; i < 3; ++i) {
        (void)g.evaluate("k" + std::to_string(i), t0, 1.0);
    }
    const bytes g_snap = g.snapshot();
    auto gp = snapshot_format::open(g_snap, snapshot_kind::change_point_function);
    bytes g_bad(gp.begin(), gp.end());
    g_bad.back() = std::byte{0x7F};  // the last partition's cooldown
    EXPECT_THROW(f.restore(snapshot_format::seal(snapshot_kind::change_point_function, g_bad)),
                 snapshot_error);
    EXPECT_EQ(f.snapshot(), f_before);
    EXPECT_EQ(f.partition_count(), 1U);
}

TEST(Snapshot, OutOfRangeRecordedOptionsThrowSnapshotError) {
    // Found by fuzz_snapshot: options outside their range must surface as snapshot_error,
    // whatever the value (huge and subnormal doubles included).
    for (const double confidence : {1e300, std::numeric_limits<double>::max(), -1e-310, 150.0}) {
        byte_writer w;
        w.f64(confidence);
        w.i64(3);    // history
        w.u8(1);     // power
        w.f64(0.1);  // epsilon
        w.u64(0);    // no bets
        w.u64(0);    // no history
        w.f64(0.0);
        w.f64(0.0);
        w.i32(0);
        const bytes snap = snapshot_format::seal(snapshot_kind::change_point_detector, w.bytes());
        try {
            (void)change_point_detector::from_snapshot(snap);
            ADD_FAILURE() << "accepted confidence " << confidence;
        } catch (const snapshot_error&) {
        } catch (const std::exception& e) {
            ADD_FAILURE() << "confidence " << confidence << ": wrong exception: " << e.what();
        }
    }
}

// ---- key codecs --------------------------------------------------------------------------

template <class Key>
void expect_round_trip(const Key& key) {
    byte_writer w;
    streamcp::key_codec<Key>::encode(w, key);
    w.u8(0xAB);  // a sentinel: the decoder must consume exactly the key
    byte_reader r{w.bytes()};
    EXPECT_EQ(streamcp::key_codec<Key>::decode(r), key);
    EXPECT_EQ(r.u8(), 0xAB);
    r.expect_end();
}

TEST(KeyCodec, RoundTrips) {
    for (const std::int64_t k :
         {std::int64_t{0}, std::int64_t{-1}, std::int64_t{42},
          std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
        expect_round_trip(k);
    }
    expect_round_trip(std::uint32_t{4000000000U});
    for (const std::string& k : {std::string{}, std::string{"sensor-1"}, std::string("a\0b", 3),
                                 std::string(1000, 'x'), std::string{"\xc3\xa9t\xc3\xa9"}}) {
        expect_round_trip(k);
    }
    expect_round_trip(std::monostate{});
    expect_round_trip(std::optional<std::string>{});
    expect_round_trip(std::optional<std::string>{""});
    expect_round_trip(std::optional<std::string>{"dev"});
    using v = std::variant<std::monostate, std::int64_t, std::string>;
    expect_round_trip(v{});
    expect_round_trip(v{std::int64_t{-7}});
    expect_round_trip(v{std::string{"7"}});
}

TEST(KeyCodec, RejectsBadTagsAndRanges) {
    {
        byte_writer w;
        w.u8(2);
        byte_reader r{w.bytes()};
        EXPECT_THROW((void)streamcp::key_codec<std::optional<std::string>>::decode(r),
                     snapshot_error);
    }
    {
        byte_writer w;
        w.u8(3);
        byte_reader r{w.bytes()};
        using v = std::variant<std::monostate, std::int64_t, std::string>;
        EXPECT_THROW((void)streamcp::key_codec<v>::decode(r), snapshot_error);
    }
    {
        byte_writer w;
        w.i64(std::int64_t{1} << 40);
        byte_reader r{w.bytes()};
        EXPECT_THROW((void)streamcp::key_codec<std::int32_t>::decode(r), snapshot_error);
    }
    {
        byte_writer w;
        w.u64(1000);  // a string length beyond the input
        w.u8(1);
        byte_reader r{w.bytes()};
        EXPECT_THROW((void)streamcp::key_codec<std::string>::decode(r), snapshot_error);
    }
}

TEST(KeyCodec, FunctionsWithCompositeKeysRoundTrip) {
    using v = std::variant<std::monostate, std::int64_t, std::string>;
    anomaly_detection_change_point<v> f{90, 4, minutes{4}};
    anomaly_detection_change_point<std::optional<std::string>> g{90, 4, minutes{4}};
    const std::array keys{v{}, v{std::int64_t{3}}, v{std::string{"3"}}};
    for (int i = 0; i < 6; ++i) {
        for (const auto& k : keys) {
            (void)f.evaluate(k, t0 + minutes{i}, i * 1.0);
        }
        (void)g.evaluate(std::nullopt, t0 + minutes{i}, i * 1.0);
        (void)g.evaluate(std::string{"x"}, t0 + minutes{i}, i * 2.0);
    }
    anomaly_detection_change_point<v> f2{90, 4, minutes{4}};
    f2.restore(f.snapshot());
    EXPECT_EQ(f2.partition_count(), 3U);
    for (const auto& k : keys) {
        EXPECT_EQ(f2.evaluate(k, t0 + minutes{7}, 3.0), f.evaluate(k, t0 + minutes{7}, 3.0));
    }
    anomaly_detection_change_point<std::optional<std::string>> g2{90, 4, minutes{4}};
    g2.restore(g.snapshot());
    EXPECT_EQ(g2.evaluate(std::nullopt, t0 + minutes{7}, 3.0),
              g.evaluate(std::nullopt, t0 + minutes{7}, 3.0));
    EXPECT_EQ(g2.evaluate(std::string{"x"}, t0 + minutes{7}, 3.0),
              g.evaluate(std::string{"x"}, t0 + minutes{7}, 3.0));
}

// ---- format stability --------------------------------------------------------------------

TEST(Snapshot, GoldenBytes) {
    // The exact bytes of a small detector snapshot (confidence 95, history 3, inputs 1, 2).
    // If this fails, the snapshot format changed: that requires bumping
    // snapshot_format::version (and docs/snapshot.md) so old snapshots are rejected cleanly,
    // once a release has shipped that version (version 1 is the first released layout),
    // and only then updating this string. (The bets are glibc log() values.)
    change_point_detector det{{.confidence = 95, .history = 3}};
    (void)det.update(1.0);
    (void)det.update(2.0);
    EXPECT_EQ(snapshot_format::version, 1);
    EXPECT_EQ(hex(det.snapshot()),
              "53435053010001005d000000000000000000000000c057400300000000000000019a9999999999b93f"
              "02000000000000007e76e0b72bdcfabf01000000000000007a1a600c4ba9e4bf0200000000000000"
              "0000803f000000408e3e7c3d3f0310c0000000000000f03f00000000dc0e8913");
}

/// The events of the golden function snapshot: four partitions, each every 4 minutes (so
/// LIMIT DURATION imputes), uniform noise from a fixed generator (the same bits everywhere),
/// a level shift in one partition, a NULL and a NaN.
struct golden_event {
    std::string key;
    event_time time;
    std::optional<double> value;
};

std::vector<golden_event> golden_function_events() {
    const std::array<std::string, 4> keys{"pump-a", "pump-b", "pump-c", "pump-d"};
    std::vector<golden_event> events;
    std::uint64_t state = 42;
    for (int i = 0; i < 200; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const double noise = static_cast<double>(state >> 11U) * 0x1p-53;
        const std::string& key = keys[static_cast<std::size_t>(i) % keys.size()];
        std::optional<double> value = 10.0 + noise + (key == "pump-c" && i >= 150 ? 8.0 : 0.0);
        if (i == 57) {
            value = std::nullopt;
        } else if (i == 90) {
            value = std::numeric_limits<double>::quiet_NaN();
        }
        events.push_back({key, t0 + minutes{i}, value});
    }
    return events;
}

constexpr std::size_t golden_function_cut = 120;

TEST(Snapshot, GoldenFunctionSnapshotRestoresAndContinues) {
    // tests/data/golden/change_point_function.snapshot: the snapshot of `straight` after the
    // first 120 events. Restoring it must continue exactly as the uninterrupted function.
    // Regenerate only with a format version bump (see GoldenBytes):
    // STREAMCP_WRITE_GOLDEN=1 ./snapshot_test --gtest_filter='*GoldenFunction*'
    const std::string path =
        std::string(STREAMCP_TEST_DATA_DIR) + "/golden/change_point_function.snapshot";
    const auto events = golden_function_events();
    cp_function straight{95, 12, minutes{12}};
    for (std::size_t i = 0; i < golden_function_cut; ++i) {
        (void)straight.evaluate(events[i].key, events[i].time, events[i].value);
    }
    if (std::getenv("STREAMCP_WRITE_GOLDEN") != nullptr) {
        const bytes snap = straight.snapshot();
        std::ofstream out{path, std::ios::binary | std::ios::trunc};
        out.write(reinterpret_cast<const char*>(snap.data()),
                  static_cast<std::streamsize>(snap.size()));
    }
    std::ifstream in{path, std::ios::binary};
    ASSERT_TRUE(in) << path;
    const std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    const bytes golden(reinterpret_cast<const std::byte*>(text.data()),
                       reinterpret_cast<const std::byte*>(text.data()) + text.size());
    EXPECT_EQ(hex(straight.snapshot()), hex(golden));

    cp_function restored{95, 12, minutes{12}};
    restored.restore(golden);
    EXPECT_EQ(restored.partition_count(), 4U);
    int anomalies = 0;
    for (std::size_t i = golden_function_cut; i < events.size(); ++i) {
        const auto& e = events[i];
        const auto expected = straight.evaluate(e.key, e.time, e.value);
        EXPECT_EQ(restored.evaluate(e.key, e.time, e.value), expected) << "event " << i;
        anomalies += expected && expected->is_anomaly ? 1 : 0;
    }
    EXPECT_GT(anomalies, 0);
    EXPECT_EQ(restored.snapshot(), straight.snapshot());
}

TEST(Snapshot, Crc32cKnownAnswer) {
    // The standard CRC-32C check value.
    const std::string s = "123456789";
    EXPECT_EQ(snapshot_format::crc32c(std::as_bytes(std::span{s.data(), s.size()})), 0xE3069283U);
}

}  // namespace
