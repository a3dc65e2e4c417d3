// SPDX-License-Identifier: MIT
#include "checkpoint_store.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include <sqlite3.h>

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
constexpr std::string_view incremental_mark = ";checkpoint_layout=rows";

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
    // NORMAL in WAL mode survives a killed process; a power cut may lose the newest checkpoint,
    // and an older one is still consistent because outputs are cut back to its positions.
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    // The partition rows' B-tree stays in memory (up to 64 MiB), so rewriting a row reads no
    // page back from the file; the WAL is copied back into the file every 4096 pages (16 MiB),
    // so a page rewritten by many checkpoints in between is copied once.
    exec("PRAGMA cache_size=-65536");
    exec("PRAGMA wal_autocheckpoint=4096");
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
    exec(
        "CREATE TABLE IF NOT EXISTS input_identity ("
        " id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL)");
}

std::vector<partition_row> checkpoint_store::load_partitions() {
    statement query{db_, "SELECT key, state FROM partition", path_};
    std::vector<partition_row> rows;
    auto column = [&query](int index) {
        const auto* bytes = static_cast<const std::byte*>(sqlite3_column_blob(query.get(), index));
        return std::vector<std::byte>(
            bytes, bytes + static_cast<std::size_t>(sqlite3_column_bytes(query.get(), index)));
    };
    int step = 0;
    while ((step = sqlite3_step(query.get())) == SQLITE_ROW) {
        rows.push_back({column(0), column(1)});
    }
    if (step != SQLITE_DONE) {
        throw std::runtime_error("checkpoint " + path_ + ": " + sqlite3_errmsg(db_));
    }
    return rows;
}

void checkpoint_store::save_partitions(const checkpoint& point) {
    if (!point.incremental) {
        exec("DELETE FROM partition");
        exec("DELETE FROM layout");
        return;
    }
    exec("INSERT OR REPLACE INTO layout (id, incremental) VALUES (1, 1)");
    statement upsert{db_,
                     "INSERT INTO partition (key, state) VALUES (?, ?)"
                     " ON CONFLICT (key) DO UPDATE SET state = excluded.state",
                     path_};
    statement erase{db_, "DELETE FROM partition WHERE key = ?", path_};
    // In key order: each B-tree page is visited once, however many of its rows change.
    std::vector<const partition_row*> rows;
    rows.reserve(point.partitions.size());
    for (const partition_row& row : point.partitions) {
        rows.push_back(&row);
    }
    std::sort(rows.begin(), rows.end(), [](const partition_row* a, const partition_row* b) {
        return std::lexicographical_compare(a->key.begin(), a->key.end(), b->key.begin(),
                                            b->key.end(), [](std::byte x, std::byte y) {
                                                return std::to_integer<unsigned>(x) <
                                                       std::to_integer<unsigned>(y);
                                            });
    });
    for (const partition_row* entry : rows) {
        const partition_row& row = *entry;
        sqlite3_stmt* stmt = row.state.empty() ? erase.get() : upsert.get();
        sqlite3_bind_blob64(stmt, 1, row.key.data(), row.key.size(), SQLITE_STATIC);
        if (!row.state.empty()) {
            sqlite3_bind_blob64(stmt, 2, row.state.data(), row.state.size(), SQLITE_STATIC);
        }
        const int step = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (step != SQLITE_DONE) {
            throw std::runtime_error("checkpoint " + path_ + ": " + sqlite3_errmsg(db_));
        }
    }
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
        if (point.fingerprint.ends_with(incremental_mark)) {
            point.fingerprint.resize(point.fingerprint.size() - incremental_mark.size());
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
