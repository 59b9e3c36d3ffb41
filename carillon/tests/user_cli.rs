//! The user administration commands on a data directory: `user add` (password from
//! `--password` or standard input), `user list`, `user remove` (which takes the user's
//! registrations with it) and `user import`; passwords set this way are the ones the running
//! server checks digests against.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::client::{PROMPT, Ua, poll, text};
use common::{CARILLON, Server, TempDir, cli};

/// Runs `carillon --data DATA ARGS` with `stdin` piped in; returns everything.
fn run(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(CARILLON)
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run carillon");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn user_add_list_update_and_remove() {
    let dir = TempDir::new("user_cli_basic");
    let data = dir.path().join("data");
    assert_eq!(
        cli(
            &data,
            &["user", "add", "alice@Example.COM", "--password", "a"]
        )
        .trim(),
        "added alice@example.com"
    );
    cli(
        &data,
        &["user", "add", "sip:bob@127.0.0.1", "--password", "b"],
    );
    assert_eq!(
        cli(&data, &["user", "list"]),
        "bob@127.0.0.1\nalice@example.com\n"
    );
    assert_eq!(
        cli(
            &data,
            &["user", "add", "alice@example.com", "--password", "new"]
        )
        .trim(),
        "updated alice@example.com"
    );
    assert_eq!(
        cli(&data, &["user", "remove", "alice@example.com"]).trim(),
        "removed alice@example.com"
    );
    assert_eq!(cli(&data, &["user", "list"]), "bob@127.0.0.1\n");

    let again = run(&data, &["user", "remove", "alice@example.com"], "");
    assert!(!again.status.success(), "removing a missing user succeeded");
    assert!(
        stderr(&again).contains("no user alice@example.com"),
        "{}",
        stderr(&again)
    );
    let bad = run(&data, &["user", "add", "no-domain", "--password", "x"], "");
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("not user@domain"), "{}", stderr(&bad));
}

#[test]
fn user_add_reads_the_password_from_standard_input_without_the_flag() {
    let dir = TempDir::new("user_cli_stdin");
    let data = dir.path().join("data");
    let out = run(&data, &["user", "add", "carol@127.0.0.1"], "from-stdin\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "added carol@127.0.0.1"
    );
    let empty = run(&data, &["user", "add", "dave@127.0.0.1"], "\n");
    assert!(!empty.status.success(), "an empty password was accepted");

    // The password the server checks is the one read, without its line ending.
    let server = Server::start(dir.path());
    let mut wrong = Ua::udp(server.port, "carol", "from-stdin\n");
    let contact = format!("<{}>", wrong.own_contact());
    let r = wrong.register(&[&contact], Some(600));
    assert_eq!(r.status(), 401, "{}", text(&r));
    let mut carol = Ua::udp(server.port, "carol", "from-stdin");
    carol.register_ok(&[&format!("<{}>", carol.own_contact())], Some(600));
}

#[test]
fn user_import_adds_and_updates_users_from_a_file() {
    let dir = TempDir::new("user_cli_import");
    let data = dir.path().join("data");
    let file = dir.path().join("users.txt");
    std::fs::write(
        &file,
        "# our users\nerin@127.0.0.1 erin-1\n\nfrank@127.0.0.1   frank-1\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    assert_eq!(
        cli(&data, &["user", "import", path]).trim(),
        "2 added, 0 updated"
    );
    std::fs::write(
        &file,
        "erin@127.0.0.1 erin-2\nfrank@127.0.0.1 frank-2\ngina@127.0.0.1 gina-1\n",
    )
    .unwrap();
    assert_eq!(
        cli(&data, &["user", "import", path]).trim(),
        "1 added, 2 updated"
    );
    assert_eq!(
        cli(&data, &["user", "list"]),
        "erin@127.0.0.1\nfrank@127.0.0.1\ngina@127.0.0.1\n"
    );

    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "henry@127.0.0.1 h\nonly-a-name\n").unwrap();
    let out = run(&data, &["user", "import", bad.to_str().unwrap()], "");
    assert!(!out.status.success(), "a malformed file was imported");
    assert!(
        stderr(&out).contains(&format!("{}:2", bad.display())),
        "{}",
        stderr(&out)
    );
    assert!(
        !cli(&data, &["user", "list"]).contains("henry"),
        "a failed import added users"
    );

    let server = Server::start(dir.path());
    let mut erin = Ua::udp(server.port, "erin", "erin-2");
    erin.register_ok(&[&format!("<{}>", erin.own_contact())], Some(600));
}

/// A server with alice, and bob registered from his own socket.
fn with_registered_bob(tag: &str) -> (TempDir, Server, Ua) {
    let dir = TempDir::new(tag);
    let server = Server::start(dir.path());
    server.add_user("alice@127.0.0.1", "alice-secret");
    server.add_user("bob@127.0.0.1", "bob-secret");
    let mut bob = Ua::udp(server.port, "bob", "bob-secret");
    bob.register_ok(&[&format!("<{}>", bob.own_contact())], Some(600));
    assert!(
        server
            .cli(&["registrations"])
            .starts_with("1 registered contact(s)")
    );
    (dir, server, bob)
}

#[test]
fn user_remove_also_removes_the_users_bindings() {
    let (_dir, server, mut bob) = with_registered_bob("user_cli_remove");
    assert_eq!(
        server.cli(&["user", "remove", "bob@127.0.0.1"]).trim(),
        "removed bob@127.0.0.1"
    );
    let listing = server.cli(&["registrations"]);
    assert!(listing.starts_with("0 registered contact(s)"), "{listing}");

    // The running server stops routing to him (it re-reads users every 200 ms).
    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let target = bob.aor();
    let status = poll(Duration::from_secs(3), || {
        let m = alice.request("MESSAGE", &target, &target);
        let m = alice.authorize(&m);
        alice.send(&m);
        if let Some(got) = bob.wait_request("MESSAGE", Duration::from_millis(100)) {
            bob.respond(&got, 200, "OK");
        }
        let r = alice.final_response(&m, PROMPT).expect("an answer");
        (r.status() != 200).then_some(r.status())
    });
    assert_eq!(status, Some(404), "a removed user is still reachable");
}

#[test]
fn running_server_forgets_the_bindings_of_a_removed_user() {
    let (_dir, server, old) = with_registered_bob("user_cli_remove_live");
    server.cli(&["user", "remove", "bob@127.0.0.1"]);
    server.cli(&["user", "add", "bob@127.0.0.1", "--password", "new-secret"]);

    // Bob comes back on another phone once the server has re-read its users.
    let mut phone = Ua::udp(server.port, "bob", "new-secret");
    let contact = format!("<{}>", phone.own_contact());
    let registered = poll(Duration::from_secs(3), || {
        (phone.register(&[&contact], Some(600)).status() == 200).then_some(())
    });
    assert!(registered.is_some(), "the re-added user cannot register");

    let listing = server.cli(&["registrations"]);
    assert!(
        listing.starts_with("1 registered contact(s)"),
        "the removed binding came back:\n{listing}"
    );
    assert!(listing.contains(&phone.own_contact()), "{listing}");
    assert!(!listing.contains(&old.own_contact()), "{listing}");
    assert_eq!(server.metric("carillon_registered_contacts"), Some(1.0));
}
