//! Bindings and users to and from table rows.

use std::net::SocketAddr;

use rusqlite::{Row, Transaction, params};

use crate::{Binding, StoredMessage, User};

/// The columns of `bindings` in the order [`binding_from_row`] reads them.
pub(crate) const BINDING_COLUMNS: &str = "aor, uri, params, q, expires_at, call_id, cseq, \
     source, transport, local, path, instance_id, reg_id, user_agent, created_at, updated_at";

/// The columns of `users` in the order [`user_from_row`] reads them.
pub(crate) const USER_COLUMNS: &str = "username, domain, ha1_md5, ha1_sha256, created_at";

/// A time as stored. SQLite integers are signed 64-bit: times past year 292 billion are kept
/// as `i64::MAX`.
pub(crate) fn sql_time(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

fn from_sql_time(t: i64) -> u64 {
    u64::try_from(t).unwrap_or(0)
}

fn conversion_error(column: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        Box::<dyn std::error::Error + Send + Sync>::from(message),
    )
}

fn addr_from_sql(column: usize, text: Option<String>) -> rusqlite::Result<Option<SocketAddr>> {
    text.map(|t| {
        t.parse::<SocketAddr>()
            .map_err(|e| conversion_error(column, format!("socket address {t:?}: {e}")))
    })
    .transpose()
}

/// Writes `b` as one row.
pub(crate) fn insert_binding(tx: &Transaction<'_>, b: &Binding) -> rusqlite::Result<()> {
    // Path URIs may hold any character but a JSON array keeps them apart unambiguously.
    let path = serde_json::to_string(&b.path)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO bindings (aor, uri, params, q, expires_at, call_id, cseq, source, \
         transport, local, path, instance_id, reg_id, user_agent, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    stmt.execute(params![
        b.aor,
        b.uri,
        b.params,
        b.q,
        sql_time(b.expires_at),
        b.call_id,
        b.cseq,
        b.source.map(|a| a.to_string()),
        b.transport,
        b.local.map(|a| a.to_string()),
        path,
        b.instance_id,
        b.reg_id,
        b.user_agent,
        sql_time(b.created_at),
        sql_time(b.updated_at),
    ])?;
    Ok(())
}

/// Reads a row selected with [`BINDING_COLUMNS`].
pub(crate) fn binding_from_row(row: &Row<'_>) -> rusqlite::Result<Binding> {
    let path_text: String = row.get(10)?;
    let path: Vec<String> = serde_json::from_str(&path_text)
        .map_err(|e| conversion_error(10, format!("path {path_text:?}: {e}")))?;
    Ok(Binding {
        aor: row.get(0)?,
        uri: row.get(1)?,
        params: row.get(2)?,
        q: row.get(3)?,
        expires_at: from_sql_time(row.get(4)?),
        call_id: row.get(5)?,
        cseq: row.get(6)?,
        source: addr_from_sql(7, row.get(7)?)?,
        transport: row.get(8)?,
        local: addr_from_sql(9, row.get(9)?)?,
        path,
        instance_id: row.get(11)?,
        reg_id: row.get(12)?,
        user_agent: row.get(13)?,
        created_at: from_sql_time(row.get(14)?),
        updated_at: from_sql_time(row.get(15)?),
    })
}

/// Reads a row selected with [`USER_COLUMNS`].
pub(crate) fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        username: row.get(0)?,
        domain: row.get(1)?,
        ha1_md5: row.get(2)?,
        ha1_sha256: row.get(3)?,
        created_at: from_sql_time(row.get(4)?),
    })
}

/// The columns of `messages` in the order [`message_from_row`] reads them.
pub(crate) const MESSAGE_COLUMNS: &str =
    "id, aor, sender, recipient, content_type, body, received_at, expires_at";

/// Writes `m` as one row, with its id.
pub(crate) fn insert_message(tx: &Transaction<'_>, m: &StoredMessage) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO messages (id, aor, sender, recipient, content_type, body, received_at, \
         expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    stmt.execute(params![
        sql_time(m.id),
        m.aor,
        m.from,
        m.to,
        m.content_type,
        m.body,
        sql_time(m.received_at),
        sql_time(m.expires_at),
    ])?;
    Ok(())
}

/// Reads a row of `messages` selected with [`MESSAGE_COLUMNS`].
pub(crate) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        id: from_sql_time(row.get(0)?),
        aor: row.get(1)?,
        from: row.get(2)?,
        to: row.get(3)?,
        content_type: row.get(4)?,
        body: row.get(5)?,
        received_at: from_sql_time(row.get(6)?),
        expires_at: from_sql_time(row.get(7)?),
    })
}
