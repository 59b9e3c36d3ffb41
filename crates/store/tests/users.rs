//! The SQLite user store.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use carillon_store::{SqliteStore, StoreOptions, User, UserStore};

const NOW: u64 = 1_700_000_000;

fn user(username: &str, domain: &str, secret: &str) -> User {
    User {
        username: username.to_owned(),
        domain: domain.to_owned(),
        ha1_md5: format!("md5-{secret}"),
        ha1_sha256: format!("sha256-{secret}"),
        created_at: NOW,
    }
}

#[test]
fn put_replace_remove_and_list_users() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    assert!(store.put_user(&user("bob", "b.example", "1")).unwrap());
    assert!(store.put_user(&user("alice", "b.example", "2")).unwrap());
    assert!(store.put_user(&user("zed", "a.example", "3")).unwrap());

    let mut changed = user("bob", "b.example", "new");
    changed.created_at = NOW + 99;
    assert!(!store.put_user(&changed).unwrap());
    let bob = store.user("bob", "b.example").unwrap().unwrap();
    assert_eq!(bob.ha1_md5, "md5-new");
    assert_eq!(bob.ha1_sha256, "sha256-new");
    assert_eq!(
        bob.created_at, NOW,
        "a password change keeps the creation date"
    );

    let listed: Vec<_> = store
        .users()
        .unwrap()
        .into_iter()
        .map(|u| (u.domain, u.username))
        .collect();
    assert_eq!(
        listed,
        [
            ("a.example".to_owned(), "zed".to_owned()),
            ("b.example".to_owned(), "alice".to_owned()),
            ("b.example".to_owned(), "bob".to_owned()),
        ]
    );
    assert_eq!(store.domains().unwrap(), ["a.example", "b.example"]);

    assert!(store.remove_user("zed", "a.example").unwrap());
    assert!(!store.remove_user("zed", "a.example").unwrap());
    assert_eq!(store.user("zed", "a.example").unwrap(), None);
    assert_eq!(store.domains().unwrap(), ["b.example"]);

    drop(store);
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    assert_eq!(store.user("bob", "b.example").unwrap(), Some(bob));
    assert_eq!(store.users().unwrap().len(), 2);
}

#[test]
fn domains_are_stored_lowercase_and_compared_without_case() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    assert!(store.put_user(&user("Carol", "Example.COM", "1")).unwrap());
    assert!(!store.put_user(&user("Carol", "EXAMPLE.com", "2")).unwrap());

    let found = store.user("Carol", "example.com").unwrap().unwrap();
    assert_eq!(found.domain, "example.com");
    assert_eq!(found.ha1_md5, "md5-2");
    assert!(store.user("Carol", "eXample.Com").unwrap().is_some());
    // The user part is case-sensitive (RFC 3261 §19.1.4).
    assert_eq!(store.user("carol", "example.com").unwrap(), None);
    assert_eq!(store.domains().unwrap(), ["example.com"]);

    assert!(store.remove_user("Carol", "EXAMPLE.COM").unwrap());
    assert!(store.users().unwrap().is_empty());
}

fn wait_until(deadline: Duration, mut condition: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < deadline {
        if condition() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn users_changed_through_another_handle_are_seen_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let server = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    // The server has looked the user up (and cached the miss) before the command line runs.
    assert_eq!(server.user("dave", "example.com").unwrap(), None);

    let cli = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    cli.put_user(&user("dave", "example.com", "1")).unwrap();
    let seen = wait_until(Duration::from_secs(1), || {
        server.user("dave", "example.com").unwrap().is_some()
    });
    assert!(seen.is_some(), "the server never saw the new user");

    cli.put_user(&user("dave", "example.com", "2")).unwrap();
    let seen = wait_until(Duration::from_secs(1), || {
        server.user("dave", "example.com").unwrap().unwrap().ha1_md5 == "md5-2"
    });
    assert!(seen.is_some(), "the server never saw the new password");

    cli.remove_user("dave", "example.com").unwrap();
    let seen = wait_until(Duration::from_secs(1), || {
        server.user("dave", "example.com").unwrap().is_none()
    });
    assert!(seen.is_some(), "the server never saw the removal");
}

#[test]
fn own_and_foreign_user_writes_mix_without_losing_either() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::default().with_user_refresh_interval(Duration::ZERO);
    let server = SqliteStore::open_at(dir.path(), options, NOW).unwrap();
    let cli = SqliteStore::open_at(dir.path(), StoreOptions::default(), NOW).unwrap();
    cli.put_user(&user("erin", "example.com", "1")).unwrap();
    server.put_user(&user("frank", "example.com", "1")).unwrap();
    // With no refresh interval, the next lookup checks the file.
    assert!(server.user("erin", "example.com").unwrap().is_some());
    assert!(server.user("frank", "example.com").unwrap().is_some());
}
