//! Messages kept for unregistered users: durable before the commit resolves, read back in
//! order, deleted once delivered, purged when they expire.
#![allow(clippy::unwrap_used)]

use carillon_store::{LocationStore, MessageStore, SqliteStore, StoreOptions, StoredMessage};

const NOW: u64 = 1_700_000_000;

fn message(aor: &str, text: &str, expires_at: u64) -> StoredMessage {
    StoredMessage {
        id: 0,
        aor: aor.to_owned(),
        from: "<sip:alice@example.com>;tag=1".to_owned(),
        to: format!("<{aor}>"),
        content_type: "text/plain".to_owned(),
        body: text.as_bytes().to_vec(),
        received_at: NOW,
        expires_at,
    }
}

#[test]
fn committed_messages_are_seen_by_a_second_store_in_arrival_order() {
    let dir = tempfile::tempdir().unwrap();
    let first = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let mut ids = Vec::new();
    for i in 0..50 {
        let (id, commit) =
            first.store_message(message("sip:bob@example.com", &i.to_string(), NOW + 60));
        commit.wait().unwrap();
        ids.push(id);
    }
    first
        .store_message(message("sip:carol@example.com", "x", NOW + 60))
        .1
        .wait()
        .unwrap();
    // Not flushed, not dropped: a second handle (a restarted process) reads the file.
    let second = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let got = second.pending_messages("sip:bob@example.com", NOW).unwrap();
    assert_eq!(got.len(), 50);
    assert_eq!(got.iter().map(|m| m.id).collect::<Vec<_>>(), ids);
    assert_eq!(got[7].body, b"7");
    assert_eq!(got[0].from, "<sip:alice@example.com>;tag=1");
    assert_eq!(second.count_messages("sip:carol@example.com").unwrap(), 1);
    std::mem::forget(first);
}

#[test]
fn ids_keep_growing_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let first = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let (a, c) = first.store_message(message("sip:bob@example.com", "a", NOW + 60));
    c.wait().unwrap();
    drop(first);
    let second = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let (b, c) = second.store_message(message("sip:bob@example.com", "b", NOW + 60));
    c.wait().unwrap();
    assert!(b > a, "{b} after {a}");
    assert_eq!(
        second
            .pending_messages("sip:bob@example.com", NOW)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn delivered_messages_are_deleted_and_expired_ones_hidden_then_purged() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let (keep, c1) = store.store_message(message("sip:bob@example.com", "keep", NOW + 60));
    let (gone, c2) = store.store_message(message("sip:bob@example.com", "gone", NOW + 60));
    let (_, c3) = store.store_message(message("sip:bob@example.com", "old", NOW + 5));
    for c in [c1, c2, c3] {
        c.wait().unwrap();
    }
    store.delete_message(gone).wait().unwrap();
    let later = NOW + 10;
    let left: Vec<u64> = store
        .pending_messages("sip:bob@example.com", later)
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, [keep]);
    assert_eq!(store.count_messages("sip:bob@example.com").unwrap(), 2);
    store.purge_expired(later);
    store.flush().unwrap();
    assert_eq!(store.count_messages("sip:bob@example.com").unwrap(), 1);
}
