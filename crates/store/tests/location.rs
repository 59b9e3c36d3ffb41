//! The SQLite location store: durability, group commit, expiry, ordering.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use carillon_store::{LocationStore, SqliteStore, StoreError, StoreOptions};
use common::{bare_binding, binding, rows_on_disk};

const NOW: u64 = 1_700_000_000;

fn aor(i: usize) -> String {
    format!("sip:user{i}@example.com")
}

#[test]
fn committed_bindings_are_seen_by_a_second_store_while_the_first_never_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let first = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let commits: Vec<_> = (0..1_000)
        .map(|i| {
            first.replace(
                &aor(i),
                vec![binding(
                    &aor(i),
                    &format!("sip:u{i}@192.0.2.1"),
                    Some(500),
                    NOW + 3600,
                    NOW,
                )],
            )
        })
        .collect();
    for commit in commits {
        commit.wait().unwrap();
    }

    // The first store stays alive and is never flushed or closed: what the second sees comes
    // from the commits alone.
    let second = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    assert_eq!(second.count(NOW), 1_000);
    for i in 0..1_000 {
        let found = second.lookup(&aor(i), NOW);
        assert_eq!(
            found,
            vec![binding(
                &aor(i),
                &format!("sip:u{i}@192.0.2.1"),
                Some(500),
                NOW + 3600,
                NOW
            )]
        );
    }
    drop(second);
    std::mem::forget(first);
}

#[test]
fn every_field_of_a_binding_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let a = "sip:alice@example.com";
    let full = binding(
        a,
        "sip:alice@[2001:db8::9]:5070;transport=tcp;ob",
        Some(1000),
        NOW + 60,
        NOW,
    );
    let bare = bare_binding(a, "sip:alice@192.0.2.9", NOW + 60);
    {
        let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
        store
            .replace(a, vec![full.clone(), bare.clone()])
            .wait()
            .unwrap();
    }
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    assert_eq!(store.lookup(a, NOW), vec![full, bare]);
}

#[test]
fn concurrent_replaces_share_transactions_and_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let commits: Vec<_> = (0..100)
                    .map(|i| {
                        let a = aor(t * 100 + i);
                        store.replace(&a, vec![bare_binding(&a, "sip:x@192.0.2.1", NOW + 60)])
                    })
                    .collect();
                commits.into_iter().map(|c| c.wait()).collect::<Vec<_>>()
            })
        })
        .collect();
    for thread in threads {
        for result in thread.join().unwrap() {
            assert_eq!(result, Ok(()));
        }
    }
    let stats = store.stats();
    assert_eq!(stats.changes, 800);
    assert!(
        stats.transactions < 800,
        "800 changes took {} transactions",
        stats.transactions
    );
    assert_eq!(rows_on_disk(dir.path()), 800);
}

/// Replaces sent one every millisecond, each by a caller that does not wait: without a
/// commit delay the writer may start a transaction for each; with one of 200 ms they pile up
/// behind the first and share a handful of transactions.
#[test]
fn commit_delay_gathers_changes_that_arrive_while_it_waits() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::default().with_commit_delay(Duration::from_millis(200));
    let store = SqliteStore::open_at(dir.path(), options, NOW).unwrap();
    let started = std::time::Instant::now();
    let commits: Vec<_> = (0..50)
        .map(|i| {
            std::thread::sleep(Duration::from_millis(1));
            let a = aor(i);
            store.replace(&a, vec![bare_binding(&a, "sip:x@192.0.2.1", NOW + 60)])
        })
        .collect();
    for commit in commits {
        commit.wait().unwrap();
    }
    let stats = store.stats();
    assert_eq!(stats.changes, 50);
    // 50 ms of arrivals inside one 200 ms wait: one transaction, or two when the machine
    // stalled the sender past the first wait.
    assert!(
        stats.transactions <= 2,
        "50 changes took {} transactions",
        stats.transactions
    );
    // The first caller waited for the delay, not for ever.
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(rows_on_disk(dir.path()), 50);
}

#[test]
fn zero_commit_delay_commits_a_lone_change_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::default().with_commit_delay(Duration::ZERO);
    let store = SqliteStore::open_at(dir.path(), options, NOW).unwrap();
    for i in 0..5 {
        let a = aor(i);
        store
            .replace(&a, vec![bare_binding(&a, "sip:x@192.0.2.1", NOW + 60)])
            .wait()
            .unwrap();
    }
    // Each caller waited for its own commit before sending the next: five transactions.
    assert_eq!(store.stats().transactions, 5);
}

#[tokio::test(flavor = "current_thread")]
async fn commit_is_a_future_that_resolves_when_durable() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let a = "sip:bob@example.com";
    store
        .replace(a, vec![bare_binding(a, "sip:bob@192.0.2.2", NOW + 60)])
        .await
        .unwrap();
    assert_eq!(rows_on_disk(dir.path()), 1);
}

#[test]
fn later_replace_of_the_same_aor_wins_in_memory_and_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let a = "sip:carol@example.com";
    {
        let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
        let commits: Vec<_> = (0..50)
            .map(|i| {
                store.replace(
                    a,
                    vec![bare_binding(a, &format!("sip:c{i}@192.0.2.3"), NOW + 60)],
                )
            })
            .collect();
        for commit in commits {
            commit.wait().unwrap();
        }
        assert_eq!(store.lookup(a, NOW)[0].uri, "sip:c49@192.0.2.3");
    }
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let found = store.lookup(a, NOW);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].uri, "sip:c49@192.0.2.3");
}

#[test]
fn replacing_with_nothing_removes_the_aor() {
    let dir = tempfile::tempdir().unwrap();
    let a = "sip:dave@example.com";
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    store
        .replace(a, vec![bare_binding(a, "sip:d@192.0.2.4", NOW + 60)])
        .wait()
        .unwrap();
    store.replace(a, Vec::new()).wait().unwrap();
    assert!(store.lookup(a, NOW).is_empty());
    assert_eq!(store.count(NOW), 0);
    assert_eq!(rows_on_disk(dir.path()), 0);
}

#[test]
fn lookup_orders_by_q_then_most_recently_updated() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let a = "sip:erin@example.com";
    let given = vec![
        binding(a, "sip:low@h", Some(100), NOW + 60, NOW),
        binding(a, "sip:mid-old@h", Some(500), NOW + 60, NOW - 10),
        binding(a, "sip:none@h", None, NOW + 60, NOW - 5),
        binding(a, "sip:mid-new@h", Some(500), NOW + 60, NOW),
        binding(a, "sip:top@h", Some(1000), NOW + 60, NOW - 20),
    ];
    store.replace(a, given).wait().unwrap();
    let order = |bindings: Vec<carillon_store::Binding>| {
        bindings.into_iter().map(|b| b.uri).collect::<Vec<_>>()
    };
    // Without q a contact ranks as q=1.0, after q=1.0 contacts refreshed more recently.
    let expected = [
        "sip:none@h",
        "sip:top@h",
        "sip:mid-new@h",
        "sip:mid-old@h",
        "sip:low@h",
    ];
    assert_eq!(order(store.lookup(a, NOW)), expected);
    drop(store);
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    assert_eq!(order(store.lookup(a, NOW)), expected);
}

#[test]
fn expired_bindings_are_hidden_and_purged() {
    let dir = tempfile::tempdir().unwrap();
    let a = "sip:frank@example.com";
    let b = "sip:grace@example.com";
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    store
        .replace(
            a,
            vec![
                bare_binding(a, "sip:short@h", NOW + 10),
                bare_binding(a, "sip:long@h", NOW + 100),
            ],
        )
        .wait()
        .unwrap();
    store
        .replace(b, vec![bare_binding(b, "sip:short@h", NOW + 10)])
        .wait()
        .unwrap();

    let later = NOW + 10;
    let uris: Vec<_> = store.lookup(a, later).into_iter().map(|b| b.uri).collect();
    assert_eq!(uris, ["sip:long@h"]);
    assert!(store.lookup(b, later).is_empty());
    assert_eq!(store.count(later), 1);
    assert_eq!(store.all(later).len(), 1);
    // Still in memory and on disk until purged.
    assert_eq!(store.count(NOW), 3);

    assert_eq!(store.purge_expired(later), 2);
    assert_eq!(store.count(NOW), 1);
    store.flush().unwrap();
    assert_eq!(rows_on_disk(dir.path()), 1);
    assert_eq!(store.purge_expired(later), 0);
}

#[test]
fn bindings_ended_at_open_are_purged_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = "sip:heidi@example.com";
    {
        let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
        store
            .replace(
                a,
                vec![
                    bare_binding(a, "sip:short@h", NOW + 10),
                    bare_binding(a, "sip:long@h", NOW + 100),
                ],
            )
            .wait()
            .unwrap();
    }
    assert_eq!(rows_on_disk(dir.path()), 2);
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW + 50).unwrap();
    // Asked with an old `now`, the purged binding would show if it were still in memory.
    let uris: Vec<_> = store.all(0).into_iter().map(|b| b.uri).collect();
    assert_eq!(uris, ["sip:long@h"]);
    assert_eq!(rows_on_disk(dir.path()), 1);
}

#[test]
fn all_lists_every_live_binding_grouped_by_aor() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    for i in [3, 1, 2] {
        let a = aor(i);
        store
            .replace(
                &a,
                vec![
                    bare_binding(&a, "sip:a@h", NOW + 60),
                    bare_binding(&a, "sip:b@h", NOW + 60),
                ],
            )
            .wait()
            .unwrap();
    }
    let listed: Vec<_> = store.all(NOW).into_iter().map(|b| (b.aor, b.uri)).collect();
    let expected: Vec<_> = [1, 2, 3]
        .iter()
        .flat_map(|&i| {
            [
                (aor(i), "sip:a@h".to_owned()),
                (aor(i), "sip:b@h".to_owned()),
            ]
        })
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn a_failed_write_reports_the_error_and_restores_memory() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::default().with_busy_timeout(Duration::from_millis(50));
    let store = SqliteStore::open_at(dir.path(), options, NOW).unwrap();
    let a = "sip:ivan@example.com";
    let before = vec![bare_binding(a, "sip:before@h", NOW + 60)];
    store.replace(a, before.clone()).wait().unwrap();

    // Another process holding the write lock longer than the busy timeout.
    let blocker = rusqlite::Connection::open(store.path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let commit = store.replace(a, vec![bare_binding(a, "sip:after@h", NOW + 60)]);
    assert_eq!(store.lookup(a, NOW)[0].uri, "sip:after@h");
    let result = commit.wait();
    assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
    assert_eq!(store.lookup(a, NOW), before);
    assert_eq!(store.stats().failed_transactions, 1);

    blocker.execute_batch("ROLLBACK").unwrap();
    let b = "sip:judy@example.com";
    store
        .replace(b, vec![bare_binding(b, "sip:j@h", NOW + 60)])
        .wait()
        .unwrap();
    drop(store);
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    assert_eq!(store.lookup(a, NOW), before);
    assert_eq!(store.count(NOW), 2);
}

#[test]
fn writes_after_close_fail_and_reads_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let a = "sip:ken@example.com";
    let pending = store.replace(a, vec![bare_binding(a, "sip:k@h", NOW + 60)]);
    store.close().unwrap();
    assert_eq!(pending.wait(), Ok(()));
    assert_eq!(rows_on_disk(dir.path()), 1);
    let refused = store.replace(a, Vec::new());
    assert_eq!(refused.wait(), Err(StoreError::Closed));
    assert_eq!(store.lookup(a, NOW).len(), 1);
    assert_eq!(store.flush(), Err(StoreError::Closed));
    store.close().unwrap();
}

#[test]
fn flush_waits_for_everything_handed_in() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        SqliteStore::open_at(dir.path(), StoreOptions::default().with_batch_limit(7), NOW).unwrap();
    for i in 0..100 {
        let a = aor(i);
        // Commits dropped unawaited: flush alone must cover them.
        drop(store.replace(&a, vec![bare_binding(&a, "sip:x@h", NOW + 60)]));
    }
    store.flush().unwrap();
    assert_eq!(rows_on_disk(dir.path()), 100);
    assert!(store.stats().transactions >= 100 / 7);
}

#[test]
fn two_stores_can_open_the_same_directory_and_the_schema_is_created_once() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    let first = SqliteStore::open_at(&nested, StoreOptions::default(), NOW).unwrap();
    let second = SqliteStore::open_at(&nested, StoreOptions::default(), NOW).unwrap();
    let a = "sip:leo@example.com";
    first
        .replace(a, vec![bare_binding(a, "sip:l@h", NOW + 60)])
        .wait()
        .unwrap();
    drop(second);
    let third = SqliteStore::open_at(&nested, StoreOptions::default(), NOW).unwrap();
    assert_eq!(third.lookup(a, NOW).len(), 1);
    let conn = rusqlite::Connection::open(first.path()).unwrap();
    let versions: i64 = conn
        .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(versions, 1);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}
