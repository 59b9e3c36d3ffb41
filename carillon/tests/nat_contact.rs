//! A UDP phone behind NAT registers a Contact with its private address (10.0.0.99, unreachable
//! here): requests for it must go to the address its REGISTER came from, which is the only
//! address through which it can be reached, and so must in-dialog requests addressed to that
//! private Contact.

#![allow(clippy::unwrap_used)]

mod common;

use common::client::{DOMAIN, PROMPT, Ua, ruri, text};
use common::{Server, TempDir};

const PRIVATE: &str = "sip:bob@10.0.0.99:5060";

#[test]
fn call_to_user_behind_nat_reaches_the_registration_source_not_the_private_contact() {
    let dir = TempDir::new("nat_contact");
    let server = Server::start(dir.path());
    server.add_user("bob@127.0.0.1", "bob-secret");
    server.add_user("alice@127.0.0.1", "alice-secret");

    let mut bob = Ua::udp(server.port, "bob", "bob-secret");
    bob.advertised = Some(PRIVATE.to_owned());
    bob.register_ok(&[&format!("<{PRIVATE}>")], Some(600));
    let listing = server.cli(&["registrations"]);
    let line = listing
        .lines()
        .find(|l| l.starts_with(&format!("sip:bob@{DOMAIN} ")))
        .unwrap_or_else(|| panic!("bob not registered:\n{listing}"));
    assert!(line.contains(PRIVATE), "{line}");
    assert!(
        line.contains(&format!("from udp:{}", bob.local)),
        "the binding does not record where the REGISTER came from: {line}"
    );

    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let bob_aor = bob.aor();
    let invite = alice.call(&bob_aor);

    let got = bob.expect_request("INVITE", PROMPT, "at the registration source");
    assert_eq!(
        ruri(&got),
        PRIVATE,
        "the Request-URI must be the registered Contact"
    );
    assert_eq!(got.from, server_addr(&server), "INVITE not from the server");
    bob.respond(&got, 180, "Ringing");
    bob.respond(&got, 200, "OK");
    let ok = alice
        .final_response(&invite, PROMPT)
        .expect("the caller gets the callee's 200");
    assert_eq!(ok.status(), 200, "{}", text(&ok));

    // In-dialog requests are addressed to the private Contact of the 200: the server must
    // still deliver them to where bob registered from.
    let ack = alice.ack_2xx(&invite, &ok);
    assert_eq!(ack.uri, PRIVATE);
    let got_ack = bob.expect_request("ACK", PROMPT, "ACK for the 2xx, to the NAT address");
    assert_eq!(ruri(&got_ack), PRIVATE);

    let bye = alice.in_dialog(&invite, &ok, "BYE");
    alice.send(&bye);
    let got_bye = bob.expect_request("BYE", PROMPT, "BYE to the NAT address");
    bob.respond(&got_bye, 200, "OK");
    let bye_ok = alice
        .final_response(&bye, PROMPT)
        .expect("the caller gets the 200 to BYE");
    assert_eq!(bye_ok.status(), 200, "{}", text(&bye_ok));
}

fn server_addr(server: &Server) -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], server.port))
}
