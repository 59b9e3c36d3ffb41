//! The state the proxy keeps per request: the response context of RFC 3261 §16.2 (one server
//! transaction, its branches and the responses collected from them), or the little an ACK
//! needs while the server decides where it goes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use sip_message::{Method, Request, Response};
use sip_transaction::{ClientKey, Peer, ServerKey};

use crate::Target;

/// What a [`RequestId`](crate::RequestId) names.
pub(crate) enum Entry {
    /// A request with a server transaction.
    Stateful(Box<Context>),
    /// An ACK waiting for the server to forward or discard it.
    Stateless(Box<Stateless>),
}

/// An ACK (for a 2xx, or stray) raised to the server: no transaction, no answer.
pub(crate) struct Stateless {
    pub(crate) request: Request,
    pub(crate) source: Peer,
    pub(crate) local: SocketAddr,
    /// When it is forgotten if the server neither forwards nor discards it.
    pub(crate) expires: Instant,
}

/// The response context (§16.2) of one stateful request.
pub(crate) struct Context {
    pub(crate) server: ServerKey,
    pub(crate) source: Peer,
    /// The local address the request arrived on.
    pub(crate) local: SocketAddr,
    pub(crate) method: Method,
    /// The request after §16.4 preprocessing, copied for every branch (§16.6 step 1).
    pub(crate) request: Request,
    /// The loop-detection hash of the request (§16.3 step 4), the first part of every branch
    /// parameter this context sends.
    pub(crate) loop_hash: u64,
    pub(crate) in_dialog: bool,
    pub(crate) received: Instant,
    /// The final status sent upstream, once sent.
    pub(crate) final_status: Option<u16>,
    /// A 2xx or 6xx arrived, or a CANCEL: no new branch may start (§16.7 steps 5-6, §16.10).
    pub(crate) closed: bool,
    /// A CANCEL for this request arrived.
    pub(crate) cancelled: bool,
    /// The groups of targets not tried yet (serial forking).
    pub(crate) groups: VecDeque<Vec<Target>>,
    pub(crate) record_route: bool,
    pub(crate) branches: Vec<Branch>,
    /// The final non-2xx responses of finished branches, our Via removed, in arrival order;
    /// `true` marks those the proxy made up (408 for a timeout, 503 for a transport error).
    pub(crate) responses: Vec<(Response, bool)>,
    /// The server transaction ended; the context lives on until its branches are gone.
    pub(crate) server_gone: bool,
}

impl Context {
    /// Whether every branch has ended (a final response, a timeout, an error).
    pub(crate) fn all_done(&self) -> bool {
        self.branches.iter().all(|b| b.done)
    }

    /// Whether nothing refers to the context any more.
    pub(crate) fn finished_with(&self) -> bool {
        self.server_gone
            && self
                .branches
                .iter()
                .all(|b| b.client.is_none() || b.abandoned)
    }
}

/// Whether a branch wants to be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelState {
    None,
    /// Cancel as soon as a provisional response arrives (§9.1: not before).
    Wanted,
    Sent,
}

/// One forwarded copy of the request: a client transaction (§16.6 step 10).
pub(crate) struct Branch {
    /// The client transaction while it lives.
    pub(crate) client: Option<ClientKey>,
    /// The request as sent, to build its CANCEL.
    pub(crate) request: Request,
    pub(crate) destination: Peer,
    pub(crate) local: SocketAddr,
    /// A provisional response (100 included) arrived.
    pub(crate) provisional: bool,
    /// The branch has its outcome.
    pub(crate) done: bool,
    pub(crate) cancel: CancelState,
    /// Timer C (INVITE only); after a CANCEL it is reused as the 64·T1 wait for the final
    /// response (§9.1), after which the branch is abandoned.
    pub(crate) timer_c: Option<Instant>,
    /// The branch was given up after its CANCEL went unanswered.
    pub(crate) abandoned: bool,
}
