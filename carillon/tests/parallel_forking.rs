//! Parallel forking (RFC 3261 §16.7 step 10): a user registered at two contacts of equal
//! q-value gets the INVITE at both at once; when one answers 200 the caller gets that 200 and
//! the other is cancelled (CANCEL, then its 487 is acknowledged by the proxy).

#![allow(clippy::unwrap_used)]

mod common;

use common::client::{PROMPT, Ua, ruri, text};
use common::{Server, TempDir};

#[test]
fn invite_rings_equal_q_contacts_together_and_cancels_the_loser() {
    let dir = TempDir::new("parallel_forking");
    let server = Server::start(dir.path());
    server.add_user("bob@127.0.0.1", "bob-secret");
    server.add_user("alice@127.0.0.1", "alice-secret");

    let mut desk = Ua::udp(server.port, "bob", "bob-secret");
    desk.register_ok(&[&format!("<{}>", desk.own_contact())], Some(600));
    let mut mobile = Ua::udp(server.port, "bob", "bob-secret");
    mobile.register_ok(&[&format!("<{}>", mobile.own_contact())], Some(600));

    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let bob = desk.aor();
    let invite = alice.call(&bob);

    // Both ring before either answers.
    let at_desk = desk.expect_request("INVITE", PROMPT, "the first contact rings");
    let at_mobile = mobile.expect_request("INVITE", PROMPT, "the second contact rings too");
    assert_eq!(ruri(&at_desk), desk.own_contact());
    assert_eq!(ruri(&at_mobile), mobile.own_contact());
    desk.respond(&at_desk, 180, "Ringing");
    mobile.respond(&at_mobile, 180, "Ringing");

    desk.respond(&at_desk, 200, "OK");
    let answer = alice.final_response(&invite, PROMPT).expect("an answer");
    assert_eq!(answer.status(), 200, "{}", text(&answer));

    let cancel = mobile.expect_request("CANCEL", PROMPT, "the ringing loser is cancelled");
    assert_eq!(
        cancel.request().via().unwrap().branch(),
        at_mobile.request().via().unwrap().branch(),
        "the CANCEL must name the INVITE's branch"
    );
    mobile.respond(&cancel, 200, "OK");
    mobile.respond(&at_mobile, 487, "Request Terminated");
    mobile.expect_request("ACK", PROMPT, "the proxy acknowledges the 487");

    alice.ack_2xx(&invite, &answer);
    desk.expect_request("ACK", PROMPT, "the caller's ACK reaches the winner");
    // The 487 stays between proxy and loser: the caller's only final answer was the 200.
    assert!(
        alice
            .final_response(&invite, std::time::Duration::from_millis(300))
            .is_none_or(|r| r.status() == 200),
        "the caller got a second, different final answer"
    );
}
