//! NAT keep-alives: with `[nat] keepalive_interval = 1`, a phone registered over UDP gets
//! OPTIONS requests at the address its REGISTER came from, every interval, so the NAT
//! binding in front of it stays open.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::client::{Ua, ruri};
use common::{Server, TempDir};

const PRIVATE: &str = "sip:bob@10.0.0.99:5060";

#[test]
fn registered_udp_contact_gets_options_keepalives_at_its_source_address() {
    let dir = TempDir::new("keepalive");
    let config = dir.path().join("carillon.toml");
    std::fs::write(&config, "[nat]\nkeepalive_interval = 1\n").unwrap();
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]);
    server.add_user("bob@127.0.0.1", "bob-secret");

    let mut bob = Ua::udp(server.port, "bob", "bob-secret");
    bob.register_ok(&[&format!("<{PRIVATE}>")], Some(600));
    let registered = Instant::now();

    let mut arrivals = Vec::new();
    for n in 1..=2 {
        let ka = bob.expect_request(
            "OPTIONS",
            Duration::from_secs(4),
            &format!("keep-alive number {n} at the registration source"),
        );
        arrivals.push(registered.elapsed());
        assert_eq!(
            ruri(&ka),
            PRIVATE,
            "keep-alive not addressed to the contact"
        );
        assert_eq!(
            ka.from.port(),
            server.port,
            "keep-alive not sent from the SIP port"
        );
        bob.respond(&ka, 200, "OK");
    }
    println!("keep-alives after {arrivals:.2?}");
    assert!(
        arrivals[1] - arrivals[0] >= Duration::from_millis(500),
        "keep-alives closer than the interval: {arrivals:?}"
    );
}
