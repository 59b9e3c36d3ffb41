//! Users: a cache in memory, refreshed when another process changes the table.
//!
//! Every authenticated request asks for a user, so [`Users::get`] is a hash lookup. Freshness
//! comes from two counters: `PRAGMA data_version`, which changes when any other connection
//! commits anything, and `users_version`, bumped by triggers on the users table, so that the
//! constant stream of binding writes does not reload the users. The check costs one pragma
//! and runs at most once per refresh interval, on the calling thread.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::rows::{USER_COLUMNS, sql_time, user_from_row};
use super::schema::db_error;
use crate::{StoreError, User};

#[derive(Default)]
struct Cache {
    by_domain: HashMap<String, HashMap<String, User>>,
    /// When each removed user was removed, by (domain, username).
    removed: HashMap<(String, String), u64>,
    data_version: i64,
    users_version: i64,
}

pub(crate) struct Users {
    /// Reads and writes of users; also serializes refreshes.
    conn: Mutex<Connection>,
    cache: RwLock<Cache>,
    /// The start of the refresh schedule: the store's own monotonic clock, used only to space
    /// out freshness checks.
    epoch: Instant,
    next_check_ms: AtomicU64,
    interval_ms: u64,
}

fn lowercase(domain: &str) -> Cow<'_, str> {
    if domain.chars().any(char::is_uppercase) {
        Cow::Owned(domain.to_lowercase())
    } else {
        Cow::Borrowed(domain)
    }
}

impl Users {
    pub(crate) fn open(conn: Connection, interval: Duration) -> Result<Users, StoreError> {
        let users = Users {
            conn: Mutex::new(conn),
            cache: RwLock::new(Cache {
                data_version: i64::MIN,
                users_version: i64::MIN,
                ..Cache::default()
            }),
            epoch: Instant::now(),
            next_check_ms: AtomicU64::new(0),
            interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
        };
        users.refresh(&mut users.conn.lock())?;
        Ok(users)
    }

    pub(crate) fn get(&self, username: &str, domain: &str) -> Result<Option<User>, StoreError> {
        self.refresh_if_due()?;
        let domain = lowercase(domain);
        let found = self.cached(username, &domain);
        if found.is_some() {
            return Ok(found);
        }
        // A miss checks for news at once (one cheap pragma when nothing changed): a user
        // added a moment ago is found without waiting for the refresh interval.
        if let Some(mut conn) = self.conn.try_lock() {
            self.refresh(&mut conn)?;
        }
        Ok(self.cached(username, &domain))
    }

    fn cached(&self, username: &str, domain: &str) -> Option<User> {
        let cache = self.cache.read();
        cache
            .by_domain
            .get(domain)
            .and_then(|users| users.get(username))
            .cloned()
    }

    /// Checks for changes now, whatever the interval; returns whether the users changed.
    pub(crate) fn refresh_now(&self) -> Result<bool, StoreError> {
        let before = self.cache.read().users_version;
        let mut conn = self.conn.lock();
        self.refresh(&mut conn)?;
        Ok(self.cache.read().users_version != before)
    }

    /// The users table's version counter as last seen (after a refresh if one is due):
    /// it changes whenever a user is added, changed or removed, by any process.
    pub(crate) fn version(&self) -> Result<i64, StoreError> {
        self.refresh_if_due()?;
        Ok(self.cache.read().users_version)
    }

    fn refresh_if_due(&self) -> Result<(), StoreError> {
        let now_ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        if now_ms < self.next_check_ms.load(Ordering::Relaxed) {
            return Ok(());
        }
        // Whoever holds the connection is refreshing or writing: the cache is fresh enough
        // for this call, and the next one checks again.
        let Some(mut conn) = self.conn.try_lock() else {
            return Ok(());
        };
        self.next_check_ms
            .store(now_ms.saturating_add(self.interval_ms), Ordering::Relaxed);
        self.refresh(&mut conn)
    }

    fn refresh(&self, conn: &mut Connection) -> Result<(), StoreError> {
        let data_version: i64 = conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .map_err(db_error)?;
        let cached_users_version = {
            let cache = self.cache.read();
            if cache.data_version == data_version {
                return Ok(());
            }
            cache.users_version
        };
        // One read transaction, so the version and the rows agree.
        let tx = conn.transaction().map_err(db_error)?;
        let users_version = read_users_version(&tx)?;
        let reloaded = if users_version != cached_users_version {
            let mut stmt = tx
                .prepare(&format!("SELECT {USER_COLUMNS} FROM users"))
                .map_err(db_error)?;
            let rows = stmt
                .query_map([], user_from_row)
                .map_err(db_error)?
                .collect::<rusqlite::Result<Vec<User>>>()
                .map_err(db_error)?;
            let mut by_domain: HashMap<String, HashMap<String, User>> = HashMap::new();
            for user in rows {
                by_domain
                    .entry(user.domain.clone())
                    .or_default()
                    .insert(user.username.clone(), user);
            }
            let mut stmt = tx
                .prepare("SELECT domain, username, removed_at FROM removed_users")
                .map_err(db_error)?;
            let removed = stmt
                .query_map([], |row| {
                    Ok((
                        (row.get::<_, String>(0)?, row.get::<_, String>(1)?),
                        u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                    ))
                })
                .map_err(db_error)?
                .collect::<rusqlite::Result<HashMap<_, _>>>()
                .map_err(db_error)?;
            Some((by_domain, removed))
        } else {
            None
        };
        tx.commit().map_err(db_error)?;
        let mut cache = self.cache.write();
        cache.data_version = data_version;
        cache.users_version = users_version;
        if let Some((by_domain, removed)) = reloaded {
            cache.by_domain = by_domain;
            cache.removed = removed;
        }
        Ok(())
    }

    /// Records our own write in the cache. `users_version` is the version our transaction
    /// left; if it is not the next one after the cached version, another process wrote too,
    /// and the cached version is left behind so the next check reloads everything.
    fn note_own_write(&self, users_version: i64, apply: impl FnOnce(&mut Cache)) {
        let mut cache = self.cache.write();
        apply(&mut cache);
        if cache.users_version.checked_add(1) == Some(users_version) {
            cache.users_version = users_version;
        }
    }

    pub(crate) fn put(&self, user: &User) -> Result<bool, StoreError> {
        Ok(self.put_many(std::slice::from_ref(user))? == 1)
    }

    /// Adds or updates `users` in one transaction (one fsync for an import of thousands);
    /// returns how many were new.
    pub(crate) fn put_many(&self, users: &[User]) -> Result<usize, StoreError> {
        let mut conn = self.conn.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let mut stored_all = Vec::with_capacity(users.len());
        let mut added = 0;
        for user in users {
            let (stored, new) = put_in(&tx, user)?;
            added += usize::from(new);
            stored_all.push(stored);
        }
        let users_version = read_users_version(&tx)?;
        tx.commit().map_err(db_error)?;
        let mut cache = self.cache.write();
        for stored in stored_all {
            cache
                .by_domain
                .entry(stored.domain.clone())
                .or_default()
                .insert(stored.username.clone(), stored);
        }
        // One write bumps the version once: then the cache is current. Several bump it
        // several times, and another process may have written in between, so the cached
        // version stays behind and the next check reloads everything.
        if users.len() == 1 && cache.users_version.checked_add(1) == Some(users_version) {
            cache.users_version = users_version;
        }
        Ok(added)
    }

    pub(crate) fn remove(&self, username: &str, domain: &str) -> Result<bool, StoreError> {
        let domain = domain.to_lowercase();
        let mut conn = self.conn.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let removed = tx
            .execute(
                "DELETE FROM users WHERE domain = ?1 AND username = ?2",
                params![domain, username],
            )
            .map_err(db_error)?
            > 0;
        let removed_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if removed {
            tx.execute(
                "INSERT OR REPLACE INTO removed_users (domain, username, removed_at) \
                 VALUES (?1, ?2, ?3)",
                params![domain, username, sql_time(removed_at)],
            )
            .map_err(db_error)?;
        }
        let users_version = read_users_version(&tx)?;
        tx.commit().map_err(db_error)?;
        self.note_own_write(users_version, |cache| {
            if removed {
                cache
                    .removed
                    .insert((domain.clone(), username.to_owned()), removed_at);
            }
            if let Some(users) = cache.by_domain.get_mut(&domain) {
                users.remove(username);
                if users.is_empty() {
                    cache.by_domain.remove(&domain);
                }
            }
        });
        Ok(removed)
    }

    /// When `username@domain` was last removed, if ever.
    pub(crate) fn removed_at(
        &self,
        username: &str,
        domain: &str,
    ) -> Result<Option<u64>, StoreError> {
        self.refresh_if_due()?;
        let domain = lowercase(domain).into_owned();
        Ok(self
            .cache
            .read()
            .removed
            .get(&(domain, username.to_owned()))
            .copied())
    }

    /// Listings read the table itself: they are rare and must show what is on disk.
    pub(crate) fn list(&self) -> Result<Vec<User>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY domain, username"
            ))
            .map_err(db_error)?;
        let users = stmt
            .query_map([], user_from_row)
            .map_err(db_error)?
            .collect::<rusqlite::Result<Vec<User>>>()
            .map_err(db_error)?;
        Ok(users)
    }

    pub(crate) fn domains(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached("SELECT DISTINCT domain FROM users ORDER BY domain")
            .map_err(db_error)?;
        let domains = stmt
            .query_map([], |row| row.get(0))
            .map_err(db_error)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(db_error)?;
        Ok(domains)
    }
}

/// Inserts or updates one user inside `tx`; returns what is stored and whether it is new.
fn put_in(tx: &rusqlite::Transaction<'_>, user: &User) -> Result<(User, bool), StoreError> {
    let domain = user.domain.to_lowercase();
    let existing: Option<i64> = tx
        .query_row(
            "SELECT created_at FROM users WHERE domain = ?1 AND username = ?2",
            params![domain, user.username],
            |row| row.get(0),
        )
        .optional()
        .map_err(db_error)?;
    let mut stored = User {
        domain,
        ..user.clone()
    };
    match existing {
        Some(created_at) => {
            // A password change keeps the date the user was added.
            stored.created_at = u64::try_from(created_at).unwrap_or(0);
            tx.prepare_cached(
                "UPDATE users SET ha1_md5 = ?3, ha1_sha256 = ?4 \
                 WHERE domain = ?1 AND username = ?2",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    stored.domain,
                    stored.username,
                    stored.ha1_md5,
                    stored.ha1_sha256
                ])
            })
            .map_err(db_error)?;
        }
        None => {
            tx.prepare_cached(&format!(
                "INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
            ))
            .and_then(|mut stmt| {
                stmt.execute(params![
                    stored.username,
                    stored.domain,
                    stored.ha1_md5,
                    stored.ha1_sha256,
                    sql_time(stored.created_at)
                ])
            })
            .map_err(db_error)?;
        }
    }
    Ok((stored, existing.is_none()))
}

fn read_users_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row(
        "SELECT version FROM users_version WHERE id = 1",
        [],
        |row| row.get(0),
    )
    .map_err(db_error)
}
