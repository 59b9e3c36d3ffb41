//! The SIP transaction layer (RFC 3261 §17, with the RFC 6026 corrections), sans-IO.
//!
//! [`TransactionLayer`] owns every transaction of one shard. The driver feeds it what the
//! network and the clock do ([`TransactionLayer::handle_input`],
//! [`TransactionLayer::handle_timeout`]), the transaction user (a UA core, a proxy core, the
//! dialog layer) gives it commands ([`TransactionLayer::start_client`],
//! [`TransactionLayer::respond`], [`TransactionLayer::send_stateless`]), and both drain what it
//! decided from [`TransactionLayer::poll_output`]: bytes to send ([`Transmit`]) and news for
//! the TU ([`Event`]). [`TransactionLayer::poll_timeout`] says when to wake it next. Nothing
//! here reads a clock or touches a socket, so a Timer B expiry (32 s) is tested in
//! microseconds.
//!
//! The four machines, each drawn in its module's documentation as in the RFC:
//!
//! | Machine              | States                                                     | Timers     |
//! |----------------------|------------------------------------------------------------|------------|
//! | INVITE client        | Calling, Proceeding, Accepted, Completed, Terminated        | A, B, D, M |
//! | non-INVITE client    | Trying, Proceeding, Completed, Terminated                  | E, F, K    |
//! | INVITE server        | Proceeding, Completed, Confirmed, Accepted, Terminated     | G, H, I, L |
//! | non-INVITE server    | Trying, Proceeding, Completed, Terminated                  | J          |
//!
//! Matching follows §17.1.3 for responses (top Via branch and CSeq method) and §17.2.3 for
//! requests (branch, sent-by and method, with ACK matching its INVITE; and the RFC 2543
//! rule for requests whose branch lacks the `z9hG4bK` cookie). A CANCEL gets its own server
//! transaction and is reported with the INVITE server transaction it targets.
//!
//! What is not here: Timer C and response forwarding (the proxy), the ACK for a 2xx and
//! dialogs (the dialog layer), RFC 3263 failover after a transport error (the TU, with the
//! resolver), and parsing (the driver hands in parsed [`sip_message::Message`]s).

pub mod arena;
mod client_invite;
mod client_non_invite;
mod ctx;
mod error;
mod event;
mod key;
mod layer;
mod machine;
mod matching;
mod peer;
mod server_invite;
mod server_non_invite;
mod timers;

pub use client_invite::build_cancel;
pub use error::{ApiError, Error, PeerError};
pub use event::{Event, Input, Output, Transmit};
pub use key::{ClientKey, ServerKey, TransactionKey};
pub use layer::{TransactionLayer, TransactionState};
pub use peer::{Peer, Transport};
pub use timers::{Config, Timer};
