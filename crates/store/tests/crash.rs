//! The product promise: a binding whose commit was reported is never lost, even when the
//! process is killed with SIGKILL while other writes are in flight.
//!
//! The test binary re-runs itself as the child (selected by an environment variable); the
//! child writes bindings from several threads and prints one line per resolved commit; the
//! parent kills it after a few hundred and reopens the store.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use carillon_store::{LocationStore, SqliteStore, StoreOptions};
use common::bare_binding;

const CHILD_DIR: &str = "CARILLON_STORE_CRASH_CHILD_DIR";
const NOW: u64 = 1_700_000_000;
const KILL_AFTER: usize = 300;
const TEST_NAME: &str = "acknowledged_bindings_survive_sigkill";

fn aor(i: usize) -> String {
    format!("sip:crash{i}@example.com")
}

fn uri(i: usize) -> String {
    format!("sip:crash{i}@192.0.2.{}:5060", i % 250)
}

/// Writes until killed: 4 threads, each with 16 commits in flight, one `ACK i` line per
/// resolved commit, written in one call so a line is never torn.
fn run_child(dir: &Path) -> ! {
    let store = Arc::new(SqliteStore::open_at(dir, StoreOptions::default(), NOW).unwrap());
    let threads = 4;
    for t in 0..threads {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            let mut next = t;
            loop {
                let batch: Vec<_> = (0..16)
                    .map(|_| {
                        let i = next;
                        next += threads;
                        let commit = store
                            .replace(&aor(i), vec![bare_binding(&aor(i), &uri(i), NOW + 3600)]);
                        (i, commit)
                    })
                    .collect();
                for (i, commit) in batch {
                    commit.wait().unwrap();
                    let line = format!("ACK {i}\n");
                    std::io::stdout().lock().write_all(line.as_bytes()).unwrap();
                }
            }
        });
    }
    loop {
        std::thread::park();
    }
}

#[test]
fn acknowledged_bindings_survive_sigkill() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        run_child(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acknowledged = Vec::new();
    let mut killed = false;
    // Lines already in the pipe when the child dies are still read: every one of them is a
    // commit the child saw resolve.
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(i) = line
            .strip_prefix("ACK ")
            .and_then(|n| n.parse::<usize>().ok())
        {
            acknowledged.push(i);
            if acknowledged.len() >= KILL_AFTER && !killed {
                child.kill().unwrap();
                killed = true;
            }
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the child was not killed: {status:?}"
    );
    assert!(
        acknowledged.len() >= KILL_AFTER,
        "only {} commits",
        acknowledged.len()
    );

    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    let lost: Vec<usize> = acknowledged
        .iter()
        .copied()
        .filter(|&i| {
            let found = store.lookup(&aor(i), NOW);
            found.len() != 1 || found[0].uri != uri(i)
        })
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged bindings lost, e.g. {:?}",
        lost.len(),
        acknowledged.len(),
        &lost[..lost.len().min(10)]
    );
    assert!(store.count(NOW) >= acknowledged.len());
}
