//! Where messages come from and go to.

use std::fmt;
use std::net::SocketAddr;

/// A SIP transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// UDP (unreliable).
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// SCTP.
    Sctp,
    /// WebSocket (RFC 7118).
    Ws,
    /// Secure WebSocket (RFC 7118).
    Wss,
}

impl Transport {
    /// Whether the transport delivers reliably, which turns off retransmissions (Timers A, E,
    /// G) and zeroes the wait timers D, I, J and K (RFC 3261 §17).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }

    /// The token used in a Via header.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The far end of a hop: an address, the transport to reach it over, and whether that transport
/// is reliable.
///
/// A server transaction answers to the [`Peer`] its request came from; the driver maps that to
/// a connection or to the RFC 3261 §18.2.2 / RFC 3581 response address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// The remote address.
    pub addr: SocketAddr,
    /// The transport.
    pub transport: Transport,
    /// Whether the transactions over this hop treat it as reliable. [`Peer::new`] takes it from
    /// the transport.
    pub reliable: bool,
}

impl Peer {
    /// A peer whose reliability follows its transport.
    pub fn new(addr: SocketAddr, transport: Transport) -> Self {
        Peer {
            addr,
            transport,
            reliable: transport.is_reliable(),
        }
    }

    /// A UDP peer.
    pub fn udp(addr: SocketAddr) -> Self {
        Peer::new(addr, Transport::Udp)
    }

    /// A TCP peer.
    pub fn tcp(addr: SocketAddr) -> Self {
        Peer::new(addr, Transport::Tcp)
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.transport, self.addr)
    }
}
