//! MESSAGE store and forward (RFC 3428): a MESSAGE for a user of ours who is not registered
//! is answered 202 once it is on disk, survives a `kill -9` of the server, and reaches the
//! user, body byte for byte, when the user registers; delivered messages are not sent again.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::client::{PROMPT, Ua, text};
use common::{Server, TempDir};

#[test]
fn message_for_unregistered_user_is_kept_across_kill_9_and_delivered_on_register() {
    let dir = TempDir::new("offline_messages");
    let mut server = Server::start(dir.path());
    server.add_user("alice@127.0.0.1", "alice-secret");
    server.add_user("bob@127.0.0.1", "bob-secret");

    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let bob_aor = "sip:bob@127.0.0.1".to_owned();
    let bodies = ["first: héllo", "second\r\nwith a line break"];
    for body in bodies {
        let m = alice
            .request("MESSAGE", &bob_aor, &bob_aor)
            .header("Content-Type", "text/plain;charset=UTF-8")
            .body(body);
        let (_, resp) = alice.send_authenticated(m);
        assert_eq!(resp.status(), 202, "{}", text(&resp));
    }
    assert_eq!(server.metric("carillon_messages_stored_total"), Some(2.0));

    // 202 means on disk: a crash right after loses nothing.
    server.crash_and_restart();

    let mut bob = Ua::udp(server.port, "bob", "bob-secret");
    let contact = format!("<{}>", bob.own_contact());
    bob.register_ok(&[&contact], Some(600));
    for body in bodies {
        let got = bob.expect_request("MESSAGE", PROMPT, "a kept message after registering");
        assert_eq!(got.request().body().as_ref(), body.as_bytes());
        let from = got.request().from().unwrap();
        assert_eq!(from.0.uri().user(), Some("alice"));
        bob.respond(&got, 200, "OK");
    }
    assert!(
        common::client::poll(Duration::from_secs(3), || {
            (server.metric("carillon_messages_delivered_total") == Some(2.0)).then_some(())
        })
        .is_some(),
        "deliveries not counted"
    );

    // Delivered means forgotten: a new registration gets nothing more.
    bob.register_ok(&[&contact], Some(600));
    assert!(
        bob.wait_request("MESSAGE", Duration::from_millis(700))
            .is_none(),
        "a delivered message came again"
    );
}

#[test]
fn message_refused_by_the_recipient_is_kept_for_the_next_registration() {
    let dir = TempDir::new("offline_messages_refused");
    let server = Server::start(dir.path());
    server.add_user("alice@127.0.0.1", "alice-secret");
    server.add_user("bob@127.0.0.1", "bob-secret");
    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let bob_aor = "sip:bob@127.0.0.1".to_owned();
    let m = alice
        .request("MESSAGE", &bob_aor, &bob_aor)
        .header("Content-Type", "text/plain")
        .body("are you there?");
    assert_eq!(alice.send_authenticated(m).1.status(), 202);

    let mut bob = Ua::udp(server.port, "bob", "bob-secret");
    let contact = format!("<{}>", bob.own_contact());
    bob.register_ok(&[&contact], Some(600));
    let got = bob.expect_request("MESSAGE", PROMPT, "the kept message");
    bob.respond(&got, 486, "Busy Here");
    // Registering again brings it back.
    std::thread::sleep(Duration::from_millis(200));
    bob.register_ok(&[&contact], Some(600));
    let again = bob.expect_request("MESSAGE", PROMPT, "the refused message again");
    assert_eq!(again.request().body().as_ref(), b"are you there?");
    bob.respond(&again, 200, "OK");
}
