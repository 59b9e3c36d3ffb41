//! What goes between the proxy and the server that drives it: handles, commands, events,
//! outputs and errors.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use sip_message::{Method, Request};
use sip_transaction::arena::Handle;
use sip_transaction::{ApiError, Peer, PeerError, TransactionKey};

/// Names a request the proxy raised with [`ProxyEvent::Request`], until it is answered,
/// forwarded (ACK) or its transaction ends. A stale id finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub(crate) Handle);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request#{}.{}", self.0.index(), self.0.generation())
    }
}

/// One destination of a forwarded request (RFC 3261 §16.5 target, with the next hop the
/// server resolved for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The Request-URI of the copy sent to this target (§16.6 step 2).
    pub uri: String,
    /// Where to send it. The server resolves it: the top Route or the Request-URI by RFC 3263,
    /// or for a phone behind NAT the address its REGISTER came from.
    pub destination: Peer,
    /// Route values to push on top of the request's route set (§16.6 step 5), in order: for
    /// example a binding's Path (RFC 3327) or an outbound proxy.
    pub route: Vec<String>,
    /// The local address to send from; `None` picks the first listener whose transport is
    /// the destination's, else the one the request arrived on.
    pub local: Option<SocketAddr>,
}

impl Target {
    /// A target with no extra Route and the default local address.
    pub fn new(uri: impl Into<String>, destination: Peer) -> Self {
        Target {
            uri: uri.into(),
            destination,
            route: Vec::new(),
            local: None,
        }
    }

    /// Pushes a Route value (`<sip:edge.example.com;lr>`).
    pub fn route(mut self, value: impl Into<String>) -> Self {
        self.route.push(value.into());
        self
    }

    /// Sends from this local address.
    pub fn local(mut self, local: SocketAddr) -> Self {
        self.local = Some(local);
        self
    }
}

/// How to forward a request: groups of targets tried one after another (serial forking),
/// the targets of one group at once (parallel forking) (RFC 3261 §16.6, §16.7 step 4-5).
///
/// The next group starts only when every branch of the current one ended without a 2xx
/// or 6xx response and no CANCEL arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardPlan {
    /// The groups, in the order they are tried.
    pub groups: Vec<Vec<Target>>,
    /// Whether to insert Record-Route (§16.6 step 4) in requests that can form a dialog
    /// (outside a dialog; ignored inside one, where the route set cannot change).
    pub record_route: bool,
}

impl ForwardPlan {
    /// One target, no Record-Route.
    pub fn single(target: Target) -> Self {
        ForwardPlan {
            groups: vec![vec![target]],
            record_route: false,
        }
    }

    /// Forwards the request as routed: its Request-URI unchanged, sent to `destination`
    /// (the server resolved the top Route or the Request-URI, see [`NextHop`]). The usual
    /// plan for in-dialog requests, ACKs for 2xx, and requests with a Route left.
    pub fn by_route(request: &Request, destination: Peer) -> Self {
        let uri = String::from_utf8_lossy(request.uri_raw()).into_owned();
        ForwardPlan::single(Target::new(uri, destination))
    }

    /// Targets with q-values (RFC 3261 §16.6, §20.10; q in thousandths, 0..=1000): targets
    /// of equal q are tried in parallel, groups from the highest q down.
    pub fn by_q(mut targets: Vec<(u16, Target)>, record_route: bool) -> Self {
        targets.sort_by_key(|t| std::cmp::Reverse(t.0));
        let mut groups: Vec<Vec<Target>> = Vec::new();
        let mut last_q = None;
        for (q, t) in targets {
            match groups.last_mut() {
                Some(g) if last_q == Some(q) => g.push(t),
                _ => groups.push(vec![t]),
            }
            last_q = Some(q);
        }
        ForwardPlan {
            groups,
            record_route,
        }
    }

    /// Sets [`ForwardPlan::record_route`].
    pub fn record_route(mut self, on: bool) -> Self {
        self.record_route = on;
        self
    }
}

/// Where a request goes next by its own routing information (RFC 3261 §16.5, §16.12): the top
/// Route left after §16.4 preprocessing, else the Request-URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    /// The URI (no `<>`).
    pub uri: String,
    /// Whether it is the top Route (else the Request-URI).
    pub from_route: bool,
    /// The address it names, when its host is an IP address (see
    /// [`peer_for_uri`](crate::peer_for_uri)); the transport defaults to the one the
    /// request arrived over. `None` for a domain name (resolve it with RFC 3263).
    pub peer: Option<Peer>,
}

/// News for the server that drives the proxy.
#[derive(Debug, Clone)]
#[non_exhaustive]
// Each event is moved once through the output queue; boxing the request would cost every
// server an indirection to save a few hundred bytes per queued Finished.
#[allow(clippy::large_enum_variant)]
pub enum ProxyEvent {
    /// A request that passed §16.3 validation and §16.4 route preprocessing (our own Route
    /// values removed, a strict router's rewrite undone). Answer it with
    /// [`Proxy::respond`](crate::Proxy::respond) or [`Proxy::forward`](crate::Proxy::forward).
    /// An ACK for a 2xx (`stateless`) has no transaction: forward it to one target, or let it
    /// go with [`Proxy::discard`](crate::Proxy::discard).
    Request {
        /// Names it in commands.
        id: RequestId,
        /// Who sent it.
        source: Peer,
        /// The local address it arrived on.
        local: SocketAddr,
        /// The request, preprocessed.
        request: Request,
        /// Whether its To header has a tag (a request inside a dialog: route it by
        /// [`next_hop`](ProxyEvent::Request::next_hop)).
        in_dialog: bool,
        /// The top Route left, else the Request-URI.
        next_hop: Option<NextHop>,
        /// Whether it was routed here: it carried a Route naming this proxy (removed now), or
        /// a strict router put our Record-Route in the Request-URI. In-dialog requests and
        /// ACKs for 2xx that went through our Record-Route have it; a stray ACK or a forged
        /// in-dialog request usually does not.
        routed_here: bool,
        /// An ACK (for a 2xx, or stray): no transaction, no response; forward or discard.
        stateless: bool,
    },
    /// A server transaction got its final response: one per request, for logs and metrics.
    /// `id` is `None` for requests the proxy answered itself before raising them (malformed,
    /// loops, too many hops, CANCEL).
    Finished {
        /// The request, if it was raised.
        id: Option<RequestId>,
        /// Its method.
        method: Method,
        /// The final status sent upstream.
        status: u16,
        /// From its arrival to the final response.
        duration: Duration,
        /// How many branches were forwarded.
        branches: usize,
        /// Who sent the request.
        source: Peer,
        /// Its Call-ID (for logs).
        call_id: String,
    },
    /// A request sent with [`Proxy::originate`](crate::Proxy::originate) got its final
    /// status (408 when it timed out, 503 when the transport failed).
    Originated {
        /// The request.
        id: crate::OriginId,
        /// Its final status.
        status: u16,
    },
}

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyTransmit {
    /// Where to send them.
    pub destination: Peer,
    /// The local address to send from.
    pub local: SocketAddr,
    /// The message as it goes on the wire.
    pub bytes: Bytes,
    /// The transaction that sent them; give it to
    /// [`Proxy::handle_transport_error`](crate::Proxy::handle_transport_error) if sending
    /// fails. `None` for stateless sends.
    pub key: Option<TransactionKey>,
}

/// What the proxy has for its driver, from [`Proxy::poll_output`](crate::Proxy::poll_output).
#[derive(Debug, Clone)]
pub enum ProxyOutput {
    /// Send bytes.
    Transmit(ProxyTransmit),
    /// Tell the server.
    Event(ProxyEvent),
}

/// Misuse of the proxy's commands by the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The id names nothing (never existed, answered, or its transaction ended).
    #[error("{0} names no pending request")]
    UnknownRequest(RequestId),
    /// A final response was already sent upstream for this request.
    #[error("{0} already has a final response")]
    AlreadyAnswered(RequestId),
    /// The request was cancelled (CANCEL from upstream) and answered 487.
    #[error("{0} was cancelled")]
    Cancelled(RequestId),
    /// A stateless request (an ACK) cannot be answered.
    #[error("{0} is an ACK: it is forwarded or discarded, never answered")]
    Stateless(RequestId),
    /// A stateful request can only be discarded by answering it.
    #[error("{0} has a transaction: answer it instead of discarding it")]
    Stateful(RequestId),
    /// The plan has no target, or several for a stateless request.
    #[error("the plan must name one target for an ACK and at least one otherwise")]
    BadPlan,
    /// Max-Forwards is 0: the proxy answered 483 instead of forwarding (§16.6 step 3,
    /// after a request it let through for a local answer, such as OPTIONS).
    #[error("Max-Forwards is 0; answered 483")]
    TooManyHops,
    /// A target URI does not parse.
    #[error("target URI {0:?} does not parse")]
    BadTarget(String),
    /// The transaction layer refused the command.
    #[error(transparent)]
    Transaction(#[from] ApiError),
}

/// A message from the network the proxy could not act on (the peer's fault). Nothing was
/// changed; a driver logs it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The transaction layer cannot match it (no Via, no CSeq...).
    #[error(transparent)]
    Peer(#[from] PeerError),
}
