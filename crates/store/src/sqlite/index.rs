//! The in-memory copy of the bindings that every read is served from.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use parking_lot::RwLock;

use super::packed::Packed;
use crate::options::StoreStats;
use crate::{Binding, StoreError};

/// A change on its way to the writer thread.
pub(crate) enum Change {
    /// The new bindings of `aor` (empty: remove it).
    Replace {
        aor: String,
        /// Sorted; memory holds them packed, this copy is for the writer only.
        bindings: Vec<Binding>,
        /// Order of this change among all changes of the store (see [`Index::pending`]).
        seq: u64,
        reply: tokio::sync::oneshot::Sender<Result<(), StoreError>>,
    },
    /// Delete the rows that ended at or before `now` (bindings and messages).
    Purge { now: u64 },
    /// Keep a message.
    StoreMessage {
        message: crate::StoredMessage,
        reply: tokio::sync::oneshot::Sender<Result<(), StoreError>>,
    },
    /// Forget a message.
    DeleteMessage {
        id: u64,
        reply: tokio::sync::oneshot::Sender<Result<(), StoreError>>,
    },
    /// Answer once everything before this is committed.
    Flush {
        reply: mpsc::Sender<Result<(), StoreError>>,
    },
}

/// The bindings by address of record, and what is still on its way to disk.
///
/// The channel to the writer lives here so that a change enters memory and the queue under
/// the same lock: the writer then applies changes of one address of record in the order
/// readers saw them.
pub(crate) struct Index {
    /// Found by the address of record's bytes (`by_aor.get(aor.as_bytes())`).
    pub(crate) by_aor: HashSet<Packed>,
    /// For each address of record with a change not yet committed, the `seq` of its latest
    /// change. When a transaction fails, the writer restores from disk only the addresses
    /// whose latest change was in that transaction (a later change will still be written).
    pub(crate) pending: HashMap<String, u64>,
    pub(crate) next_seq: u64,
    /// `None` once the store is closed.
    pub(crate) sender: Option<mpsc::Sender<Change>>,
}

/// What the store handle and the writer thread share.
pub(crate) struct Shared {
    pub(crate) index: RwLock<Index>,
    pub(crate) transactions: AtomicU64,
    pub(crate) changes: AtomicU64,
    pub(crate) failed_transactions: AtomicU64,
}

impl Shared {
    pub(crate) fn new(by_aor: HashSet<Packed>, sender: mpsc::Sender<Change>) -> Self {
        Shared {
            index: RwLock::new(Index {
                by_aor,
                pending: HashMap::new(),
                next_seq: 0,
                sender: Some(sender),
            }),
            transactions: AtomicU64::new(0),
            changes: AtomicU64::new(0),
            failed_transactions: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> StoreStats {
        StoreStats {
            transactions: self.transactions.load(Ordering::Relaxed),
            changes: self.changes.load(Ordering::Relaxed),
            failed_transactions: self.failed_transactions.load(Ordering::Relaxed),
        }
    }
}

/// The q-value a contact without one sorts as: 1.0, the top of the range, since the
/// registering agent expressed no lower preference for it. (Kamailio sorts such contacts
/// last instead; RFC 3261 leaves it open.)
const DEFAULT_Q: u16 = 1000;

/// Puts the bindings of one address of record in lookup order: highest q first, then the
/// most recently refreshed; otherwise the order given is kept.
pub(crate) fn sort_bindings(bindings: &mut [Binding]) {
    bindings.sort_by(|a, b| {
        let qa = a.q.unwrap_or(DEFAULT_Q);
        let qb = b.q.unwrap_or(DEFAULT_Q);
        qb.cmp(&qa).then(b.updated_at.cmp(&a.updated_at))
    });
}
