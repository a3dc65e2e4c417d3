// SPDX-License-Identifier: MIT
#include "iothub_avro.hpp"

#include <cstdio>
#include <stdexcept>

#include <avro.h>

#include "record_id.hpp"

namespace streamcp::adapters {
namespace {

// IoT Hub routing's record, as Microsoft documents it for reading routed blobs
// (docs/operations.md, "The archive's Avro records").
constexpr std::string_view record_schema =
    R"({"type":"record","name":"Message","namespace":"Microsoft.Azure.Devices","fields":[)"
    R"({"name":"EnqueuedTimeUtc","type":"string"},)"
    R"({"name":"Properties","type":{"type":"map","values":"string"}},)"
    R"({"name":"SystemProperties","type":{"type":"map","values":"string"}},)"
    R"({"name":"Body","type":["null","bytes"]}]})";

[[noreturn]] void avro_failure(const char* what) {
    throw std::runtime_error(std::string("Avro C: ") + what + ": " + avro_strerror());
}

void check(int status, const char* what) {
    if (status != 0) {
        avro_failure(what);
    }
}

avro_schema_t parse_schema(std::string_view json) {
    avro_schema_t schema = nullptr;
    check(avro_schema_from_json_length(json.data(), json.size(), &schema), "schema");
    return schema;
}

// A schema with a reusable value of it.
struct typed_value {
    avro_schema_t schema = nullptr;
    avro_value_iface_t* iface = nullptr;
    avro_value_t value{};

    explicit typed_value(std::string_view json) : schema(parse_schema(json)) {
        iface = avro_generic_class_from_schema(schema);
        if (iface == nullptr) {
            avro_failure("value class");
        }
        check(avro_generic_value_new(iface, &value), "value");
    }
    ~typed_value() {
        avro_value_decref(&value);
        avro_value_iface_decref(iface);
        avro_schema_decref(schema);
    }
    typed_value(const typed_value&) = delete;
    typed_value& operator=(const typed_value&) = delete;

    // Appends the value's binary encoding to `out`.
    void encode_into(std::string& out) {
        std::size_t size = 0;
        check(avro_value_sizeof(&value, &size), "size");
        const std::size_t start = out.size();
        out.resize(start + size);
        avro_writer_t writer =
            avro_writer_memory(out.data() + start, static_cast<std::int64_t>(size));
        const int status = avro_value_write(writer, &value);
        avro_writer_free(writer);
        check(status, "encode");
    }
};

}  // namespace

struct iothub_avro_encoder::state {
    typed_value message{record_schema};
    typed_value metadata{R"({"type":"map","values":"bytes"})"};
    typed_value number{R"("long")"};

    void append_long(std::string& out, std::int64_t value) {
        check(avro_value_set_long(&number.value, value), "long");
        number.encode_into(out);
    }
};

avro_sync_marker avro_sync_marker_for(std::string_view file_name) {
    const std::string hex = pipeline::record_id(file_name);  // 16 bytes of SHA-256, in hex
    avro_sync_marker marker{};
    for (std::size_t i = 0; i < marker.size(); ++i) {
        marker[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    }
    return marker;
}

std::string iothub_enqueued_time(event_time time) {
    const auto day = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::year_month_day date{day};
    const auto since_midnight = time - day;
    const std::chrono::hh_mm_ss clock{
        std::chrono::floor<std::chrono::duration<std::int64_t, std::ratio<1, 10'000'000>>>(
            since_midnight)};
    std::array<char, 40> text{};
    std::snprintf(text.data(), text.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%07lldZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()),
                  static_cast<long long>(clock.subseconds().count()));
    return text.data();
}

iothub_avro_encoder::iothub_avro_encoder() : state_(std::make_unique<state>()) {}

iothub_avro_encoder::~iothub_avro_encoder() = default;

std::string_view iothub_avro_encoder::schema_json() { return record_schema; }

std::string iothub_avro_encoder::header(const avro_sync_marker& sync) {
    std::string out = "Obj\x01";
    avro_value_t* map = &state_->metadata.value;
    check(avro_value_reset(map), "reset");
    const auto put = [&](const char* key, std::string_view bytes) {
        avro_value_t entry;
        check(avro_value_add(map, key, &entry, nullptr, nullptr), "metadata");
        // Avro C copies the bytes (set_bytes), so the view may be temporary.
        check(avro_value_set_bytes(&entry, const_cast<char*>(bytes.data()), bytes.size()),
              "metadata");
    };
    put("avro.codec", "null");
    put("avro.schema", record_schema);
    state_->metadata.encode_into(out);
    out.append(sync.data(), sync.size());
    return out;
}

void iothub_avro_encoder::append(std::string& records, std::string_view body, event_time enqueued) {
    avro_value_t* message = &state_->message.value;
    check(avro_value_reset(message), "reset");
    avro_value_t field;
    const std::string time = iothub_enqueued_time(enqueued);
    check(avro_value_get_by_index(message, 0, &field, nullptr), "EnqueuedTimeUtc");
    check(avro_value_set_string_len(&field, time.c_str(), time.size() + 1), "EnqueuedTimeUtc");
    avro_value_t branch;
    check(avro_value_get_by_index(message, 3, &field, nullptr), "Body");
    check(avro_value_set_branch(&field, 1, &branch), "Body");
    check(avro_value_set_bytes(&branch, const_cast<char*>(body.data()), body.size()), "Body");
    state_->message.encode_into(records);
}

std::string iothub_avro_encoder::block(std::string_view records, std::uint64_t count,
                                       const avro_sync_marker& sync) {
    std::string out;
    state_->append_long(out, static_cast<std::int64_t>(count));
    state_->append_long(out, static_cast<std::int64_t>(records.size()));
    out.append(records);
    out.append(sync.data(), sync.size());
    return out;
}

}  // namespace streamcp::adapters
