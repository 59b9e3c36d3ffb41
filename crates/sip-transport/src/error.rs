//! Errors of the transport layer. Each variant says whose fault it is: the peer's (it sent
//! something we refuse or became unreachable), the caller's (a request this layer cannot carry
//! out as asked), or the system's (I/O).

use std::io;
use std::net::SocketAddr;

use sip_transaction::{Peer, Transport};

use crate::ConnectionId;
use crate::routing::ForbiddenAddress;

/// A message could not be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Caller (or a forged Via): the destination is broadcast, multicast, unspecified or port 0.
    #[error(transparent)]
    Forbidden(#[from] ForbiddenAddress),
    /// Peer: the connection named has closed and no fallback peer was given.
    #[error("{0} is closed")]
    ConnectionClosed(ConnectionId),
    /// Caller: a WebSocket peer can only be reached over a connection it opened.
    #[error("no connection to {0}, and this transport cannot open one")]
    NoConnection(Peer),
    /// Caller: no UDP socket is bound for the destination's address family.
    #[error("no UDP socket to send to {0}")]
    NoUdpSocket(SocketAddr),
    /// Peer: the connection's send queue is full (it does not read fast enough).
    #[error("send queue of {0} is full")]
    Congested(ConnectionId),
    /// System: the global connection limit is reached.
    #[error("connection limit reached")]
    ConnectionLimit,
    /// Peer: the TCP connect failed or timed out.
    #[error("connecting to {addr}: {source}")]
    Connect {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// Peer: the TLS handshake failed or timed out (certificate not trusted, name mismatch...).
    #[error("TLS handshake with {addr}: {source}")]
    TlsHandshake {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// Caller: a TLS destination but no [`crate::Config::tls_client`].
    #[error("no TLS client configuration")]
    TlsNotConfigured,
    /// Caller: the TLS server name is neither a DNS name nor an IP address.
    #[error("invalid TLS server name {0:?}")]
    InvalidServerName(String),
    /// Caller: this layer does not carry that transport (SCTP).
    #[error("transport {0} is not supported")]
    Unsupported(Transport),
    /// Caller: the message is larger than a datagram or [`crate::Config::max_message`].
    #[error("message of {len} octets exceeds the limit of {limit}")]
    TooLarge {
        /// The message size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// System: the socket refused the datagram.
    #[error("sending to {addr}: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// Caller: the layer has shut down.
    #[error("the transport layer is shut down")]
    ShutDown,
    /// Caller: the destination names neither a connection nor a peer.
    #[error("the destination names neither a connection nor a peer")]
    NoTarget,
}

/// A listener could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    /// System: binding or configuring the socket failed.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// Caller: the layer is shutting down.
    #[error("the transport layer is shutting down")]
    ShuttingDown,
}
