// SPDX-License-Identifier: MIT
#include "checkpoint_store.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <span>
#include <stdexcept>
#include <string_view>

#include <sqlite3.h>

#include <streamcp/state/byte_codec.hpp>
#include <streamcp/state/snapshot_error.hpp>

namespace streamcp::pipeline {
namespace {

/// Closes a prepared statement on every path out of a scope.
class statement {
  public:
    statement(sqlite3* db, const char* sql, const std::string& path) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
            throw std::runtime_error("checkpoint " + path + ": " + sqlite3_errmsg(db));
        }
    }
    ~statement() { sqlite3_finalize(stmt_); }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    sqlite3_stmt* get() const noexcept { return stmt_; }

  private:
    sqlite3_stmt* stmt_ = nullptr;
};

/// Appended to an incremental checkpoint's stored fingerprint: a streamcp from before
/// incremental checkpoints, which would read the head as a whole state, refuses it as another
/// query's instead of resuming without the keys.
constexpr std::string_view incremental_mark = ";checkpoint_layout=segments";
/// The mark of the release whose incremental checkpoints kept one row per key in `partition`:
/// its files still resume.
constexpr std::string_view rows_mark = ";checkpoint_layout=rows";

/// A segment blob is cut at about this size: SQLite's blobs stop at 1 GB, and a rewrite of a
/// large state stays many moderate blobs.
constexpr std::size_t segment_bytes = std::size_t{4} << 20;
/// Appended bytes below this never trigger a rewrite: a small state is not rewritten at every
/// checkpoint.
constexpr std::uint64_t rewrite_floor = std::uint64_t{1} << 20;
/// A rewrite is due once the appended bytes reach this many times what the last full write held:
/// the file stays within (1 + this) times the state, and rewriting costs at most 1 / this of
/// what was appended (and a rewrite serialises every key, the costliest part of a checkpoint).
constexpr std::uint64_t rewrite_ratio = 2;

/// Byte-wise unsigned order, as SQLite compares blobs.
struct key_order {
    bool operator()(const std::vector<std::byte>& a, const std::vector<std::byte>& b) const {
        return std::lexicographical_compare(
            a.begin(), a.end(), b.begin(), b.end(), [](std::byte x, std::byte y) {
                return std::to_integer<unsigned>(x) < std::to_integer<unsigned>(y);
            });
    }
};

std::uint64_t column_u64(sqlite3_stmt* stmt, int column) {
    return static_cast<std::uint64_t>(sqlite3_column_int64(stmt, column));
}

}  // namespace

checkpoint_store::checkpoint_store(const std::string& path) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw std::runtime_error("cannot open checkpoint " + path + ": " + why);
    }
    sqlite3_busy_timeout(db_, 5000);
    // A new file's pages: 16 KiB, so a checkpoint's blobs go out in a quarter of the page writes
    // of the default 4 KiB (an existing file keeps its size: the pragma is ignored for it).
    exec("PRAGMA page_size=16384");
    // NORMAL in WAL mode survives a killed process; a power cut may lose the newest checkpoint,
    // and an older one is still consistent because outputs are cut back to its positions.
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    // Up to 64 MiB of pages stay in memory, so a checkpoint reads no page back from the file; the
    // WAL is copied back into the file every 1024 pages (16 MiB), so a page rewritten by many
    // checkpoints in between (the head's) is copied once.
    exec("PRAGMA cache_size=-65536");
    exec("PRAGMA wal_autocheckpoint=1024");
    exec(
        "CREATE TABLE IF NOT EXISTS checkpoint ("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " fingerprint TEXT NOT NULL,"
        " input_offset INTEGER NOT NULL, line INTEGER NOT NULL,"
        " output_offset INTEGER NOT NULL, rejects_offset INTEGER NOT NULL,"
        " archive_offset INTEGER NOT NULL, state BLOB NOT NULL,"
        " saved_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
    // A table of its own, so that checkpoints written before the archive existed still load.
    exec(
        "CREATE TABLE IF NOT EXISTS archive ("
        " id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL)");
    exec(
        "CREATE TABLE IF NOT EXISTS input ("
        " id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL)");
    // Incremental checkpoints: a row in `layout` says that `checkpoint.state` is a head and the
    // keys are in `partition`; a checkpoint written before them has neither and still loads.
    exec(
        "CREATE TABLE IF NOT EXISTS layout ("
        " id INTEGER PRIMARY KEY CHECK (id = 1), incremental INTEGER NOT NULL)");
    exec(
        "CREATE TABLE IF NOT EXISTS partition ("
        " key BLOB PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID");
    // Incremental checkpoints since segments: each row is a run of (key, state) records, a later
    // record of a key replacing an earlier one and an empty state deleting it (docs/cli.md).
    exec("CREATE TABLE IF NOT EXISTS segment (id INTEGER PRIMARY KEY, rows BLOB NOT NULL)");
    exec(
        "CREATE TABLE IF NOT EXISTS input_identity ("
        " id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL)");
}

std::vector<partition_row> checkpoint_store::load_partitions() {
    // Key order, as the `partition` table returns its rows: the engine is rebuilt as before.
    std::map<std::vector<std::byte>, std::vector<std::byte>, key_order> rows;
    auto column = [](sqlite3_stmt* stmt, int index) {
        const auto* bytes = static_cast<const std::byte*>(sqlite3_column_blob(stmt, index));
        return std::span<const std::byte>(
            bytes, static_cast<std::size_t>(sqlite3_column_bytes(stmt, index)));
    };
    auto keep = [&rows](std::span<const std::byte> key, std::span<const std::byte> state) {
        std::vector<std::byte> stored_key(key.begin(), key.end());
        if (state.empty()) {
            rows.erase(stored_key);
        } else {
            rows.insert_or_assign(std::move(stored_key),
                                  std::vector<std::byte>(state.begin(), state.end()));
        }
    };
    auto each_row = [this](const char* sql, const std::function<void(sqlite3_stmt*)>& visit) {
        statement query{db_, sql, path_};
        int step = 0;
        while ((step = sqlite3_step(query.get())) == SQLITE_ROW) {
            visit(query.get());
        }
        if (step != SQLITE_DONE) {
            throw std::runtime_error("checkpoint " + path_ + ": " + sqlite3_errmsg(db_));
        }
    };
    std::uint64_t stored = 0;
    // Rows of the release before segments first: a resumed file of that release keeps them
    // until its first full write, and its segments are newer.
    each_row("SELECT key, state FROM partition", [&](sqlite3_stmt* stmt) {
        keep(column(stmt, 0), column(stmt, 1));
        stored += static_cast<std::uint64_t>(sqlite3_column_bytes(stmt, 1));
    });
    each_row("SELECT rows FROM segment ORDER BY id", [&](sqlite3_stmt* stmt) {
        const std::span<const std::byte> segment = column(stmt, 0);
        stored += segment.size();
        try {
            byte_reader in{segment};
            while (in.remaining() != 0) {
                const std::span<const std::byte> key = in.take(in.length(1));
                keep(key, in.take(in.length(1)));
            }
        } catch (const snapshot_error& error) {
            throw std::runtime_error("checkpoint " + path_ +
                                     ": a segment of its rows is damaged (" + error.what() +
                                     "); to start over, remove it (and its -wal file)");
        }
    });
    base_bytes_ = stored;
    appended_bytes_ = 0;
    std::vector<partition_row> out;
    out.reserve(rows.size());
    for (auto& [key, state] : rows) {
        out.push_back({key, std::move(state)});
    }
    return out;
}

bool checkpoint_store::rewrite_due() const noexcept {
    return appended_bytes_ >= std::max(rewrite_ratio * base_bytes_, rewrite_floor);
}

void checkpoint_store::append_segment(const std::vector<std::byte>& rows) {
    statement insert{db_, "INSERT INTO segment (rows) VALUES (?)", path_};
    sqlite3_bind_blob64(insert.get(), 1, rows.data(), rows.size(), SQLITE_STATIC);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) {
        throw std::runtime_error("checkpoint " + path_ + ": " + sqlite3_errmsg(db_));
    }
}

void checkpoint_store::save_partitions(const checkpoint& point) {
    if (!point.incremental || point.every_key) {
        exec("DELETE FROM partition");
        exec("DELETE FROM segment");
        base_bytes_ = 0;
        appended_bytes_ = 0;
    }
    if (!point.incremental) {
        exec("DELETE FROM layout");
        return;
    }
    exec("INSERT OR REPLACE INTO layout (id, incremental) VALUES (1, 1)");
    byte_writer segment;
    std::uint64_t written = 0;
    for (const partition_row& row : point.partitions) {
        if (point.every_key && row.state.empty()) {
            continue;  // nothing older is left for it to delete
        }
        segment.u64(row.key.size());
        segment.raw(row.key);
        segment.u64(row.state.size());
        segment.raw(row.state);
        if (segment.bytes().size() >= segment_bytes) {
            written += segment.bytes().size();
            append_segment(segment.take());
        }
    }
    if (!segment.bytes().empty()) {
        written += segment.bytes().size();
        append_segment(segment.take());
    }
    (point.every_key ? base_bytes_ : appended_bytes_) += written;
}

std::vector<std::byte> checkpoint_store::load_blob(const char* sql) {
    statement query{db_, sql, path_};
    std::vector<std::byte> blob;
    if (sqlite3_step(query.get()) == SQLITE_ROW) {
        const auto* bytes = static_cast<const std::byte*>(sqlite3_column_blob(query.get(), 0));
        const auto count = static_cast<std::size_t>(sqlite3_column_bytes(query.get(), 0));
        blob.assign(bytes, bytes + count);
    }
    return blob;
}

void checkpoint_store::save_blob(const char* table, const std::vector<std::byte>& blob) {
    const std::string sql = blob.empty() ? std::string("DELETE FROM ") + table
                                         : std::string("INSERT OR REPLACE INTO ") + table +
                                               " (id, state) VALUES (1, ?)";
    statement write{db_, sql.c_str(), path_};
    if (!blob.empty()) {
        sqlite3_bind_blob64(write.get(), 1, blob.data(), blob.size(), SQLITE_TRANSIENT);
    }
    if (sqlite3_step(write.get()) != SQLITE_DONE) {
        throw std::runtime_error("checkpoint " + path_ + ": " + sqlite3_errmsg(db_));
    }
}

checkpoint_store::~checkpoint_store() { sqlite3_close(db_); }

void checkpoint_store::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string why = message != nullptr ? message : "unknown error";
        sqlite3_free(message);
        throw std::runtime_error("checkpoint " + path_ + ": " + why);
    }
}

std::optional<checkpoint> checkpoint_store::load() {
    statement query{db_,
                    "SELECT fingerprint, input_offset, line, output_offset, rejects_offset,"
                    " archive_offset, state FROM checkpoint WHERE id = 1",
                    path_};
    const int step = sqlite3_step(query.get());
    if (step == SQLITE_DONE) {
        return std::nullopt;
    }
    if (step != SQLITE_ROW) {
        throw std::runtime_error("checkpoint " + path_ + ": " + sqlite3_errmsg(db_));
    }
    checkpoint point;
    point.fingerprint = reinterpret_cast<const char*>(sqlite3_column_text(query.get(), 0));
    point.input_offset = column_u64(query.get(), 1);
    point.line = column_u64(query.get(), 2);
    point.output_offset = column_u64(query.get(), 3);
    point.rejects_offset = column_u64(query.get(), 4);
    point.archive_offset = column_u64(query.get(), 5);
    const auto* blob = static_cast<const std::byte*>(sqlite3_column_blob(query.get(), 6));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(query.get(), 6));
    point.state.assign(blob, blob + size);
    point.archive_state = load_blob("SELECT state FROM archive WHERE id = 1");
    point.input_state = load_blob("SELECT state FROM input WHERE id = 1");
    point.incremental = !load_blob("SELECT x'01' FROM layout WHERE id = 1").empty();
    if (point.incremental) {
        for (const std::string_view mark : {incremental_mark, rows_mark}) {
            if (point.fingerprint.ends_with(mark)) {
                point.fingerprint.resize(point.fingerprint.size() - mark.size());
                break;
            }
        }
        point.partitions = load_partitions();
    }
    point.input_identity = load_blob("SELECT state FROM input_identity WHERE id = 1");
    return point;
}

void checkpoint_store::save(const checkpoint& point) {
    exec("BEGIN IMMEDIATE");
    try {
        statement insert{db_,
                         "INSERT OR REPLACE INTO checkpoint (id, fingerprint, input_offset, line,"
                         " output_offset, rejects_offset, archive_offset, state)"
                         " VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                         path_};
        sqlite3_stmt* stmt = insert.get();
        const std::string fingerprint = point.incremental
                                            ? point.fingerprint + std::string(incremental_mark)
                                            : point.fingerprint;
        sqlite3_bind_text(stmt, 1, fingerprint.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(stmt, 2, static_cast<sqlite3_int64>(point.input_offset));
        sqlite3_bind_int64(stmt, 3, static_cast<sqlite3_int64>(point.line));
        sqlite3_bind_int64(stmt, 4, static_cast<sqlite3_int64>(point.output_offset));
        sqlite3_bind_int64(stmt, 5, static_cast<sqlite3_int64>(point.rejects_offset));
        sqlite3_bind_int64(stmt, 6, static_cast<sqlite3_int64>(point.archive_offset));
        sqlite3_bind_blob64(stmt, 7, point.state.data(), point.state.size(), SQLITE_TRANSIENT);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            throw std::runtime_error("checkpoint " + path_ + ": " + sqlite3_errmsg(db_));
        }
        save_blob("archive", point.archive_state);
        save_blob("input", point.input_state);
        save_partitions(point);
        save_blob("input_identity", point.input_identity);
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    exec("COMMIT");
}

}  // namespace streamcp::pipeline
