//! Connection settings and the schema migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::StoreError;

/// Each entry moves the schema from version `index` to `index + 1`. Append only: a released
/// migration is never edited, since files in the field already ran it.
const MIGRATIONS: &[&str] = &[
    // 1: bindings, users, and a users version bumped by triggers so that readers can tell a
    // change of the users from the (frequent) changes of the bindings.
    "CREATE TABLE bindings (
        aor TEXT NOT NULL,
        uri TEXT NOT NULL,
        params TEXT NOT NULL,
        q INTEGER,
        expires_at INTEGER NOT NULL,
        call_id TEXT NOT NULL,
        cseq INTEGER NOT NULL,
        source TEXT,
        transport TEXT,
        local TEXT,
        path TEXT NOT NULL,
        instance_id TEXT,
        reg_id INTEGER,
        user_agent TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX bindings_aor ON bindings (aor);
    CREATE INDEX bindings_expires_at ON bindings (expires_at);
    CREATE TABLE users (
        username TEXT NOT NULL,
        domain TEXT NOT NULL,
        ha1_md5 TEXT NOT NULL,
        ha1_sha256 TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (domain, username)
    ) WITHOUT ROWID;
    CREATE TABLE users_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    );
    INSERT INTO users_version (id, version) VALUES (1, 0);
    CREATE TRIGGER users_insert AFTER INSERT ON users
        BEGIN UPDATE users_version SET version = version + 1; END;
    CREATE TRIGGER users_update AFTER UPDATE ON users
        BEGIN UPDATE users_version SET version = version + 1; END;
    CREATE TRIGGER users_delete AFTER DELETE ON users
        BEGIN UPDATE users_version SET version = version + 1; END;",
    // 2: messages waiting for their recipient (store and forward).
    "CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        aor TEXT NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        content_type TEXT NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX messages_aor ON messages (aor);",
    // 3: when each removed user went, so that a running server can tell the bindings of a
    // removed user from those of a new user of the same name.
    "CREATE TABLE removed_users (
        domain TEXT NOT NULL,
        username TEXT NOT NULL,
        removed_at INTEGER NOT NULL,
        PRIMARY KEY (domain, username)
    ) WITHOUT ROWID;",
    // 4: the server's abuse bans (so they survive restarts and the command line can list
    // them), and lifts the command line asks for.
    "CREATE TABLE bans (
        target TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        since INTEGER NOT NULL,
        until INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE ban_lifts (
        target TEXT PRIMARY KEY,
        requested_at INTEGER NOT NULL
    ) WITHOUT ROWID;",
];

/// The schema version this code writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(crate) fn db_error(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

/// Opens one connection to `path` with the settings every connection of the store shares.
pub(crate) fn connect(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let open_error = |e: rusqlite::Error| StoreError::Open {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
    // Set first: switching to WAL below may have to wait for another process opening the file.
    conn.busy_timeout(busy_timeout).map_err(open_error)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(open_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Open {
            path: path.display().to_string(),
            reason: format!("the database refused WAL mode (journal mode is {mode})"),
        });
    }
    // FULL in WAL mode syncs the log at every commit: a committed REGISTER survives a power
    // loss, not only a crash of the process (NORMAL would only promise the latter).
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(open_error)?;
    Ok(conn)
}

/// Brings the schema up to [`SCHEMA_VERSION`]. Safe to run from several processes at once:
/// the check and the migrations share one immediate (write-locked) transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_error)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(db_error)?;
    let current: Option<i64> = tx
        .query_row("SELECT max(version) FROM schema_version", [], |row| {
            row.get(0)
        })
        .map_err(db_error)?;
    let current = current.unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::Database(format!(
            "the database has schema version {current}, newer than this program knows \
             ({SCHEMA_VERSION}); upgrade the program"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql).map_err(|e| {
            StoreError::Database(format!("migration to schema version {}: {e}", index + 1))
        })?;
    }
    if current < SCHEMA_VERSION {
        tx.execute("DELETE FROM schema_version", [])
            .map_err(db_error)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [SCHEMA_VERSION],
        )
        .map_err(db_error)?;
    }
    tx.commit().map_err(db_error)
}
