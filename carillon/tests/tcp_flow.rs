//! A phone registered over TCP is reached on the connection it registered on (RFC 5626-style
//! flow reuse), not by dialling its Contact, which names a port where nothing listens (a
//! phone behind NAT or a firewall cannot accept connections). Once that connection is gone,
//! the server falls back to the Contact URI, and the caller still gets a final answer.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::client::{DOMAIN, PROMPT, Ua, ruri, text};
use common::{Server, TempDir, free_port};

/// Timer F (64·T1) plus margin: the longest a proxy may take to answer a request whose only
/// target never answers.
const TIMER_F: Duration = Duration::from_secs(35);

/// A server with bob registered over TCP (Contact on a dead port) and alice on UDP.
fn setup(tag: &str) -> (TempDir, Server, Ua, Ua, String) {
    let dir = TempDir::new(tag);
    let server = Server::start(dir.path());
    server.add_user("bob@127.0.0.1", "bob-secret");
    server.add_user("alice@127.0.0.1", "alice-secret");
    let dead = free_port();
    let contact = format!("sip:bob@127.0.0.1:{dead};transport=tcp");
    let mut bob = Ua::tcp(server.port, "bob", "bob-secret");
    bob.register_ok(&[&format!("<{contact}>")], Some(600));
    let listing = server.cli(&["registrations"]);
    let line = listing
        .lines()
        .find(|l| l.starts_with(&format!("sip:bob@{DOMAIN} ")))
        .unwrap_or_else(|| panic!("bob not registered:\n{listing}"));
    assert!(
        line.contains(&format!("from tcp:{}", bob.local)),
        "the binding does not record the TCP source: {line}"
    );
    let alice = Ua::udp(server.port, "alice", "alice-secret");
    (dir, server, bob, alice, contact)
}

#[test]
fn request_for_tcp_user_arrives_on_the_connection_it_registered_on() {
    let (_dir, _server, mut bob, mut alice, contact) = setup("tcp_flow_reuse");
    let bob_aor = bob.aor();
    let mut message = alice
        .request("MESSAGE", &bob_aor, &bob_aor)
        .header("Content-Type", "text/plain");
    message.body = "over your own connection".into();
    let message = alice.authorize(&message);
    alice.send(&message);

    let got = bob.expect_request("MESSAGE", PROMPT, "on bob's registration connection");
    assert_eq!(ruri(&got), contact, "the Request-URI must be the Contact");
    assert_eq!(&got.request().body()[..], b"over your own connection");
    bob.respond(&got, 200, "OK");
    let ok = alice
        .final_response(&message, PROMPT)
        .expect("the caller gets bob's 200");
    assert_eq!(ok.status(), 200, "{}", text(&ok));
}

#[test]
fn after_the_registration_connection_closes_the_caller_still_gets_a_final_response() {
    let (_dir, _server, mut bob, mut alice, _contact) = setup("tcp_flow_closed");
    bob.close();
    let bob_aor = bob.aor();
    let message = alice.request("MESSAGE", &bob_aor, &bob_aor);
    // The challenge round trip gives the server time to see the connection close.
    let message = alice.authorize(&message);
    let sent = Instant::now();
    alice.send(&message);
    let answer = alice.final_response(&message, TIMER_F).unwrap_or_else(|| {
        panic!("no final response within {TIMER_F:?} once bob's connection closed")
    });
    let took = sent.elapsed();
    println!(
        "connection gone, Contact refuses connections: {} {} after {took:.2?}",
        answer.status(),
        String::from_utf8_lossy(answer.reason())
    );
    assert!(
        matches!(answer.status(), 408 | 480 | 500..=599),
        "unexpected answer:\n{}",
        text(&answer)
    );
}
