//! The SQLite backend: one file, bindings served from memory, written by one thread.

mod index;
mod packed;
mod rows;
mod schema;
mod users;
mod writer;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use self::index::{Change, Shared, sort_bindings};
use self::packed::Packed;
use self::rows::{BINDING_COLUMNS, binding_from_row, sql_time};
use self::rows::{MESSAGE_COLUMNS, message_from_row};
use self::schema::{connect, db_error, migrate};
use self::users::Users;
use crate::options::{StoreOptions, StoreStats};
use crate::{
    BanRecord, Binding, Commit, LocationStore, MessageStore, StoreError, StoredMessage, User,
    UserStore,
};

/// The name of the database file inside the store's directory.
pub const DATABASE_FILE: &str = "carillon.db";

/// The embedded store: one SQLite file (`carillon.db`) in WAL mode holding the bindings and
/// the users.
///
/// # Bindings
///
/// Every live binding is loaded into memory at open, and reads ([`LocationStore::lookup`],
/// [`LocationStore::all`], [`LocationStore::count`]) never touch the disk. A
/// [`LocationStore::replace`] changes memory at once and queues the change for a single
/// writer thread, which commits all waiting changes (up to
/// [`StoreOptions::batch_limit`]) in one transaction with `synchronous=FULL`: when the
/// returned [`Commit`] resolves `Ok`, the change survives a `kill -9` of the process and a
/// power loss. Within one address of record, bindings are kept highest q first (a binding
/// without q counts as q=1.0), then most recently updated first. The `aor` field of each
/// binding handed to `replace` is set to the `aor` argument, the key it is stored under.
///
/// When a transaction fails (disk full, database locked by another process longer than
/// [`StoreOptions::busy_timeout`]), every [`Commit`] of the batch resolves with the error,
/// and each address of record whose latest change was in that batch is reloaded from the
/// file, so memory again shows what a restart would. (If even that read fails, memory keeps
/// the unwritten bindings and the error is logged.)
///
/// # Users
///
/// Users are cached in memory. A lookup checks, at most once per
/// [`StoreOptions::user_refresh_interval`] (200 ms by default), whether another connection
/// changed the users table (`PRAGMA data_version`, then a version counter kept by triggers on
/// the table) and reloads the cache if so: a user added by the command line in another
/// process is seen within that interval. Writes through this handle update the cache at
/// once.
///
/// # Several processes
///
/// Several processes may open the same directory at once (WAL readers never block, writers
/// wait up to the busy timeout). The command line opens its own `SqliteStore` to add users or
/// to list the bindings the server wrote; only the server should write bindings, since each
/// process keeps its own copy of them in memory, loaded at open.
///
/// Dropping the store, or calling [`SqliteStore::close`], writes what is queued and stops the
/// writer thread.
pub struct SqliteStore {
    shared: Arc<Shared>,
    users: Users,
    /// Reads of the messages table (writes go through the writer thread).
    messages: Mutex<rusqlite::Connection>,
    next_message_id: std::sync::atomic::AtomicU64,
    /// Addresses of record that have had stored messages since the store was opened (or
    /// had some then): a REGISTER of any other user costs no query.
    with_messages: Mutex<std::collections::HashSet<String>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`, purging the bindings that have ended by
    /// the system clock's now. See [`SqliteStore::open_at`].
    pub fn open(dir: &Path, options: StoreOptions) -> Result<SqliteStore, StoreError> {
        Self::open_at(dir, options, unix_now())
    }

    /// Opens (creating if needed) the directory `dir` and the database file
    /// [`DATABASE_FILE`] in it, brings the schema up to date, deletes the bindings that ended
    /// at or before `now` (Unix seconds), loads the others into memory and starts the writer
    /// thread.
    pub fn open_at(dir: &Path, options: StoreOptions, now: u64) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let path = dir.join(DATABASE_FILE);
        let mut conn = connect(&path, options.busy_timeout)?;
        migrate(&mut conn)?;
        conn.execute(
            "DELETE FROM bindings WHERE expires_at <= ?1",
            [sql_time(now)],
        )
        .map_err(db_error)?;
        let by_aor = load_bindings(&conn)?;
        let users = Users::open(
            connect(&path, options.busy_timeout)?,
            options.user_refresh_interval,
        )?;
        let last_message: i64 = conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM messages", [], |r| {
                r.get(0)
            })
            .map_err(db_error)?;
        let with_messages = {
            let mut stmt = conn
                .prepare("SELECT DISTINCT aor FROM messages")
                .map_err(db_error)?;
            stmt.query_map([], |r| r.get::<_, String>(0))
                .and_then(|rows| rows.collect::<rusqlite::Result<std::collections::HashSet<_>>>())
                .map_err(db_error)?
        };
        let messages = connect(&path, options.busy_timeout)?;
        let (sender, receiver) = mpsc::channel();
        let shared = Arc::new(Shared::new(by_aor, sender));
        let writer_shared = Arc::clone(&shared);
        let batch_limit = options.batch_limit;
        let commit_delay = options.commit_delay;
        let writer = std::thread::Builder::new()
            .name("carillon-store-writer".to_owned())
            .spawn(move || writer::run(conn, receiver, writer_shared, batch_limit, commit_delay))
            .map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                reason: format!("cannot start the writer thread: {e}"),
            })?;
        Ok(SqliteStore {
            shared,
            users,
            messages: Mutex::new(messages),
            next_message_id: std::sync::atomic::AtomicU64::new(
                u64::try_from(last_message).unwrap_or(0) + 1,
            ),
            with_messages: Mutex::new(with_messages),
            writer: Mutex::new(Some(writer)),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Counters of the location writer: transactions (fsyncs) and the changes they carried.
    pub fn stats(&self) -> StoreStats {
        self.shared.stats()
    }

    /// Writes every queued change, then stops the writer thread. Later writes fail with
    /// [`StoreError::Closed`]; reads keep working on what is in memory. Returns the outcome
    /// of the last write; closing twice is harmless.
    pub fn close(&self) -> Result<(), StoreError> {
        let flushed = match self.flush() {
            Err(StoreError::Closed) => Ok(()),
            other => other,
        };
        // Dropping the last sender lets the writer drain the queue and return.
        self.shared.index.write().sender = None;
        if let Some(handle) = self.writer.lock().take() {
            if handle.join().is_err() {
                return Err(StoreError::Database(
                    "the writer thread panicked".to_owned(),
                ));
            }
        }
        flushed
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!(error = %e, path = %self.path.display(), "closing the store");
        }
    }
}

fn load_bindings(conn: &rusqlite::Connection) -> Result<HashSet<Packed>, StoreError> {
    // Grouped by the database (the `bindings_aor` index), packed one address of record at a
    // time: no map of every binding unpacked, which for a million would take over a GB for
    // the length of the start-up.
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {BINDING_COLUMNS} FROM bindings ORDER BY aor, rowid"
        ))
        .map_err(db_error)?;
    let mut by_aor = HashSet::new();
    let mut group: Vec<Binding> = Vec::new();
    let mut pack = |group: &mut Vec<Binding>| {
        if let Some(first) = group.first() {
            let aor = first.aor.clone();
            sort_bindings(group);
            by_aor.insert(Packed::new(&aor, group));
            group.clear();
        }
    };
    for binding in stmt.query_map([], binding_from_row).map_err(db_error)? {
        let binding = binding.map_err(db_error)?;
        if group.first().is_some_and(|first| first.aor != binding.aor) {
            pack(&mut group);
        }
        group.push(binding);
    }
    pack(&mut group);
    Ok(by_aor)
}

impl LocationStore for SqliteStore {
    fn lookup(&self, aor: &str, now: u64) -> Vec<Binding> {
        let mut out = Vec::new();
        if let Some(packed) = self.shared.index.read().by_aor.get(aor.as_bytes()) {
            packed.decode_live(now, &mut out);
        }
        out
    }

    fn replace(&self, aor: &str, mut bindings: Vec<Binding>) -> Commit {
        for binding in &mut bindings {
            if binding.aor != aor {
                aor.clone_into(&mut binding.aor);
            }
        }
        sort_bindings(&mut bindings);
        // Packed before taking the lock, which readers wait for.
        let packed = (!bindings.is_empty()).then(|| Packed::new(aor, &bindings));
        let (reply, commit) = tokio::sync::oneshot::channel();
        let mut guard = self.shared.index.write();
        let index = &mut *guard;
        let Some(sender) = index.sender.as_ref() else {
            return Commit::ready(Err(StoreError::Closed));
        };
        let seq = index.next_seq + 1;
        let change = Change::Replace {
            aor: aor.to_owned(),
            bindings,
            seq,
            reply,
        };
        if sender.send(change).is_err() {
            return Commit::ready(Err(StoreError::Closed));
        }
        index.next_seq = seq;
        index.pending.insert(aor.to_owned(), seq);
        match packed {
            None => {
                index.by_aor.remove(aor.as_bytes());
            }
            Some(packed) => {
                index.by_aor.replace(packed);
            }
        }
        Commit::waiting(commit)
    }

    fn all(&self, now: u64) -> Vec<Binding> {
        let index = self.shared.index.read();
        let mut aors: Vec<&Packed> = index.by_aor.iter().collect();
        // Byte order of UTF-8 is the order of the strings.
        aors.sort_unstable_by(|a, b| a.aor_bytes().cmp(b.aor_bytes()));
        let mut out = Vec::new();
        for packed in aors {
            packed.decode_live(now, &mut out);
        }
        out
    }

    fn purge_expired(&self, now: u64) -> usize {
        let mut guard = self.shared.index.write();
        let index = &mut *guard;
        let mut purged = 0;
        // A set hands out its values read-only: the partly expired ones are rebuilt here and
        // put back after the walk.
        let mut trimmed = Vec::new();
        index.by_aor.retain(|packed| {
            let total = packed.len();
            let live = packed.live_count(now);
            purged += total - live;
            if live > 0 && live < total {
                trimmed.extend(packed.retain_live(now));
            }
            live > 0
        });
        for packed in trimmed {
            index.by_aor.replace(packed);
        }
        // Always sent, even with nothing purged in memory: the file may still hold rows that
        // a failed write left behind.
        if let Some(sender) = index.sender.as_ref() {
            if sender.send(Change::Purge { now }).is_err() {
                tracing::warn!("purge of expired bindings not written: the store is closed");
            }
        }
        purged
    }

    fn count(&self, now: u64) -> usize {
        let index = self.shared.index.read();
        index
            .by_aor
            .iter()
            .map(|packed| packed.live_count(now))
            .sum()
    }

    fn flush(&self) -> Result<(), StoreError> {
        let (reply, done) = mpsc::channel();
        {
            let index = self.shared.index.read();
            let sender = index.sender.as_ref().ok_or(StoreError::Closed)?;
            sender
                .send(Change::Flush { reply })
                .map_err(|_| StoreError::Closed)?;
        }
        // A std channel, not a tokio one: flush may be called from async code without
        // panicking (it blocks, as documented).
        done.recv().unwrap_or(Err(StoreError::Closed))
    }
}

impl UserStore for SqliteStore {
    fn user(&self, username: &str, domain: &str) -> Result<Option<User>, StoreError> {
        self.users.get(username, domain)
    }

    fn put_user(&self, user: &User) -> Result<bool, StoreError> {
        self.users.put(user)
    }

    fn remove_user(&self, username: &str, domain: &str) -> Result<bool, StoreError> {
        self.users.remove(username, domain)
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.users.list()
    }

    fn removed_at(&self, username: &str, domain: &str) -> Result<Option<u64>, StoreError> {
        self.users.removed_at(username, domain)
    }

    fn domains(&self) -> Result<Vec<String>, StoreError> {
        self.users.domains()
    }
}

impl SqliteStore {
    /// Adds or updates many users in one transaction; returns how many were new.
    pub fn put_users(&self, users: &[User]) -> Result<usize, StoreError> {
        self.users.put_many(users)
    }

    /// How many addresses of record have a change not yet on disk: the writer's backlog. A
    /// server refuses new registrations (503) when it grows past a bound, rather than let
    /// memory grow while the disk is slow.
    pub fn backlog(&self) -> usize {
        self.shared.index.read().pending.len()
    }

    /// Looks for user changes made by other processes now, instead of at the next refresh
    /// interval; returns whether there were any. For a failed password check: the user may
    /// have just been given a new password from the command line.
    pub fn refresh_users(&self) -> Result<bool, StoreError> {
        self.users.refresh_now()
    }

    /// A number that changes whenever the users change (in this process or another), so
    /// that a server can tell cheaply when to look for bindings of removed users.
    pub fn users_version(&self) -> Result<i64, StoreError> {
        self.users.version()
    }

    /// Replaces the saved bans by `bans` (the server saves its whole list now and then).
    pub fn save_bans(&self, bans: &[BanRecord]) -> Result<(), StoreError> {
        let mut conn = self.messages.lock();
        // Immediate: wait (busy timeout) for the write lock instead of failing when a deferred
        // read transaction would have to be upgraded while another process writes.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_error)?;
        tx.execute("DELETE FROM bans", []).map_err(db_error)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO bans (target, reason, since, until) \
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_error)?;
            for b in bans {
                stmt.execute(rusqlite::params![
                    b.target,
                    b.reason,
                    sql_time(b.since),
                    sql_time(b.until)
                ])
                .map_err(db_error)?;
            }
        }
        tx.commit().map_err(db_error)
    }

    /// The saved bans that last beyond `now`, soonest to end first.
    pub fn bans(&self, now: u64) -> Result<Vec<BanRecord>, StoreError> {
        let conn = self.messages.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT target, reason, since, until FROM bans WHERE until > ?1 ORDER BY until",
            )
            .map_err(db_error)?;
        stmt.query_map([sql_time(now)], |r| {
            Ok(BanRecord {
                target: r.get(0)?,
                reason: r.get(1)?,
                since: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                until: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(db_error)
    }

    /// Asks the running server to lift the ban of `target` (it looks every few seconds),
    /// and forgets the saved ban at once.
    pub fn request_ban_lift(&self, target: &str, now: u64) -> Result<(), StoreError> {
        let conn = self.messages.lock();
        conn.execute(
            "INSERT OR REPLACE INTO ban_lifts (target, requested_at) VALUES (?1, ?2)",
            rusqlite::params![target, sql_time(now)],
        )
        .map_err(db_error)?;
        conn.execute("DELETE FROM bans WHERE target = ?1", [target])
            .map_err(db_error)?;
        Ok(())
    }

    /// The lifts asked for since the last call (they are removed).
    pub fn take_ban_lifts(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.messages.lock();
        // Immediate: wait (busy timeout) for the write lock instead of failing when a deferred
        // read transaction would have to be upgraded while another process writes.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let targets = {
            let mut stmt = tx
                .prepare_cached("SELECT target FROM ban_lifts")
                .map_err(db_error)?;
            stmt.query_map([], |r| r.get::<_, String>(0))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(db_error)?
        };
        tx.execute("DELETE FROM ban_lifts", []).map_err(db_error)?;
        tx.commit().map_err(db_error)?;
        Ok(targets)
    }

    /// Queues a change for the writer; the commit resolves when it is on disk.
    fn queue(
        &self,
        make: impl FnOnce(tokio::sync::oneshot::Sender<Result<(), StoreError>>) -> Change,
    ) -> Commit {
        let (reply, commit) = tokio::sync::oneshot::channel();
        let index = self.shared.index.read();
        let Some(sender) = index.sender.as_ref() else {
            return Commit::ready(Err(StoreError::Closed));
        };
        if sender.send(make(reply)).is_err() {
            return Commit::ready(Err(StoreError::Closed));
        }
        Commit::waiting(commit)
    }
}

impl MessageStore for SqliteStore {
    fn store_message(&self, mut message: StoredMessage) -> (u64, Commit) {
        let id = self
            .next_message_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        message.id = id;
        self.with_messages.lock().insert(message.aor.clone());
        let commit = self.queue(|reply| Change::StoreMessage { message, reply });
        (id, commit)
    }

    fn pending_messages(&self, aor: &str, now: u64) -> Result<Vec<StoredMessage>, StoreError> {
        if !self.with_messages.lock().contains(aor) {
            return Ok(Vec::new());
        }
        let conn = self.messages.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE aor = ?1 AND expires_at > ?2 \
                 ORDER BY id"
            ))
            .map_err(db_error)?;
        // The address stays in the set even when nothing is found: a message being
        // committed right now would otherwise be missed for good.
        stmt.query_map(rusqlite::params![aor, sql_time(now)], message_from_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(db_error)
    }

    fn delete_message(&self, id: u64) -> Commit {
        self.queue(|reply| Change::DeleteMessage { id, reply })
    }

    fn count_messages(&self, aor: &str) -> Result<usize, StoreError> {
        let conn = self.messages.lock();
        conn.query_row("SELECT COUNT(*) FROM messages WHERE aor = ?1", [aor], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| usize::try_from(n).unwrap_or(0))
        .map_err(db_error)
    }
}
