//! Serial forking by q-value (RFC 3261 §16.6, RFC 3261 §20.10): a user registered at two
//! contacts with q=1.0 and q=0.5 is tried at the preferred one first; only when it refuses
//! (486 Busy Here) does the other get the INVITE, and the caller sees the answer of the one
//! that took the call.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::client::{PROMPT, Ua, ruri, text};
use common::{Server, TempDir};

#[test]
fn invite_tries_the_higher_q_contact_first_then_the_lower_one() {
    let dir = TempDir::new("serial_forking");
    let server = Server::start(dir.path());
    server.add_user("bob@127.0.0.1", "bob-secret");
    server.add_user("alice@127.0.0.1", "alice-secret");

    // Each phone registers from its own socket, so each binding has its own source.
    let mut desk = Ua::udp(server.port, "bob", "bob-secret");
    desk.register_ok(&[&format!("<{}>;q=1.0", desk.own_contact())], Some(600));
    let mut mobile = Ua::udp(server.port, "bob", "bob-secret");
    mobile.register_ok(&[&format!("<{}>;q=0.5", mobile.own_contact())], Some(600));

    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let bob = desk.aor();
    let invite = alice.call(&bob);

    let first = desk.expect_request("INVITE", PROMPT, "the q=1.0 contact is tried first");
    assert_eq!(ruri(&first), desk.own_contact());
    assert!(
        mobile
            .wait_request("INVITE", Duration::from_millis(300))
            .is_none(),
        "the q=0.5 contact was tried while the q=1.0 one had not answered"
    );
    desk.respond(&first, 180, "Ringing");
    desk.respond(&first, 486, "Busy Here");
    desk.expect_request("ACK", PROMPT, "the proxy acknowledges the 486");

    let second = mobile.expect_request("INVITE", PROMPT, "the q=0.5 contact after the 486");
    assert_eq!(ruri(&second), mobile.own_contact());
    mobile.respond(&second, 180, "Ringing");
    mobile.respond(&second, 200, "OK");

    let answer = alice.final_response(&invite, PROMPT).expect("an answer");
    assert_eq!(answer.status(), 200, "{}", text(&answer));
    alice.ack_2xx(&invite, &answer);
    mobile.expect_request("ACK", PROMPT, "the caller's ACK for the 200");
}
