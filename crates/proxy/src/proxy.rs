//! The proxy: owns the transaction layer and the response contexts, and is the one door in
//! and one door out.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Instant;

use bytes::Bytes;
use sip_message::validate::{Rejection, reject_invalid};
use sip_message::{HeaderName, Message, Method, Request, Response};
use sip_transaction::arena::Arena;
use sip_transaction::{
    ClientKey, Event, Input, Output, Peer, ServerKey, TransactionKey, TransactionLayer,
};

use crate::context::{Context, Entry};
use crate::{
    ForwardPlan, InputError, LocalAddr, ProxyConfig, ProxyError, ProxyEvent, ProxyOutput,
    ProxyTransmit, RequestId,
};

/// Maps keyed by transaction handles: foldhash (randomly seeded) instead of SipHash.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// A wake-up of the proxy's own (not the transaction layer's) timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ProxyTimer {
    /// Timer C of a branch (§16.6 step 11).
    C(RequestId, usize),
    /// An ACK the server never forwarded is forgotten.
    Expire(RequestId),
}

/// A stateful forking SIP proxy core (RFC 3261 §16), sans-IO.
///
/// It owns a [`TransactionLayer`]: every request that arrives gets a server transaction,
/// every forwarded copy a client transaction. Routing decisions are the server's: each new
/// request that passes the §16.3 checks and §16.4 route preprocessing is raised as
/// [`ProxyEvent::Request`], and the server answers with a command: [`respond`](Self::respond)
/// (a local answer: 401, 404, 200 to REGISTER...) or [`forward`](Self::forward) (targets,
/// serial groups of parallel branches). The proxy then runs §16.6 (building each copy),
/// §16.7 (response processing and best-response selection), Timer C, and §16.10 (CANCEL).
///
/// # Methods, by kind
///
/// - **Inputs**: [`handle_input`](Self::handle_input), [`handle_timeout`](Self::handle_timeout),
///   [`handle_transport_error`](Self::handle_transport_error).
/// - **Commands**: [`respond`](Self::respond), [`forward`](Self::forward),
///   [`discard`](Self::discard).
/// - **Outputs**: [`poll_output`](Self::poll_output), [`poll_timeout`](Self::poll_timeout).
/// - **Getters**: [`config`](Self::config), [`transactions`](Self::transactions),
///   [`pending`](Self::pending).
///
/// # Call order
///
/// After every input or command, drain [`poll_output`](Self::poll_output) until `None` (send
/// each [`ProxyTransmit`], give each [`ProxyEvent`] to the server, which may issue commands
/// while draining), then sleep until [`poll_timeout`](Self::poll_timeout) and call
/// [`handle_timeout`](Self::handle_timeout) with the time then.
pub struct Proxy {
    pub(crate) config: ProxyConfig,
    pub(crate) tl: TransactionLayer,
    pub(crate) entries: Arena<Entry>,
    pub(crate) by_server: HashMap<ServerKey, RequestId>,
    pub(crate) by_client: HashMap<ClientKey, (RequestId, usize)>,
    /// Client transactions of the CANCELs the proxy sent; their responses are absorbed.
    pub(crate) cancels: HashSet<ClientKey>,
    /// Requests the server sent through [`Proxy::originate`].
    pub(crate) originated: HashMap<ClientKey, crate::OriginId>,
    pub(crate) next_origin: u64,
    /// The local address each transaction sends from.
    pub(crate) key_local: HashMap<TransactionKey, SocketAddr>,
    pub(crate) timers: BinaryHeap<Reverse<(Instant, ProxyTimer)>>,
    pub(crate) out: VecDeque<ProxyOutput>,
    rng: u64,
    /// The local address of the message being handled, for what it causes before its
    /// transaction is known to the proxy (the `100 Trying`).
    pub(crate) input_local: SocketAddr,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("pending", &self.entries.len())
            .field("transactions", &self.tl.len())
            .field("queued_outputs", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// A proxy with no request in progress; `seed` starts the generator of branch values.
    pub fn new(config: ProxyConfig, seed: u64) -> Proxy {
        let mut tconfig = config.transaction.clone();
        tconfig.send_100_trying = config.send_100_trying;
        let input_local = config
            .locals
            .first()
            .map_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)), |l| l.addr);
        Proxy {
            tl: TransactionLayer::new(tconfig),
            config,
            entries: Arena::new(),
            by_server: HashMap::default(),
            by_client: HashMap::default(),
            cancels: HashSet::default(),
            originated: HashMap::default(),
            next_origin: 0,
            key_local: HashMap::default(),
            timers: BinaryHeap::new(),
            out: VecDeque::new(),
            rng: seed,
            input_local,
        }
    }

    // ----- Getters -----

    /// The configuration.
    pub fn config(&self) -> &ProxyConfig {
        &self.config
    }

    /// The transaction layer the proxy drives (for its state and counts).
    pub fn transactions(&self) -> &TransactionLayer {
        &self.tl
    }

    /// How many requests are in progress (raised and not yet done with, including answered
    /// ones whose transactions still absorb retransmissions).
    pub fn pending(&self) -> usize {
        self.entries.len()
    }

    /// How many requests still wait for a final response upstream: what a graceful shutdown
    /// waits for (answered requests only wait out their retransmission timers).
    pub fn unanswered(&self) -> usize {
        self.entries
            .values()
            .filter(|e| matches!(e, Entry::Stateful(ctx) if ctx.final_status.is_none()))
            .count()
    }

    /// How many request contexts the proxy holds, answered or not: a gauge of its memory.
    /// A request answered locally gives its context up at once; a forwarded one keeps it
    /// until its transactions end.
    pub fn contexts(&self) -> usize {
        self.entries.len()
    }

    // ----- Inputs -----

    /// Takes a message that arrived from `source` on the local address `local`.
    ///
    /// Returns an error, and changes nothing, if the transaction layer cannot match it (no
    /// Via, no CSeq, a CSeq method that differs from the method).
    pub fn handle_input(
        &mut self,
        now: Instant,
        source: Peer,
        local: SocketAddr,
        message: Message,
    ) -> Result<(), InputError> {
        self.input_local = local;
        if let Message::Request(req) = &message
            && !matchable(req)
        {
            // The transaction layer cannot match it, so it gets no transaction: answer it
            // statelessly (RFC 4475 mismatch01, scalar02: 400 "preferably stateless").
            self.reject_stateless(now, source, &message);
            return Ok(());
        }
        let r = self.tl.handle_input(Input::Received {
            now,
            source,
            message,
        });
        self.pump(now);
        r.map_err(InputError::from)
    }

    /// Answers a request that cannot have a transaction with the response `validate` maps its
    /// defect to (400 by default), sent back to where it came from. ACKs are never answered.
    fn reject_stateless(&mut self, now: Instant, source: Peer, message: &Message) {
        let Message::Request(req) = message else {
            return;
        };
        if *req.method() == Method::Ack || req.headers().get(HeaderName::Via).is_none() {
            return;
        }
        let rejection = message
            .validate()
            .err()
            .and_then(|e| reject_invalid(message, &e))
            .unwrap_or(Rejection {
                status: 400,
                reason: "Bad Request",
                detail: "the top Via or the CSeq cannot be used".into(),
                extra: None,
            });
        let mut response = Response::from_request(req, rejection.status);
        response.set_reason(rejection.reason);
        if let Some((name, value)) = &rejection.extra {
            response.headers_mut().push(*name, value.clone());
        }
        let tag = self.tag();
        response.set_to_tag(&tag);
        self.tl.send_stateless(source, response);
        self.out.push_back(ProxyOutput::Event(ProxyEvent::Finished {
            id: None,
            method: req.method().clone(),
            status: rejection.status,
            duration: std::time::Duration::ZERO,
            branches: 0,
            source,
            call_id: req.call_id().unwrap_or_default().to_owned(),
        }));
        self.pump(now);
    }

    /// The transport failed to send a [`ProxyTransmit`] that carried `key` (§16.9: the branch
    /// counts as answered 503).
    pub fn handle_transport_error(&mut self, now: Instant, key: TransactionKey) {
        // The layer ignores transport errors for transactions that are gone.
        let _ = self.tl.handle_input(Input::TransportError { now, key });
        self.pump(now);
    }

    /// Fires every timer due at `now` (the transaction layer's and Timer C).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tl.handle_timeout(now);
        self.pump(now);
        while let Some(Reverse((at, timer))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            match timer {
                ProxyTimer::C(id, branch) => self.on_timer_c(now, id, branch, at),
                ProxyTimer::Expire(id) => {
                    let due = matches!(self.entries.get(id.0),
                        Some(Entry::Stateless(s)) if s.expires == at);
                    if due {
                        self.entries.remove(id.0);
                    }
                }
            }
            self.pump(now);
        }
    }

    // ----- Commands -----

    /// Answers a request locally (as a UAS, §16.1): a provisional or a final response. A
    /// final response ends the request for the server (and cancels branches still pending,
    /// if it had forwarded it).
    pub fn respond(
        &mut self,
        now: Instant,
        id: RequestId,
        response: Response,
    ) -> Result<(), ProxyError> {
        let ctx = match self.entries.get_mut(id.0) {
            Some(Entry::Stateful(ctx)) => ctx,
            Some(Entry::Stateless(_)) => return Err(ProxyError::Stateless(id)),
            None => return Err(ProxyError::UnknownRequest(id)),
        };
        if ctx.final_status.is_some() {
            return Err(if ctx.cancelled {
                ProxyError::Cancelled(id)
            } else {
                ProxyError::AlreadyAnswered(id)
            });
        }
        let status = response.status();
        self.tl.respond(now, ctx.server, response)?;
        if status >= 200 {
            let forwarded = !ctx.branches.is_empty();
            self.finish(now, id, status);
            self.close(now, id);
            if !forwarded {
                // Answered here without a branch: nothing will refer to the context again
                // (a late CANCEL still finds the transaction in `by_server` and gets 200),
                // and the transaction may live on for 32 s (Timer J, H) with its response.
                self.entries.remove(id.0);
            }
        }
        self.pump(now);
        Ok(())
    }

    /// Changes the copy of a pending request that [`Proxy::forward`] will send, before it is
    /// forwarded: for example to consume the Proxy-Authorization credentials of the
    /// proxy's own realm (RFC 3261 §22.3) or to add a header. The routing headers the proxy
    /// manages (Via, Route, Record-Route, Max-Forwards) are rewritten by `forward` anyway.
    pub fn edit_request(
        &mut self,
        id: RequestId,
        edit: impl FnOnce(&mut Request),
    ) -> Result<(), ProxyError> {
        match self.entries.get_mut(id.0) {
            Some(Entry::Stateful(ctx)) => edit(&mut ctx.request),
            Some(Entry::Stateless(s)) => edit(&mut s.request),
            None => return Err(ProxyError::UnknownRequest(id)),
        }
        Ok(())
    }

    /// Forwards a request by `plan` (§16.5-16.6): groups of targets tried in turn, the
    /// targets of a group in parallel. May be called again before the request is answered to
    /// add groups. For an ACK (`stateless` in the event) the plan names exactly one target
    /// and the ACK is sent without a transaction and without Record-Route.
    ///
    /// A request whose Max-Forwards is 0 (let through for a local answer, such as OPTIONS)
    /// is answered 483 instead, and [`ProxyError::TooManyHops`] returned.
    pub fn forward(
        &mut self,
        now: Instant,
        id: RequestId,
        plan: ForwardPlan,
    ) -> Result<(), ProxyError> {
        let targets: Vec<_> = plan.groups.iter().flatten().collect();
        for t in &targets {
            if sip_message::Uri::parse(&t.uri).is_err() {
                return Err(ProxyError::BadTarget(t.uri.clone()));
            }
        }
        let stateless = match self.entries.get(id.0) {
            None => return Err(ProxyError::UnknownRequest(id)),
            Some(Entry::Stateless(_)) => {
                if targets.len() != 1 {
                    return Err(ProxyError::BadPlan);
                }
                true
            }
            Some(Entry::Stateful(ctx)) => {
                if targets.is_empty() {
                    return Err(ProxyError::BadPlan);
                }
                if ctx.final_status.is_some() {
                    return Err(if ctx.cancelled {
                        ProxyError::Cancelled(id)
                    } else {
                        ProxyError::AlreadyAnswered(id)
                    });
                }
                false
            }
        };
        if stateless {
            let target = targets[0].clone();
            if let Some(Entry::Stateless(ack)) = self.entries.remove(id.0) {
                self.send_ack(*ack, &target);
            }
            return Ok(());
        }
        if self.max_forwards_exhausted(id) {
            self.answer_synthetic(now, id, 483);
            self.pump(now);
            return Err(ProxyError::TooManyHops);
        }
        if let Some(Entry::Stateful(ctx)) = self.entries.get_mut(id.0) {
            ctx.record_route = plan.record_route;
            ctx.groups
                .extend(plan.groups.into_iter().filter(|g| !g.is_empty()));
        }
        self.advance(now, id);
        self.pump(now);
        Ok(())
    }

    /// Lets an ACK go without forwarding it. Stateful requests must be answered instead.
    pub fn discard(&mut self, id: RequestId) -> Result<(), ProxyError> {
        match self.entries.get(id.0) {
            Some(Entry::Stateless(_)) => {
                self.entries.remove(id.0);
                Ok(())
            }
            Some(Entry::Stateful(_)) => Err(ProxyError::Stateful(id)),
            None => Err(ProxyError::UnknownRequest(id)),
        }
    }

    // ----- Outputs -----

    /// The next thing to do, in order; `None` when there is nothing left.
    pub fn poll_output(&mut self) -> Option<ProxyOutput> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called, if ever.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, timer))) = self.timers.peek().copied() {
            if self.timer_live(at, timer) {
                break;
            }
            self.timers.pop();
        }
        let own = self.timers.peek().map(|Reverse((at, _))| *at);
        match (self.tl.poll_timeout(), own) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ----- Internals -----

    fn timer_live(&self, at: Instant, timer: ProxyTimer) -> bool {
        match timer {
            ProxyTimer::C(id, b) => matches!(self.entries.get(id.0),
                Some(Entry::Stateful(ctx)) if ctx.branches.get(b).is_some_and(|br| br.timer_c == Some(at))),
            ProxyTimer::Expire(id) => {
                matches!(self.entries.get(id.0), Some(Entry::Stateless(s)) if s.expires == at)
            }
        }
    }

    /// A fresh random value for branch parameters and tags (SplitMix64).
    pub(crate) fn random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn ctx(&self, id: RequestId) -> Option<&Context> {
        match self.entries.get(id.0) {
            Some(Entry::Stateful(ctx)) => Some(ctx),
            _ => None,
        }
    }

    pub(crate) fn ctx_mut(&mut self, id: RequestId) -> Option<&mut Context> {
        match self.entries.get_mut(id.0) {
            Some(Entry::Stateful(ctx)) => Some(ctx),
            _ => None,
        }
    }

    /// The listener for a local address and transport: the exact one, else one on that
    /// address, else one of that transport, else a made-up one.
    pub(crate) fn local_for(
        &self,
        addr: SocketAddr,
        transport: sip_transaction::Transport,
    ) -> LocalAddr {
        let l = &self.config.locals;
        l.iter()
            .find(|l| l.addr == addr && l.transport == transport)
            .or_else(|| l.iter().find(|l| l.addr == addr))
            .or_else(|| l.iter().find(|l| l.transport == transport))
            .cloned()
            .unwrap_or_else(|| LocalAddr::new(transport, addr))
    }

    /// Moves everything the transaction layer has into the proxy's own queue, handling its
    /// events (which may give it more to do) on the way.
    pub(crate) fn pump(&mut self, now: Instant) {
        while let Some(o) = self.tl.poll_output() {
            match o {
                Output::Transmit(t) => {
                    let local = t
                        .key
                        .and_then(|k| self.key_local.get(&k).copied())
                        .unwrap_or(self.input_local);
                    self.out.push_back(ProxyOutput::Transmit(ProxyTransmit {
                        destination: t.destination,
                        local,
                        bytes: t.bytes,
                        key: t.key,
                    }));
                }
                Output::Event(e) => self.on_event(now, e),
            }
        }
    }

    fn on_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::NewRequest {
                key,
                source,
                request,
            } => self.on_new_request(now, key, source, request),
            Event::CancelRequest {
                cancel_key,
                invite_key,
                source,
                request,
            } => self.on_cancel(now, cancel_key, invite_key, source, &request),
            Event::Ack {
                key: _,
                source,
                request,
            } => self.on_ack(now, source, request),
            Event::Response { key, response } if self.originated.contains_key(&key) => {
                self.origin_answered(key, response.status());
            }
            Event::Response { key, response } => self.on_response(now, key, response),
            Event::StrayResponse {
                source: _,
                response,
            } => self.forward_stray(response),
            Event::Timeout {
                key: TransactionKey::Client(k),
                timer: _,
            } if self.originated.contains_key(&k) => self.origin_answered(k, 408),
            Event::TransportError {
                key: TransactionKey::Client(k),
            } if self.originated.contains_key(&k) => self.origin_answered(k, 503),
            Event::Timeout {
                key: TransactionKey::Client(k),
                timer: _,
            } => self.branch_failed(now, k, 408),
            Event::TransportError {
                key: TransactionKey::Client(k),
            } => self.branch_failed(now, k, 503),
            Event::Terminated { key } => self.on_terminated(key),
            _ => {}
        }
    }

    fn on_terminated(&mut self, key: TransactionKey) {
        self.key_local.remove(&key);
        sip_transaction::arena::shrink_map(&mut self.key_local);
        let id = match key {
            TransactionKey::Server(k) => {
                let removed = self.by_server.remove(&k);
                sip_transaction::arena::shrink_map(&mut self.by_server);
                let Some(id) = removed else {
                    return;
                };
                if let Some(ctx) = self.ctx_mut(id) {
                    ctx.server_gone = true;
                }
                id
            }
            TransactionKey::Client(k) => {
                self.cancels.remove(&k);
                self.originated.remove(&k);
                let removed = self.by_client.remove(&k);
                sip_transaction::arena::shrink_map(&mut self.by_client);
                let Some((id, b)) = removed else {
                    return;
                };
                if let Some(br) = self.ctx_mut(id).and_then(|c| c.branches.get_mut(b)) {
                    br.client = None;
                }
                id
            }
        };
        if self.ctx(id).is_some_and(Context::finished_with) {
            self.entries.remove(id.0);
        }
    }

    /// Reports the final response of a request and remembers its status.
    pub(crate) fn finish(&mut self, now: Instant, id: RequestId, status: u16) {
        if let Some(ctx) = self.ctx_mut(id) {
            if ctx.final_status.is_some() {
                return;
            }
            ctx.final_status = Some(status);
            let event = ProxyEvent::Finished {
                id: Some(id),
                method: ctx.method.clone(),
                status,
                duration: now.saturating_duration_since(ctx.received),
                branches: ctx.branches.len(),
                source: ctx.source,
                call_id: ctx.request.call_id().unwrap_or_default().to_owned(),
            };
            self.out.push_back(ProxyOutput::Event(event));
        }
        self.compact(id);
    }

    /// Frees what a request no longer needs once it is answered and every branch has its
    /// outcome: the request and the branches' copies (kept for branches and CANCELs) and
    /// the collected responses. The context itself lives until its transactions end, which
    /// is 32 s after the answer over UDP; without this, every request of the last 32 s
    /// would stay in memory whole (and keep its receive buffer alive).
    pub(crate) fn compact(&mut self, id: RequestId) {
        let Some(ctx) = self.ctx_mut(id) else { return };
        for br in ctx.branches.iter_mut().filter(|b| b.done) {
            if !br.request.headers().is_empty() {
                br.request = Request::new(br.request.method().clone(), Bytes::new());
            }
        }
        if ctx.final_status.is_none() || !ctx.all_done() || ctx.request.headers().is_empty() {
            return;
        }
        ctx.request = Request::new(ctx.method.clone(), Bytes::new());
        ctx.responses = Vec::new();
        ctx.groups = Default::default();
    }
}

/// Whether the transaction layer can match this request: a top Via that decodes and a CSeq
/// naming the request's method.
fn matchable(req: &Request) -> bool {
    req.via().is_ok()
        && req
            .cseq()
            .is_ok_and(|c| c.method() == req.method().as_str())
}
