//! Operating the binary: SIGTERM stops the server cleanly and quickly without losing
//! registrations, and `carillon config check` tells a good file from a bad one, naming the
//! file, line and key of the problem.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::client::{DOMAIN, PROMPT, Ua, text};
use common::{CARILLON, Server, TempDir};

const PRIVATE: &str = "sip:bob@10.0.0.99:5060";

/// A server with bob registered (from a UDP socket, with a private Contact) and alice.
fn served(tag: &str) -> (TempDir, Server, Ua) {
    let dir = TempDir::new(tag);
    let server = Server::start(dir.path());
    server.add_user("bob@127.0.0.1", "bob-secret");
    server.add_user("alice@127.0.0.1", "alice-secret");
    let mut bob = Ua::udp(server.port, "bob", "bob-secret");
    bob.register_ok(&[&format!("<{PRIVATE}>")], Some(600));
    (dir, server, bob)
}

#[test]
fn sigterm_exits_zero_within_a_few_seconds_after_serving_requests() {
    let (_dir, mut server, _bob) = served("shutdown_sigterm");
    let asked = Instant::now();
    let status = server.terminate();
    let took = asked.elapsed();
    println!("SIGTERM to exit: {took:.2?}");
    let status = status.unwrap_or_else(|| panic!("still running after SIGTERM: killed"));
    assert!(
        status.success(),
        "exit status {status}\n{}",
        server.proc.output()
    );
    assert!(
        took < Duration::from_secs(5),
        "took {took:?} to stop with no request awaiting an answer"
    );
}

#[test]
fn bindings_registered_before_sigterm_are_there_after_a_restart() {
    let (dir, mut server, mut bob) = served("shutdown_restart");
    let status = server.terminate();
    let status = status.unwrap_or_else(|| panic!("still running after SIGTERM: killed"));
    assert!(
        status.success(),
        "exit status {status}\n{}",
        server.proc.output()
    );

    // A new process on the same data directory (and new ports) has the binding and routes
    // to where it was registered from.
    let restarted = Server::start(dir.path());
    let listing = restarted.cli(&["registrations"]);
    let line = listing
        .lines()
        .find(|l| l.starts_with(&format!("sip:bob@{DOMAIN} ")))
        .unwrap_or_else(|| panic!("bob's binding lost:\n{listing}"));
    assert!(
        line.contains(PRIVATE) && line.contains(&format!("from udp:{}", bob.local)),
        "{line}"
    );
    let mut alice = Ua::udp(restarted.port, "alice", "alice-secret");
    let target = bob.aor();
    let m = alice.request("MESSAGE", &target, &target);
    let m = alice.authorize(&m);
    alice.send(&m);
    let got = bob.expect_request("MESSAGE", PROMPT, "routed by the restored binding");
    bob.respond(&got, 200, "OK");
    let r = alice.final_response(&m, PROMPT).expect("an answer");
    assert_eq!(r.status(), 200, "{}", text(&r));
}

fn carillon(args: &[&str], dir: &Path) -> Output {
    Command::new(CARILLON)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run carillon")
}

#[test]
fn config_check_names_the_file_line_and_key_of_an_unknown_key() {
    let dir = TempDir::new("shutdown_config_bad");
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[server]\ndomains = [\"example.com\"]\ncolour = \"blue\"\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();

    let out = carillon(&["config", "check", path], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted: {stderr}");
    assert!(stderr.contains(path), "file not named: {stderr}");
    assert!(
        stderr.contains(&format!("{path}:3")),
        "line not named: {stderr}"
    );
    assert!(stderr.contains("colour"), "key not named: {stderr}");

    // `serve` refuses the same file before opening anything.
    let out = carillon(
        &[
            "--data",
            "data",
            "--config",
            path,
            "serve",
            "--listen",
            "127.0.0.1:0",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "served with a bad file: {stderr}");
    assert!(stderr.contains("colour"), "{stderr}");
}

#[test]
fn config_check_accepts_a_valid_file_and_the_example() {
    let dir = TempDir::new("shutdown_config_ok");
    let file = dir.path().join("good.toml");
    std::fs::write(
        &file,
        "[registrar]\nmin_expires = 30\n\n[nat]\nkeepalive_interval = 1\n\n[auth]\ntrusted = [\"10.0.0.0/8\"]\n",
    )
    .unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../carillon.example.toml");
    for f in [file.as_path(), example.as_path()] {
        let path = f.to_str().unwrap();
        let out = carillon(&["config", "check", path], dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{path} refused: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stdout.trim(), format!("{path}: ok"));
    }
}
