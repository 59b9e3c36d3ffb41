//! Deterministic scenario tests for Carillon's sans-IO engines (a dev-dependency only).
//!
//! Two or more engines ([`TransactionLayer`](sip_transaction::TransactionLayer)s,
//! [`DialogLayer`](sip_dialog::DialogLayer)s, [`StatelessProxy`]s, or anything that
//! implements [`Engine`]) are wired through a [`SimNetwork`] and driven by a [`SimClock`].
//! Nothing reads the system clock after the start, nothing is random except what a seed
//! decides, so a scenario runs the same way every time, in microseconds, and its assertions
//! can name exact times.
//!
//! | Piece            | What                                                                  |
//! |------------------|-----------------------------------------------------------------------|
//! | [`SimClock`]     | an `Instant` base plus an offset; `advance`, `now`, milliseconds       |
//! | [`SimNetwork`]   | latency, seeded jitter, loss, duplication, reordering; partitions;    |
//! |                  | per-link rules; filters (drop the Nth INVITE...); datagrams and       |
//! |                  | ordered, segmented streams; a trace of everything sent                 |
//! | [`Engine`]       | `handle_input(now, from, bytes)`, `handle_timeout(now)`,               |
//! |                  | `poll_output()`, `poll_timeout()`: the one surface that is driven      |
//! | [`World`]        | the driver: clock, network, hooks, recorded events and notes           |
//! | [`Scenario`]     | a `World` that owns its engines: add nodes, command, run, assert       |
//! | [`RequestSpec`]  | the requests tests build, with defaults                                |
//! | [`dialog`]       | user agents, SDP, and questions about dialog events ([`DialogLog`])   |
//! | [`transaction`]  | one-line event summaries ([`TransactionLog`])                          |
//!
//! When a test fails while a scenario is alive, the scenario prints its trace: every
//! message (time, sender, receiver, start line, fate), event and note in order. Set
//! [`TRACE_DIR_ENV`] to keep every trace in files, and compare two runs to check that the
//! suite is deterministic.
//!
//! ```
//! use std::time::Duration;
//! use sip_dialog::{Answer, DialogEvent, DialogLayer, DialogState};
//! use sip_message::Method;
//! use sip_testkit::{DialogLog, LinkRules, Scenario, SimRng, addr, dialog};
//! use sip_transaction::Peer;
//!
//! let mut s: Scenario<DialogLayer> = Scenario::new(1);
//! let alice = s.add_node("alice", addr(1),
//!     dialog::user_agent("alice", addr(1), |_| {}, Box::new(SimRng::new(1))));
//! let bob = s.add_node("bob", addr(2),
//!     dialog::user_agent("bob", addr(2), |_| {}, Box::new(SimRng::new(2))));
//! s.network_mut().set_rules(LinkRules::with_latency(Duration::from_millis(10)));
//! // Bob answers every INVITE at once.
//! s.on_event(bob, |ua, now, ev| {
//!     if let DialogEvent::Request { id, request, .. } = ev {
//!         if *request.method() == Method::Invite {
//!             ua.answer(now, *id, Answer::new(200).body(dialog::sdp(1))).expect("200");
//!         }
//!     }
//! });
//! let invite = sip_dialog::InitialRequest::new("sip:bob@192.0.2.2:5060",
//!     "<sip:alice@example.com>", "<sip:bob@example.com>", Peer::udp(addr(2)));
//! let call = s.with(alice, |ua, now| ua.invite(now, invite))?;
//! s.run_until_ms(1_000);
//! assert_eq!(s.statuses(alice, call), [100, 200]);
//! assert_eq!(s.sent_at(alice, "ACK", ""), [20]);
//! let a = s.dialog_of(alice);
//! assert_eq!(s.states(alice), [(20, a, DialogState::Confirmed)]);
//! # Ok::<(), sip_dialog::ApiError>(())
//! ```

mod clock;
pub mod dialog;
mod engine;
mod network;
mod proxy;
mod requests;
mod rng;
mod scenario;
pub mod transaction;
mod world;

pub use clock::SimClock;
pub use dialog::DialogLog;
pub use engine::{Element, Engine, EngineOutput, InputError};
pub use network::{
    Carrier, Cause, Delivery, Fate, Filter, LinkRules, NodeId, SimNetwork, TraceEntry, WireInfo,
    cseq_method, start_line,
};
pub use proxy::StatelessProxy;
pub use requests::{RequestSpec, addr, response};
pub use rng::SimRng;
pub use scenario::Scenario;
pub use transaction::{TransactionLog, timeline};
pub use world::{Hook, NodeInfo, Note, Recorded, TRACE_DIR_ENV, World};
