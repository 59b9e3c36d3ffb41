//! The values that cross between the transport and the core: what arrived, where to send.

use std::fmt;
use std::net::SocketAddr;

use sip_message::Message;
use sip_transaction::Peer;

/// A small copyable name for one live connection (TCP, TLS, WS or WSS). Ids are never reused
/// within one [`crate::TransportLayer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub(crate) u64);

impl ConnectionId {
    /// The number behind the id (for logs and metrics).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// One message that arrived and parsed.
///
/// Requests have already had `received` / `rport` added to their top Via when
/// [`crate::Config::stamp_via`] is on (the default), so the core can route responses with
/// [`crate::routing::response_target`] straight away.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Who sent it, over which transport.
    pub source: Peer,
    /// The local address it arrived on.
    pub local: SocketAddr,
    /// The message.
    pub message: Message,
    /// The connection it arrived on; `None` for UDP.
    pub connection: Option<ConnectionId>,
}

/// Where to send: a connection, a peer address, or a connection with a peer to fall back to
/// when the connection has closed (RFC 3261 §18.2.2 for responses over reliable transports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub(crate) connection: Option<ConnectionId>,
    pub(crate) peer: Option<Peer>,
    pub(crate) server_name: Option<String>,
    pub(crate) local: Option<SocketAddr>,
}

impl Destination {
    /// Send to this peer: UDP datagrams go straight out; TCP and TLS reuse a connection to the
    /// same address or open one; WS and WSS need an existing connection.
    pub fn peer(peer: Peer) -> Self {
        Destination {
            connection: None,
            peer: Some(peer),
            server_name: None,
            local: None,
        }
    }

    /// Send on this connection only; fails once it has closed.
    pub fn connection(id: ConnectionId) -> Self {
        Destination {
            connection: Some(id),
            peer: None,
            server_name: None,
            local: None,
        }
    }

    /// Falls back to `peer` when the connection is gone (or when no connection was named).
    #[must_use]
    pub fn or_peer(mut self, peer: Peer) -> Self {
        self.peer = Some(peer);
        self
    }

    /// The name to verify a TLS server certificate against and to send as SNI (a `sips:`
    /// URI's host). Without it the peer's IP address is verified.
    #[must_use]
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// For UDP: send from the socket bound to this local address (the one a request arrived
    /// on, so that its response leaves from the same address and port). Ignored otherwise.
    #[must_use]
    pub fn from_local(mut self, local: SocketAddr) -> Self {
        self.local = Some(local);
        self
    }

    /// The connection named, if any.
    pub fn connection_id(&self) -> Option<ConnectionId> {
        self.connection
    }

    /// The peer to send to (or to fall back to), if any.
    pub fn peer_addr(&self) -> Option<Peer> {
        self.peer
    }
}

/// What is known about one live connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Its id.
    pub id: ConnectionId,
    /// The remote end.
    pub peer: Peer,
    /// The local address.
    pub local: SocketAddr,
    /// Whether we accepted it (`true`) or opened it.
    pub inbound: bool,
    /// The negotiated TLS version (`"TLSv1_3"`, `"TLSv1_2"`), for TLS and WSS.
    pub tls_version: Option<&'static str>,
}
