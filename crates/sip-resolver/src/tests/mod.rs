//! The RFC 3263 ordering rules, caching and failover, driven synchronously through
//! [`StaticDns`] on a fake clock.

mod lifecycle;
mod ordering;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use sip_message::Uri;
use sip_transaction::Transport::{self, Tcp, Tls, Udp, Wss};

use crate::*;

fn v4(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

fn locator() -> Locator<SequenceRng> {
    locator_with(Config::default())
}

fn locator_with(config: Config) -> Locator<SequenceRng> {
    Locator::with_rng(config, SequenceRng::new([0]))
}

/// Resolves with a fresh locator; (transport, "addr:port") pairs.
fn run(dns: &StaticDns, uri: &str) -> Result<Vec<(Transport, String)>, ResolveError> {
    run_with(dns, &mut locator(), uri, Instant::now())
}

fn run_with<R: WeightRng>(
    dns: &StaticDns,
    locator: &mut Locator<R>,
    uri: &str,
    now: Instant,
) -> Result<Vec<(Transport, String)>, ResolveError> {
    let uri = Uri::parse(uri).expect("test URI parses");
    let targets = dns.resolve(locator, &uri, now)?;
    Ok(pairs(&targets))
}

fn pairs(targets: &Targets) -> Vec<(Transport, String)> {
    targets
        .as_slice()
        .iter()
        .map(|t| (t.transport(), t.addr().to_string()))
        .collect()
}

fn p(t: Transport, addr: &str) -> (Transport, String) {
    (t, addr.to_owned())
}

fn asked(dns: &StaticDns) -> Vec<String> {
    dns.queries().iter().map(ToString::to_string).collect()
}

/// A zone offering TLS, TCP and UDP, each on its own host.
fn three_transport_zone() -> StaticDns {
    StaticDns::new()
        .naptr(
            "example.test",
            20,
            10,
            "S",
            "SIP+D2U",
            "_sip._udp.example.test",
        )
        .naptr(
            "example.test",
            10,
            20,
            "S",
            "SIP+D2T",
            "_sip._tcp.example.test",
        )
        .naptr(
            "example.test",
            10,
            10,
            "s",
            "SIPS+D2T",
            "_sips._tcp.example.test.",
        )
        .srv("_sip._udp.example.test", 0, 0, 5060, "udp.example.test")
        .srv("_sip._tcp.example.test", 0, 0, 5060, "tcp.example.test")
        .srv("_sips._tcp.example.test", 0, 0, 5061, "tls.example.test")
        .a("udp.example.test", v4(21))
        .a("tcp.example.test", v4(22))
        .a("tls.example.test", v4(23))
}
