//! The server is never an open relay and never lends out its users' identities: anonymous
//! requests between other domains are refused, requests claiming one of our domains must
//! carry digest credentials of the very user they claim, answers do not tell unknown users
//! from wrong passwords, and only configured trusted peers skip all this.
//!
//! "Another domain's host" is 127.0.0.2 (any 127/8 address is loopback): the server does not
//! serve it, and a socket there sees whatever the server would forward. The suite runs in a
//! namespace with only loopback, so requests naming example.net cannot leave the machine.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::client::{PROMPT, Req, Ua, text, unique};
use common::{Server, TempDir};
use sip_message::{HeaderName, Response};

/// How long a target listens to be sure nothing was forwarded after the refusal came back
/// (forwarding would have happened before any answer).
const SILENCE: Duration = Duration::from_millis(300);

/// A MESSAGE from `from` (an address of record) to `target`.
fn message(ua: &Ua, from: &str, target: &str) -> Req {
    let mut r = ua.request("MESSAGE", target, target);
    r.from = format!("<{from}>;tag={}", unique());
    r.body = "hello".into();
    r.header("Content-Type", "text/plain")
}

fn final_of(ua: &mut Ua, req: &Req) -> Response {
    ua.send(req);
    ua.final_response(req, PROMPT)
        .unwrap_or_else(|| panic!("no final response to {} {}", req.method, req.uri))
}

/// A server with users alice, bob and carol, bob registered (so requests to him would be
/// forwarded if allowed). Users are added before any request: the server reads new users
/// from the store at most every 200 ms.
fn server_with_bob(dir: &TempDir, extra: &[&str]) -> (Server, Ua) {
    let server = Server::start_with(dir.path(), extra);
    server.add_user("alice@127.0.0.1", "alice-secret");
    server.add_user("bob@127.0.0.1", "bob-secret");
    server.add_user("carol@127.0.0.1", "carol-secret");
    let mut bob = Ua::udp(server.port, "bob", "bob-secret");
    bob.register_ok(&[&format!("<{}>", bob.own_contact())], Some(600));
    (server, bob)
}

#[test]
fn anonymous_request_between_other_domains_is_refused_403_and_not_forwarded() {
    let dir = TempDir::new("open_relay_anon");
    let (server, _bob) = server_with_bob(&dir, &[]);
    let mut stranger = Ua::udp(server.port, "x", "");
    let mut far = Ua::udp_on("127.0.0.2", server.port, "y", "");
    let far_uri = format!("sip:y@{}", far.local);

    for target in ["sip:y@example.net", far_uri.as_str()] {
        let m = message(&stranger, "sip:x@example.org", target);
        let r = final_of(&mut stranger, &m);
        assert_eq!(r.status(), 403, "MESSAGE to {target}:\n{}", text(&r));

        let mut invite = stranger.request("INVITE", target, target);
        invite.from = format!("<sip:x@example.org>;tag={}", unique());
        let invite = invite.header("Contact", format!("<{}>", stranger.own_contact()));
        let r = final_of(&mut stranger, &invite);
        assert_eq!(r.status(), 403, "INVITE to {target}:\n{}", text(&r));
        stranger.ack_non_2xx(&invite, &r);
    }
    assert!(
        far.wait_for(SILENCE, |_| true).is_none(),
        "an anonymous request was relayed to another domain"
    );

    // The same request from an authenticated user of ours does go out: the silence above
    // is the refusal, not an unreachable socket.
    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let m = message(&alice, &alice.aor(), &far_uri);
    let m = alice.authorize(&m);
    alice.send(&m);
    let got = far.expect_request("MESSAGE", PROMPT, "our user's MESSAGE to another domain");
    far.respond(&got, 200, "OK");
    let r = alice.final_response(&m, PROMPT).expect("answer");
    assert_eq!(r.status(), 200, "{}", text(&r));
}

#[test]
fn request_claiming_our_domain_without_credentials_is_challenged_407() {
    let dir = TempDir::new("open_relay_407");
    let (server, mut bob) = server_with_bob(&dir, &[]);
    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let m = message(&alice, &alice.aor(), &bob.aor());
    let r = final_of(&mut alice, &m);
    assert_eq!(r.status(), 407, "{}", text(&r));
    let challenge = r
        .headers()
        .get_str(HeaderName::ProxyAuthenticate)
        .expect("Proxy-Authenticate")
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Digest ") && challenge.contains("realm=\"127.0.0.1\""),
        "{challenge}"
    );
    assert!(
        bob.wait_for(SILENCE, |_| true).is_none(),
        "an unauthenticated request was delivered"
    );
}

#[test]
fn wrong_password_is_challenged_again_and_counted_as_auth_failure() {
    let dir = TempDir::new("open_relay_wrong");
    let (server, mut bob) = server_with_bob(&dir, &[]);
    let before = server.metric("carillon_auth_failures_total").unwrap();
    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let m = message(&alice, &alice.aor(), &bob.aor());
    let challenged = final_of(&mut alice, &m);
    assert_eq!(challenged.status(), 407);
    let wrong = alice.with_credentials(&m, &challenged, "alice", "not-her-password");
    let r = final_of(&mut alice, &wrong);
    assert_eq!(r.status(), 407, "{}", text(&r));
    assert_eq!(
        server.metric("carillon_auth_failures_total").unwrap(),
        before + 1.0
    );
    assert!(
        bob.wait_for(SILENCE, |_| true).is_none(),
        "a request with a wrong password was delivered"
    );
}

/// Status line, header names in order, and challenges with their nonces blanked: everything
/// a client could compare between two answers.
fn shape(r: &Response) -> (String, Vec<String>, Vec<String>) {
    let whole = text(r);
    let status = whole.lines().next().unwrap_or_default().to_owned();
    let names = whole
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split(':').next())
        .map(str::to_owned)
        .collect();
    let challenges = r
        .headers()
        .iter()
        .filter(|h| {
            h.name == HeaderName::ProxyAuthenticate || h.name == HeaderName::WwwAuthenticate
        })
        .map(|h| blank_nonce(&String::from_utf8_lossy(h.value)))
        .collect();
    (status, names, challenges)
}

fn blank_nonce(challenge: &str) -> String {
    let Some(start) = challenge.find("nonce=\"") else {
        return challenge.to_owned();
    };
    let value = start + "nonce=\"".len();
    let end = challenge[value..]
        .find('"')
        .map_or(challenge.len(), |e| value + e);
    format!("{}*{}", &challenge[..value], &challenge[end..])
}

#[test]
fn unknown_user_and_wrong_password_get_identical_answers() {
    let dir = TempDir::new("open_relay_enum");
    let (server, bob) = server_with_bob(&dir, &[]);
    let before = server.metric("carillon_auth_failures_total").unwrap();
    let mut ua = Ua::udp(server.port, "alice", "alice-secret");

    // Requests through the proxy (407).
    let mut answers = Vec::new();
    for (user, password) in [("alice", "wrong"), ("nobody", "wrong")] {
        let m = message(&ua, &format!("sip:{user}@127.0.0.1"), &bob.aor());
        let challenged = final_of(&mut ua, &m);
        let bad = ua.with_credentials(&m, &challenged, user, password);
        answers.push(final_of(&mut ua, &bad));
    }
    assert_eq!(answers[0].status(), 407, "{}", text(&answers[0]));
    assert_eq!(
        shape(&answers[0]),
        shape(&answers[1]),
        "wrong password:\n{}\nunknown user:\n{}",
        text(&answers[0]),
        text(&answers[1])
    );

    // REGISTER (401).
    let mut answers = Vec::new();
    for (user, password) in [("alice", "wrong"), ("nobody", "wrong")] {
        let mut reg = Ua::udp(server.port, user, password);
        let contact = format!("<{}>", reg.own_contact());
        let r = reg.register(&[&contact], Some(600));
        answers.push(r);
    }
    assert_eq!(answers[0].status(), 401, "{}", text(&answers[0]));
    assert_eq!(
        shape(&answers[0]),
        shape(&answers[1]),
        "wrong password:\n{}\nunknown user:\n{}",
        text(&answers[0]),
        text(&answers[1])
    );
    assert_eq!(
        server.metric("carillon_auth_failures_total").unwrap(),
        before + 4.0,
        "each failed credential counts once"
    );
}

#[test]
fn user_authenticated_as_alice_sending_as_bob_is_forbidden_403() {
    let dir = TempDir::new("open_relay_impersonation");
    let (server, bob) = server_with_bob(&dir, &[]);
    let mut carol = Ua::udp(server.port, "carol", "carol-secret");
    carol.register_ok(&[&format!("<{}>", carol.own_contact())], Some(600));

    let mut alice = Ua::udp(server.port, "alice", "alice-secret");
    let m = message(&alice, &bob.aor(), &carol.aor());
    let challenged = final_of(&mut alice, &m);
    assert_eq!(challenged.status(), 407, "{}", text(&challenged));
    let as_alice = alice.with_credentials(&m, &challenged, "alice", "alice-secret");
    let r = final_of(&mut alice, &as_alice);
    assert_eq!(r.status(), 403, "{}", text(&r));
    assert!(
        carol.wait_for(SILENCE, |_| true).is_none(),
        "a request with a borrowed identity was delivered"
    );
}

#[test]
fn trusted_peer_is_not_challenged_and_may_call_out() {
    let dir = TempDir::new("open_relay_trusted");
    let config = dir.path().join("carillon.toml");
    std::fs::write(&config, "[auth]\ntrusted = [\"127.0.0.1\"]\n").unwrap();
    let (server, mut bob) = server_with_bob(&dir, &["--config", config.to_str().unwrap()]);
    let mut gateway = Ua::udp(server.port, "gw", "");

    // Claiming one of our users, without credentials: delivered.
    let m = message(&gateway, "sip:alice@127.0.0.1", &bob.aor());
    gateway.send(&m);
    let got = bob.expect_request("MESSAGE", PROMPT, "from the trusted peer");
    bob.respond(&got, 200, "OK");
    let r = gateway.final_response(&m, PROMPT).expect("answer");
    assert_eq!(r.status(), 200, "{}", text(&r));

    // From another domain to another domain: relayed for a trusted peer.
    let mut far = Ua::udp_on("127.0.0.2", server.port, "y", "");
    let far_uri = format!("sip:y@{}", far.local);
    let m = message(&gateway, "sip:x@example.org", &far_uri);
    gateway.send(&m);
    let got = far.expect_request("MESSAGE", PROMPT, "relayed for the trusted peer");
    far.respond(&got, 200, "OK");
    let r = gateway.final_response(&m, PROMPT).expect("answer");
    assert_eq!(r.status(), 200, "{}", text(&r));
}
