//! Which domains and addresses are ours, and where a registered contact is reached.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carillon_store::{Binding, SqliteStore, UserStore};
use sip_message::{Host, Uri};
use sip_transport::{Peer, Transport, TransportLayer};

use crate::listen::Listen;

/// The domains the server is responsible for: those of its users (read from the store, so a
/// `carillon user add` in another process is seen), those configured, and its own addresses.
#[derive(Debug)]
pub(crate) struct Domains {
    configured: HashSet<String>,
    own: HashSet<String>,
    users: HashSet<String>,
    refreshed: Option<Instant>,
    store: Arc<SqliteStore>,
}

impl Domains {
    pub(crate) fn new(
        configured: &[String],
        listens: &[Listen],
        advertised: Option<&str>,
        store: Arc<SqliteStore>,
    ) -> Self {
        let mut own: HashSet<String> = listens.iter().map(|l| host_of(l.addr.ip())).collect();
        own.insert("localhost".to_owned());
        if let Some(a) = advertised {
            own.insert(a.to_ascii_lowercase());
        }
        Domains {
            configured: configured.iter().map(|d| d.to_ascii_lowercase()).collect(),
            own,
            users: HashSet::new(),
            refreshed: None,
            store,
        }
    }

    /// Re-reads the users' domains at most once a second.
    pub(crate) fn refresh(&mut self, now: Instant) {
        if self
            .refreshed
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        self.refreshed = Some(now);
        match self.store.domains() {
            Ok(d) => self.users = d.into_iter().collect(),
            Err(e) => tracing::warn!(error = %e, "reading the served domains failed"),
        }
    }

    /// Whether `host` (a URI host, any case; IPv6 with or without brackets) is served.
    pub(crate) fn serves(&self, host: &str) -> bool {
        let h = host.trim_start_matches('[').trim_end_matches(']');
        let h = h.to_ascii_lowercase();
        self.users.contains(&h) || self.configured.contains(&h) || self.own.contains(&h)
    }

    /// Every served domain (users', configured, own addresses).
    pub(crate) fn all(&self) -> impl Iterator<Item = &str> {
        self.users
            .iter()
            .chain(&self.configured)
            .chain(&self.own)
            .map(String::as_str)
    }

    /// Whether `host` is one of the server's own addresses or names (not merely a domain it
    /// serves): a Request-URI without a user part at such a host is addressed to the server.
    pub(crate) fn is_own(&self, host: &str) -> bool {
        let h = host.trim_start_matches('[').trim_end_matches(']');
        self.own.contains(&h.to_ascii_lowercase())
    }
}

fn host_of(ip: IpAddr) -> String {
    ip.to_string()
}

/// The host of a URI as text, lowercase, IPv6 without brackets.
pub(crate) fn uri_host(uri: &Uri<'_>) -> String {
    match uri.host() {
        Some(Host::Ipv4(a)) => a.to_string(),
        Some(Host::Ipv6(a)) => a.to_string(),
        Some(Host::Domain(d)) => d.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Where a URI with an IP address host goes: its `transport` parameter (default `default`),
/// its port (default 5060, 5061 for TLS). `None` for a domain name, which needs DNS.
pub(crate) fn peer_for_uri(uri: &Uri<'_>, default: Transport) -> Option<Peer> {
    let ip: IpAddr = match uri.host()? {
        Host::Ipv4(a) => a.into(),
        Host::Ipv6(a) => a.into(),
        Host::Domain(_) => return None,
    };
    let transport = match uri.params().get("transport").flatten() {
        Some(t) if t.eq_ignore_ascii_case("udp") => Transport::Udp,
        Some(t) if t.eq_ignore_ascii_case("tcp") => Transport::Tcp,
        Some(t) if t.eq_ignore_ascii_case("tls") => Transport::Tls,
        Some(t) if t.eq_ignore_ascii_case("ws") => Transport::Ws,
        Some(t) if t.eq_ignore_ascii_case("wss") => Transport::Wss,
        _ if uri.scheme() == sip_message::Scheme::Sips => Transport::Tls,
        _ => default,
    };
    let port = uri.port().unwrap_or(match transport {
        Transport::Tls | Transport::Wss => 5061,
        _ => 5060,
    });
    Some(Peer::new(SocketAddr::new(ip, port), transport))
}

/// Parses a transport name as stored in a binding.
pub(crate) fn transport_named(name: &str) -> Option<Transport> {
    Some(match name {
        "udp" => Transport::Udp,
        "tcp" => Transport::Tcp,
        "tls" => Transport::Tls,
        "ws" => Transport::Ws,
        "wss" => Transport::Wss,
        _ => return None,
    })
}

/// Where to send a request for a registered contact. The address its REGISTER came from,
/// over the same transport, wins over the Contact URI: behind NAT the Contact names a
/// private address, and over TCP, TLS and WebSocket the phone can only be reached on the
/// connection it registered on (the transport reuses the open connection to that address).
/// When that connection has closed, the Contact URI is used (a phone that listens for
/// connections, reachable without NAT).
pub(crate) fn binding_destination(b: &Binding, transport: &TransportLayer) -> Option<Peer> {
    let registered = b.transport.as_deref().and_then(transport_named);
    if let (Some(addr), Some(t)) = (b.source, registered) {
        let peer = Peer::new(addr, t);
        if t == Transport::Udp || transport.has_connection(&peer) {
            return Some(peer);
        }
    }
    Uri::parse(&b.uri)
        .ok()
        .and_then(|u| peer_for_uri(&u, registered.unwrap_or(Transport::Udp)))
}
