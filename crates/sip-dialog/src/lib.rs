//! The SIP dialog layer, sans-IO: the UA core above the transaction layer.
//!
//! [`DialogLayer`] owns a [`sip_transaction::TransactionLayer`] and every dialog, request and
//! subscription of one shard. The driver feeds it what the network and the clock do
//! ([`DialogLayer::handle_input`], [`DialogLayer::handle_timeout`]); the application gives it
//! commands ([`DialogLayer::invite`], [`DialogLayer::answer`], [`DialogLayer::bye`],
//! [`DialogLayer::subscribe`], ...); both drain [`DialogLayer::poll_output`]: bytes to send
//! and [`DialogEvent`]s. [`DialogLayer::poll_timeout`] says when to wake it. Nothing here
//! reads a clock, draws a random number of its own ([`RandomSource`] is injected) or touches
//! a socket.
//!
//! | Module            | RFC                  | What                                              |
//! |-------------------|----------------------|---------------------------------------------------|
//! | `dialog`          | 3261 §12             | dialog identity, state, in-dialog request builder |
//! | `route`           | 3261 §12.2.1.1       | route sets, loose and strict routing, next hops   |
//! | `uac`, `uas`      | 3261 §8, §13         | initial INVITE, forks, CANCEL, answering          |
//! | `request`         | 3261 §8.1, §12.2.1.2 | requests sent: responses, failures, retries       |
//! | `invite`          | 3261 §13-15, 3311    | 2xx until ACK, ACK, re-INVITE glare, UPDATE, BYE  |
//! | `prack`           | 3262                 | reliable provisional responses, PRACK             |
//! | `session_timer`   | 4028                 | Session-Expires / Min-SE, refresh, expiry         |
//! | `subscription`    | 6665                 | SUBSCRIBE / NOTIFY usages, subscriber side        |
//! | `notifier`        | 6665 §4.2            | the notifier side                                 |
//! | `refer`           | 3515                 | REFER and its implicit subscription               |
//!
//! Handles ([`DialogId`], [`RequestId`], [`IncomingId`], [`SubscriptionId`]) are small
//! copyable keys into slabs owned by the layer; a handle kept after its object is gone
//! finds nothing.
//!
//! ```
//! use std::time::Instant;
//! use sip_dialog::{Answer, Config, DialogEvent, DialogLayer, DialogState, InitialRequest, Input,
//!     Output, SplitMix64};
//! use sip_message::Message;
//! use sip_transaction::Peer;
//!
//! let now = Instant::now(); // the driver's clock; the layers never read one
//! let (a, b) = (Peer::udp("192.0.2.1:5060".parse()?), Peer::udp("192.0.2.2:5060".parse()?));
//! let mut alice = DialogLayer::new(
//!     Config::new("sip:alice@192.0.2.1:5060", "192.0.2.1:5060"),
//!     Box::new(SplitMix64::new(1)),
//! );
//! let mut bob = DialogLayer::new(
//!     Config::new("sip:bob@192.0.2.2:5060", "192.0.2.2:5060"),
//!     Box::new(SplitMix64::new(2)),
//! );
//!
//! // A tiny driver: carry transmits from one layer to the other; collect events.
//! fn drain(from: &mut DialogLayer, to: &mut DialogLayer, src: Peer, now: Instant) -> Vec<DialogEvent> {
//!     let mut events = Vec::new();
//!     while let Some(out) = from.poll_output() {
//!         match out {
//!             Output::Transmit(t) => {
//!                 let message = Message::parse(t.bytes).expect("valid");
//!                 to.handle_input(Input::Received { now, source: src, message }).expect("matched");
//!             }
//!             Output::Event(e) => events.push(e),
//!         }
//!     }
//!     events
//! }
//!
//! let req = InitialRequest::new("sip:bob@192.0.2.2", "<sip:alice@example.com>",
//!     "<sip:bob@example.com>", b);
//! alice.invite(now, req)?;
//! drain(&mut alice, &mut bob, a, now);
//! let incoming = drain(&mut bob, &mut alice, b, now)
//!     .into_iter()
//!     .find_map(|e| match e { DialogEvent::Request { id, .. } => Some(id), _ => None })
//!     .expect("Bob hears the INVITE");
//! bob.answer(now, incoming, Answer::new(200))?;
//! drain(&mut bob, &mut alice, b, now);
//! let confirmed = drain(&mut alice, &mut bob, a, now).into_iter().any(|e| matches!(e,
//!     DialogEvent::DialogState { state: DialogState::Confirmed, .. }));
//! assert!(confirmed); // and the ACK went to Bob
//! assert!(drain(&mut bob, &mut alice, b, now).iter().any(|e| matches!(e, DialogEvent::Ack { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod command;
mod config;
mod dialog;
mod error;
mod event;
mod handle;
mod invite;
mod layer;
mod notifier;
mod prack;
mod random;
mod refer;
mod request;
mod route;
mod session_timer;
mod subscription;
mod timers;
mod uac;
mod uas;

pub use command::{Answer, Body, InitialRequest, NotifyState};
pub use config::{Config, ForkPolicy, RefreshMethod, SessionTimerConfig};
pub use dialog::DialogView;
pub use error::{ApiError, Error, PeerError};
pub use event::{
    DialogEvent, DialogState, Input, Output, SubscriptionEnd, SubscriptionStatus,
    TerminationReason, TimeoutKind,
};
pub use handle::{DialogId, IncomingId, RequestId, SubscriptionId};
pub use layer::DialogLayer;
pub use random::{RandomSource, SplitMix64};
pub use refer::SIPFRAG;
pub use route::{IpLiteral, NextHop};
pub use subscription::SubscriptionView;
