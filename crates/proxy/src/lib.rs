//! A stateful forking SIP proxy core (RFC 3261 §16), sans-IO.
//!
//! [`Proxy`] owns a [`sip_transaction::TransactionLayer`] and one response context (§16.2)
//! per request in progress. The server that drives it decides where requests go; the proxy
//! does everything RFC 3261 §16 asks of a stateful proxy around that decision:
//!
//! | Step                 | RFC           | Here                                                    |
//! |----------------------|---------------|---------------------------------------------------------|
//! | validation           | §16.3         | syntax (400), scheme (416), Max-Forwards (483), loop (482), Proxy-Require (420) |
//! | route preprocessing  | §16.4         | strict-router Request-URI restored, own Route removed   |
//! | target decision      | §16.5         | the server: [`ProxyEvent::Request`] → [`Proxy::forward`] or [`Proxy::respond`] |
//! | forwarding           | §16.6         | per target: Request-URI, Max-Forwards, Record-Route (double when the side changes), Route, strict next hop, Via, client transaction, Timer C |
//! | responses            | §16.7         | 100 absorbed, 1xx and every 2xx forwarded at once, 2xx/6xx cancel the rest, best response (401/407 challenges merged, 503 → 500) |
//! | Timer C              | §16.6 step 11 | CANCEL a stalled branch, 408 one that never answered    |
//! | CANCEL               | §16.10        | 200, then CANCEL every pending branch; 481 if it names nothing |
//! | ACK for 2xx, stray 2xx | §16.11, RFC 6026 | forwarded without state                           |
//!
//! Serial and parallel forking: a [`ForwardPlan`] holds groups of [`Target`]s; the
//! targets of one group are tried in parallel, the next group only when the current one
//! ended without 2xx or 6xx.
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use sip_message::Message;
//! use sip_proxy::{ForwardPlan, LocalAddr, Proxy, ProxyConfig, ProxyEvent, ProxyOutput, Target};
//! use sip_transaction::{Peer, Transport};
//!
//! let now = Instant::now(); // the driver's clock
//! let here: std::net::SocketAddr = "192.0.2.10:5060".parse()?;
//! let mut proxy = Proxy::new(ProxyConfig::new(vec![LocalAddr::new(Transport::Udp, here)]), 1);
//! let invite = Message::parse(Bytes::from_static(b"INVITE sip:bob@example.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\nMax-Forwards: 70\r\n\
//! From: <sip:alice@example.com>;tag=a\r\nTo: <sip:bob@example.com>\r\n\
//! Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"))?;
//! proxy.handle_input(now, Peer::udp("192.0.2.1:5060".parse()?), here, invite)?;
//!
//! let mut sent = Vec::new();
//! while let Some(out) = proxy.poll_output() {
//!     match out {
//!         ProxyOutput::Event(ProxyEvent::Request { id, .. }) => {
//!             // The server looked bob up: one contact.
//!             let bob = Target::new("sip:bob@192.0.2.2", Peer::udp("192.0.2.2:5060".parse()?));
//!             proxy.forward(now, id, ForwardPlan::single(bob).record_route(true))?;
//!         }
//!         ProxyOutput::Transmit(t) => sent.push(Message::parse(t.bytes)?),
//!         ProxyOutput::Event(_) => {}
//!     }
//! }
//! // 100 Trying upstream, then the INVITE downstream with our Via and Record-Route.
//! assert_eq!(sent[0].as_response().map(|r| r.status()), Some(100));
//! let fwd = sent[1].as_request().expect("the INVITE");
//! assert_eq!(fwd.uri_raw(), b"sip:bob@192.0.2.2");
//! assert!(fwd.via()?.branch().unwrap_or("").starts_with("z9hG4bK"));
//! assert_eq!(fwd.headers().get(sip_message::HeaderName::RecordRoute),
//!     Some(&b"<sip:192.0.2.10:5060;lr>"[..]));
//! assert_eq!(fwd.headers().get(sip_message::HeaderName::MaxForwards), Some(&b"69"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Not here: recursion on 3xx (a 3xx is forwarded as the
//! best response), `maddr`, RFC 5393 Max-Breadth, stateless forwarding of requests other than
//! ACK, and DNS (the server resolves [`Target::destination`]).

mod api;
mod config;
mod context;
mod forward;
mod inbound;
mod originate;
mod proxy;
mod response;
mod wire;

pub use api::{
    ForwardPlan, InputError, NextHop, ProxyError, ProxyEvent, ProxyOutput, ProxyTransmit,
    RequestId, Target,
};
pub use config::{LocalAddr, ProxyConfig};
pub use inbound::next_hop_uri;
pub use originate::OriginId;
pub use proxy::Proxy;
pub use wire::peer_for_uri;
