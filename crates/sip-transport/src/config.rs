//! Typed configuration with its defaults written down.

use std::sync::Arc;
use std::time::Duration;

use crate::ws::OriginPolicy;

/// How the transport layer behaves. `Config::default()` gives the values documented on each
/// field.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Capacity of the bounded channel that carries received messages to the core. When the
    /// core falls behind, stream readers wait (TCP pushes back on the peer) and UDP workers
    /// wait (the kernel socket buffer absorbs, then drops), unless
    /// [`Config::shed_new_requests_at`] drops new requests first. Default 4096.
    pub inbound_capacity: usize,
    /// When this many received messages wait for the core, requests that would start new
    /// work (not responses, ACK, BYE, CANCEL or requests inside a dialog) are dropped as they
    /// arrive, before parsing, and counted in [`crate::Stats::shed`]. The receive path then
    /// keeps reading the socket, so that when the core is far behind, the messages that
    /// finish accepted work still get in instead of being lost with the rest when the kernel
    /// socket buffer overflows. UDP clients retransmit what was dropped. 0 never drops.
    /// Default 0.
    pub shed_new_requests_at: usize,
    /// Largest message accepted or sent over a stream or WebSocket, in octets. Larger frames
    /// close the connection. Default 65 535.
    pub max_message: usize,
    /// UDP receive tasks per UDP address, each on its own `SO_REUSEPORT` socket (Linux spreads
    /// datagrams over them by source address). Default: the number of CPUs, at most 4.
    pub udp_workers: usize,
    /// `SO_RCVBUF` / `SO_SNDBUF` for UDP sockets, when set. Default 4 MiB (the kernel caps it
    /// at `net.core.rmem_max`).
    pub udp_socket_buffer: Option<usize>,
    /// Most connections open at once (inbound and outbound). Default 10 000.
    pub max_connections: usize,
    /// Most inbound connections from one IP address. Default 100.
    pub max_connections_per_ip: usize,
    /// A connection with no traffic in either direction for this long is closed. Default
    /// 180 s: longer than the 95-120 s CRLF keep-alive interval RFC 5626 §4.4.1 suggests.
    pub idle_timeout: Duration,
    /// While draining for shutdown, connections idle for this long are closed. Default 1 s.
    pub drain_idle: Duration,
    /// Time allowed for a TCP connect. Default 5 s.
    pub connect_timeout: Duration,
    /// Time allowed for a TLS or WebSocket handshake after accept. Default 10 s.
    pub handshake_timeout: Duration,
    /// Time allowed to write one batch to a connection before it is closed (a peer that
    /// stops reading). Default 10 s.
    pub write_timeout: Duration,
    /// Messages queued per connection before sends fail with
    /// [`crate::SendError::Congested`]. Default 1024.
    pub connection_queue: usize,
    /// Add `received` / `rport` to the top Via of every incoming request (RFC 3261 §18.2.1,
    /// RFC 3581). Default on.
    pub stamp_via: bool,
    /// Answer unparseable requests with a stateless 400 (or 505, 513). Default on; off means
    /// drop them (they are counted either way).
    pub reject_unparseable: bool,
    /// The TLS client configuration for outbound TLS connections; `None` refuses them.
    pub tls_client: Option<Arc<rustls::ClientConfig>>,
    /// Which WebSocket handshakes to accept, by Origin.
    pub ws_origins: OriginPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            inbound_capacity: 4096,
            shed_new_requests_at: 0,
            max_message: 65_535,
            udp_workers: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4),
            udp_socket_buffer: Some(4 << 20),
            max_connections: 10_000,
            max_connections_per_ip: 100,
            idle_timeout: Duration::from_secs(180),
            drain_idle: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            connection_queue: 1024,
            stamp_via: true,
            reject_unparseable: true,
            tls_client: None,
            ws_origins: OriginPolicy::default(),
        }
    }
}
