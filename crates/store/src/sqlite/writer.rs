//! The one thread that writes bindings: group commit.
//!
//! It sleeps on the channel until a change arrives, then takes every change already waiting
//! (up to the batch limit) and writes them in one transaction, so one fsync makes a whole
//! batch durable. While it waits for the disk, new changes pile up for the next batch: the
//! busier the server, the more REGISTERs share each fsync, with no timer to tune.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::index::{Change, Shared, sort_bindings};
use super::packed::Packed;
use super::rows::{BINDING_COLUMNS, binding_from_row, insert_binding, insert_message, sql_time};
use super::schema::db_error;
use crate::{Binding, StoreError};

/// Runs until every sender is dropped and the queue is drained.
pub(crate) fn run(
    mut conn: Connection,
    rx: Receiver<Change>,
    shared: Arc<Shared>,
    limit: usize,
    delay: Duration,
) {
    let limit = limit.max(1);
    while let Ok(first) = rx.recv() {
        let mut batch = Vec::with_capacity(16);
        let flush = matches!(first, Change::Flush { .. });
        batch.push(first);
        // Each commit costs the same fixed work (locks, WAL frames, fsync) whether it holds
        // one change or a hundred: waiting `delay` for company divides that work. One sleep
        // rather than a wait per arrival: the senders then wake nobody.
        if !flush && !delay.is_zero() {
            std::thread::sleep(delay);
        }
        while batch.len() < limit {
            match rx.try_recv() {
                Ok(change) => batch.push(change),
                Err(_) => break,
            }
        }
        process(&mut conn, batch, &shared);
    }
}

fn process(conn: &mut Connection, batch: Vec<Change>, shared: &Shared) {
    let result = write(conn, &batch);
    match &result {
        Ok(0) => {}
        Ok(n) => {
            shared.transactions.fetch_add(1, Ordering::Relaxed);
            shared.changes.fetch_add(*n as u64, Ordering::Relaxed);
            let mut index = shared.index.write();
            for change in &batch {
                if let Change::Replace { aor, seq, .. } = change {
                    if index.pending.get(aor) == Some(seq) {
                        index.pending.remove(aor);
                        // Copy the committed bindings into memory allocated on this thread:
                        // long-lived bindings then share no pages with the short-lived
                        // transactions of the threads that registered them, and those pages
                        // can go back to the system when the transactions end.
                        if let Some(p) = index.by_aor.take(aor.as_bytes()) {
                            index.by_aor.insert(p.rehome());
                        }
                    }
                }
            }
            shrink_pending(&mut index.pending);
        }
        Err(e) => {
            shared.failed_transactions.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, changes = batch.len(), "writing bindings failed");
            restore(conn, &batch, shared);
        }
    }
    // Only now, with memory consistent again after a failure, do the waiters learn the
    // outcome.
    let outcome = result.map(|_| ());
    for change in batch {
        match change {
            Change::Replace { reply, .. } => {
                // The registrar may have given up waiting; nobody to tell then.
                let _ = reply.send(outcome.clone());
            }
            Change::Flush { reply } => {
                let _ = reply.send(outcome.clone());
            }
            Change::StoreMessage { reply, .. } | Change::DeleteMessage { reply, .. } => {
                let _ = reply.send(outcome.clone());
            }
            Change::Purge { .. } => {}
        }
    }
}

/// Writes the batch in one transaction; returns how many changes it held (0: nothing to
/// write, no transaction).
fn write(conn: &mut Connection, batch: &[Change]) -> Result<usize, StoreError> {
    // A replace overwrites the whole address of record, so only the last one of each address
    // in the batch needs writing; purges commute with that.
    let mut last: HashMap<&str, usize> = HashMap::new();
    let mut changes = 0;
    for (i, change) in batch.iter().enumerate() {
        match change {
            Change::Replace { aor, .. } => {
                last.insert(aor.as_str(), i);
                changes += 1;
            }
            Change::Purge { .. } | Change::StoreMessage { .. } | Change::DeleteMessage { .. } => {
                changes += 1
            }
            Change::Flush { .. } => {}
        }
    }
    if changes == 0 {
        return Ok(0);
    }
    // Immediate: take the write lock up front, so that a busy database is waited for (busy
    // timeout) instead of failing when a read transaction would have to be upgraded.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_error)?;
    for (i, change) in batch.iter().enumerate() {
        match change {
            Change::Replace { aor, bindings, .. } => {
                if last.get(aor.as_str()) != Some(&i) {
                    continue;
                }
                tx.prepare_cached("DELETE FROM bindings WHERE aor = ?1")
                    .and_then(|mut stmt| stmt.execute([aor]))
                    .map_err(db_error)?;
                for binding in bindings.iter() {
                    insert_binding(&tx, binding).map_err(db_error)?;
                }
            }
            Change::Purge { now } => {
                tx.prepare_cached("DELETE FROM bindings WHERE expires_at <= ?1")
                    .and_then(|mut stmt| stmt.execute([sql_time(*now)]))
                    .map_err(db_error)?;
                tx.prepare_cached("DELETE FROM messages WHERE expires_at <= ?1")
                    .and_then(|mut stmt| stmt.execute([sql_time(*now)]))
                    .map_err(db_error)?;
            }
            Change::StoreMessage { message, .. } => {
                insert_message(&tx, message).map_err(db_error)?;
            }
            Change::DeleteMessage { id, .. } => {
                tx.prepare_cached("DELETE FROM messages WHERE id = ?1")
                    .and_then(|mut stmt| stmt.execute([sql_time(*id)]))
                    .map_err(db_error)?;
            }
            Change::Flush { .. } => {}
        }
    }
    tx.commit().map_err(db_error)?;
    Ok(changes)
}

/// After a failed transaction, puts back in memory what the disk holds for each address of
/// record whose latest change was lost, so that readers do not see bindings that a restart
/// would forget. Addresses changed again since are left alone: that newer change is queued.
fn restore(conn: &Connection, batch: &[Change], shared: &Shared) {
    // Held across the reads so that no replace of these addresses slips in between.
    let mut index = shared.index.write();
    for change in batch {
        let Change::Replace { aor, seq, .. } = change else {
            continue;
        };
        if index.pending.get(aor) != Some(seq) {
            continue;
        }
        index.pending.remove(aor);
        shrink_pending(&mut index.pending);
        match load_aor(conn, aor) {
            Ok(bindings) if bindings.is_empty() => {
                index.by_aor.remove(aor.as_bytes());
            }
            Ok(bindings) => {
                index.by_aor.replace(Packed::new(aor, &bindings));
            }
            Err(e) => {
                // Memory keeps the unwritten bindings: the best guess there is.
                tracing::error!(error = %e, aor = %aor, "cannot reload bindings after a failed write");
            }
        }
    }
}

/// Gives back the room of a backlog once it has drained: a map keeps its largest capacity
/// otherwise, and a burst of registrations would leave it big for the life of the server.
fn shrink_pending(pending: &mut HashMap<String, u64>) {
    if pending.is_empty() && pending.capacity() > 1024 {
        pending.shrink_to_fit();
    }
}

fn load_aor(conn: &Connection, aor: &str) -> rusqlite::Result<Vec<Binding>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {BINDING_COLUMNS} FROM bindings WHERE aor = ?1 ORDER BY rowid"
    ))?;
    let mut bindings = stmt
        .query_map([aor], binding_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    sort_bindings(&mut bindings);
    Ok(bindings)
}
