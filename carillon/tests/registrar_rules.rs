//! RFC 3261 §10.3 registrar rules, through the running server with digest authentication:
//! the minimum and maximum registration time, removing every binding with `Contact: *`, and
//! refusing an out-of-order REGISTER (same Call-ID, lower CSeq) without changing anything.

#![allow(clippy::unwrap_used)]

mod common;

use common::client::{DOMAIN, Ua, text};
use common::{Server, TempDir};
use sip_message::HeaderName;

fn server(tag: &str) -> (TempDir, Server, Ua) {
    let dir = TempDir::new(tag);
    let server = Server::start(dir.path());
    server.add_user("bob@127.0.0.1", "bob-secret");
    let bob = Ua::udp(server.port, "bob", "bob-secret");
    (dir, server, bob)
}

/// The contacts `carillon registrations` lists for bob, and the count it announces.
fn bob_contacts(server: &Server) -> (usize, Vec<String>) {
    let listing = server.cli(&["registrations"]);
    let count = listing
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in:\n{listing}"));
    let contacts = listing
        .lines()
        .filter(|l| l.starts_with(&format!("sip:bob@{DOMAIN} ")))
        .map(str::to_owned)
        .collect();
    (count, contacts)
}

#[test]
fn register_shorter_than_min_expires_gets_423_with_min_expires() {
    let (_dir, server, mut bob) = server("registrar_423");
    let contact = format!("<{}>", bob.own_contact());
    let r = bob.register(&[&contact], Some(10));
    assert_eq!(r.status(), 423, "{}", text(&r));
    assert_eq!(
        r.headers()
            .get_str(HeaderName::MinExpires)
            .map(Result::unwrap),
        Some("60")
    );

    // The same through the Contact's expires parameter.
    let r = bob.register(&[&format!("{contact};expires=10")], None);
    assert_eq!(r.status(), 423, "{}", text(&r));
    assert_eq!(
        bob_contacts(&server).0,
        0,
        "a refused REGISTER stored a binding"
    );
}

#[test]
fn register_longer_than_max_expires_is_granted_the_maximum() {
    let (_dir, server, mut bob) = server("registrar_max");
    let r = bob.register(&[&format!("<{}>", bob.own_contact())], Some(86_400));
    assert_eq!(r.status(), 200, "{}", text(&r));
    let granted = r
        .headers()
        .get_str(HeaderName::Contact)
        .expect("Contact in the 200")
        .unwrap()
        .to_owned();
    assert!(granted.contains("expires=3600"), "{granted}");
    let (_, contacts) = bob_contacts(&server);
    assert!(
        contacts[0].contains("expires in 3600 s") || contacts[0].contains("expires in 3599 s"),
        "{contacts:?}"
    );
}

#[test]
fn wildcard_contact_with_expires_zero_removes_every_binding() {
    let (_dir, server, mut bob) = server("registrar_wildcard");
    bob.register_ok(
        &["<sip:bob@127.0.0.1:40001>", "<sip:bob@127.0.0.1:40002>"],
        Some(600),
    );
    assert_eq!(bob_contacts(&server).0, 2);

    let r = bob.register(&["*"], Some(0));
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert!(
        r.headers().get(HeaderName::Contact).is_none(),
        "the 200 still lists contacts:\n{}",
        text(&r)
    );
    let (count, contacts) = bob_contacts(&server);
    assert_eq!(count, 0, "{contacts:?}");
}

#[test]
fn register_with_same_call_id_and_lower_cseq_is_refused_500_and_changes_nothing() {
    let (_dir, server, mut bob) = server("registrar_cseq");
    let first = "<sip:bob@127.0.0.1:40001>";
    let mut req = bob.register_request().header("Contact", first);
    req.cseq = 100;
    let (sent, r) = bob.send_authenticated(req.header("Expires", "600"));
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert!(sent.cseq > 100);
    let (_, before) = bob_contacts(&server);
    assert_eq!(before.len(), 1);

    // Same Call-ID, lower CSeq: tries to remove the first contact and add another.
    let mut late = bob
        .register_request()
        .header("Contact", format!("{first};expires=0"))
        .header("Contact", "<sip:bob@127.0.0.1:40002>");
    late.call_id = sent.call_id.clone();
    late.cseq = 49;
    let late = bob.authorize(&late);
    assert_eq!(late.cseq, 50);
    bob.send(&late);
    let r = bob
        .final_response(&late, common::client::PROMPT)
        .expect("an answer");
    assert_eq!(r.status(), 500, "{}", text(&r));

    let (count, after) = bob_contacts(&server);
    assert_eq!(count, 1, "{after:?}");
    assert!(after[0].contains("sip:bob@127.0.0.1:40001"), "{after:?}");
}
