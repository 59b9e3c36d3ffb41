//! The tokio side of the Carillon SIP stack: UDP, TCP, TLS, WebSocket and secure WebSocket
//! listeners, a connection table with reuse, limits and keep-alives, and the response routing
//! rules of RFC 3261 §18.2.2 with RFC 3581.
//!
//! A [`TransportLayer`] owns every socket. What arrives and parses is handed to the core as an
//! [`Inbound`] (source [`Peer`], local address, [`sip_message::Message`], connection id) over a
//! bounded channel; what fails to parse is counted and, for requests, answered statelessly
//! (400, or 505/513) on the way it came, never reaching the core. The core sends with
//! [`TransportLayer::send`] to a [`Destination`]: a connection, a peer, or a connection with
//! a peer to fall back to.
//!
//! [`routing`] holds the pure decisions: where a response goes ([`routing::response_target`]),
//! stamping `received` / `rport` on incoming requests ([`routing::add_received`]), and the
//! addresses never sent to ([`routing::check_destination`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sip_message::Response;
//! use sip_transport::{Config, TransportLayer, routing};
//!
//! let (layer, mut inbound) = TransportLayer::new(Config::default());
//! layer.bind_udp("127.0.0.1:5060".parse()?).await?;
//! layer.listen_tcp("127.0.0.1:5060".parse()?).await?;
//! while let Some(msg) = inbound.recv().await {
//!     let Some(req) = msg.message.as_request() else { continue };
//!     let target = routing::response_target_for(req, &msg.source, msg.connection)?;
//!     let resp = Response::from_request(req, 200);
//!     if let Some(dest) = target.destination(Some(msg.local)) {
//!         layer.send(&dest, resp.to_bytes()).await?;
//!     }
//! }
//! # Ok(()) }
//! ```

mod config;
mod conn;
mod error;
mod layer;
pub mod limits;
mod reject;
pub mod routing;
mod shed;
mod stats;
mod tcp;
pub mod tls;
mod types;
mod udp;
pub mod ws;

pub use config::Config;
pub use error::{ListenError, SendError};
pub use layer::{ShutdownReport, TransportLayer};
pub use reject::{StatelessReply, stateless_reply};
pub use sip_transaction::{Peer, Transport};
pub use stats::Stats;
pub use tls::{TlsServer, TlsVersions};
pub use types::{ConnectionId, ConnectionInfo, Destination, Inbound};
pub use ws::OriginPolicy;
