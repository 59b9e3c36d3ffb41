//! The transaction layer: owns every transaction, matches messages to them, and is the one
//! door in and one door out.

use std::collections::VecDeque;
use std::time::Instant;

use sip_message::header::{CSeq, Via};
use sip_message::{Message, Method, Request, Response};

use crate::client_invite::ClientInvite;
use crate::client_non_invite::ClientNonInvite;
use crate::ctx::Ctx;
use crate::key::Arena;
use crate::machine::{ClientMachine, ServerMachine};
use crate::matching;
use crate::server_invite::ServerInvite;
use crate::server_non_invite::ServerNonInvite;
use crate::timers::Scheduler;
use crate::{
    ApiError, ClientKey, Config, Event, Input, Output, Peer, PeerError, ServerKey, Timer,
    TransactionKey, Transmit,
};

/// Maps keyed by branch-derived strings: foldhash with per-process random seeds is several
/// times cheaper than SipHash and still not predictable by a peer choosing branches.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The state of a live transaction, as drawn in RFC 3261 §17 and RFC 6026. A transaction
/// that reached Terminated is gone; its key then yields `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionState {
    /// INVITE client: the INVITE was sent, no response yet.
    Calling,
    /// Non-INVITE client: the request was sent, no response yet. Non-INVITE server: the
    /// request was passed to the TU, no response yet.
    Trying,
    /// A provisional response was received (client) or sent (server).
    Proceeding,
    /// A 2xx to an INVITE was received (client) or sent (server) (RFC 6026).
    Accepted,
    /// A final response (non-2xx for INVITE) was received (client) or sent (server).
    Completed,
    /// INVITE server: the ACK for the non-2xx final response arrived.
    Confirmed,
}

struct ClientEntry {
    machine: ClientMachine,
    /// Its key in `client_index`.
    index_key: Box<str>,
}

struct ServerEntry {
    machine: ServerMachine,
    /// Its key in `server_index`.
    index_key: Box<str>,
    /// The request came from an RFC 2543 element (no magic cookie in its branch).
    rfc2543: bool,
    /// For RFC 2543 matching of the ACK: the To tag of the final response sent.
    response_to_tag: Option<Box<str>>,
    /// Its keys in `ack_index`: one per 2xx To tag sent.
    ack_keys: Vec<Box<str>>,
}

/// How an ACK matched.
enum AckMatch {
    /// The INVITE server transaction by the §17.2.3 rules.
    Transaction(ServerKey),
    /// The INVITE server transaction that sent the 2xx this ACK acknowledges.
    Accepted(ServerKey),
    /// Nothing.
    Stray,
}

/// The sans-IO SIP transaction layer (RFC 3261 §17 with the RFC 6026 corrections).
///
/// It owns every client and server transaction, names them by small copyable keys, matches
/// incoming messages to them, runs their state machines and timers, and says what to send and
/// what to tell the transaction user (TU). It never reads a clock and never touches a socket.
///
/// # Methods, by kind
///
/// - **Inputs**: [`handle_input`](Self::handle_input) for a received message or a transport
///   failure, [`handle_timeout`](Self::handle_timeout) when the time from
///   [`poll_timeout`](Self::poll_timeout) has come.
/// - **Commands** from the TU: [`start_client`](Self::start_client),
///   [`respond`](Self::respond), [`send_stateless`](Self::send_stateless).
/// - **Outputs**: [`poll_output`](Self::poll_output) and [`poll_timeout`](Self::poll_timeout).
/// - **Getters**: [`state`](Self::state), [`len`](Self::len), [`config`](Self::config).
///
/// # Call order
///
/// After every input or command, drain [`poll_output`](Self::poll_output) until it returns
/// `None` (send each [`Transmit`], hand each [`Event`] to the TU), then sleep until
/// [`poll_timeout`](Self::poll_timeout) and call [`handle_timeout`](Self::handle_timeout) with
/// the time then. Outputs come in the order things happened; a TU may issue commands while
/// draining.
///
/// ```
/// use std::time::Instant;
/// use bytes::Bytes;
/// use sip_message::{Message, Method, Request, Response};
/// use sip_transaction::{Event, Input, Output, Peer, TransactionLayer};
///
/// let now = Instant::now(); // the driver's clock, never read inside the layer
/// let (alice, bob) = (Peer::udp("192.0.2.1:5060".parse()?), Peer::udp("192.0.2.2:5060".parse()?));
/// let mut uac = TransactionLayer::new(Default::default());
/// let mut uas = TransactionLayer::new(Default::default());
///
/// let req = Request::builder(Method::Message, "sip:bob@192.0.2.2")
///     .via("UDP", "192.0.2.1:5060", "z9hG4bK-doc1")
///     .from("<sip:alice@example.com>", "a1")
///     .to("<sip:bob@example.com>")
///     .call_id("doc-1")
///     .cseq(1)
///     .build();
/// let client = uac.start_client(now, req, bob)?;
///
/// // The wire: UAC -> UAS.
/// let Some(Output::Transmit(t)) = uac.poll_output() else { panic!() };
/// uas.handle_input(Input::Received { now, source: alice, message: Message::parse(t.bytes)? })?;
/// let Some(Output::Event(Event::NewRequest { key, request, .. })) = uas.poll_output() else { panic!() };
/// uas.respond(now, key, Response::from_request(&request, 200))?;
///
/// // The wire: UAS -> UAC.
/// let Some(Output::Transmit(t)) = uas.poll_output() else { panic!() };
/// uac.handle_input(Input::Received { now, source: bob, message: Message::parse(t.bytes)? })?;
/// let Some(Output::Event(Event::Response { key, response })) = uac.poll_output() else { panic!() };
/// assert_eq!((key, response.status()), (client, 200));
///
/// // Timer K (T4 = 5 s on UDP) will end the client transaction.
/// assert_eq!(uac.poll_timeout(), Some(now + std::time::Duration::from_secs(5)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TransactionLayer {
    config: Config,
    clients: Arena<ClientEntry>,
    servers: Arena<ServerEntry>,
    /// §17.1.3 keys of the client transactions.
    client_index: HashMap<Box<str>, ClientKey>,
    /// §17.2.3 keys of the server transactions.
    server_index: HashMap<Box<str>, ServerKey>,
    /// Dialog-and-CSeq keys of the 2xx responses sent by INVITE server transactions in the
    /// Accepted state, so that the ACK for a 2xx names its INVITE.
    ack_index: HashMap<Box<str>, ServerKey>,
    sched: Scheduler,
    out: VecDeque<Output>,
    /// Where match keys are built for lookups, so that lookups do not allocate.
    scratch: String,
}

impl std::fmt::Debug for TransactionLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionLayer")
            .field("clients", &self.clients.len())
            .field("servers", &self.servers.len())
            .field("queued_outputs", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl TransactionLayer {
    /// An empty layer. A `t1`, `t2` or `t4` below one millisecond is raised to one
    /// millisecond: a zero interval would re-arm a retransmission timer at the instant it
    /// fires, and `handle_timeout` would never return.
    pub fn new(mut config: Config) -> Self {
        let floor = std::time::Duration::from_millis(1);
        for t in [&mut config.t1, &mut config.t2, &mut config.t4] {
            if *t < floor {
                *t = floor;
            }
        }
        TransactionLayer {
            config,
            clients: Arena::new(),
            servers: Arena::new(),
            client_index: HashMap::default(),
            server_index: HashMap::default(),
            ack_index: HashMap::default(),
            sched: Scheduler::default(),
            out: VecDeque::new(),
            scratch: String::with_capacity(128),
        }
    }

    // ----- Getters -----

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The state of a transaction, or `None` if the key names no live transaction.
    pub fn state(&self, key: impl Into<TransactionKey>) -> Option<TransactionState> {
        match key.into() {
            TransactionKey::Client(k) => self.clients.get(k.0)?.machine.state(),
            TransactionKey::Server(k) => self.servers.get(k.0)?.machine.state(),
        }
    }

    /// The number of live transactions, client and server.
    pub fn len(&self) -> usize {
        self.clients.len() + self.servers.len()
    }

    /// Whether there are no live transactions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // ----- Inputs -----

    /// Takes a received message or a transport failure.
    ///
    /// A request that matches a server transaction is a retransmission and is absorbed (the
    /// transaction resends its last response); one that matches nothing creates a server
    /// transaction and an [`Event::NewRequest`] (or [`Event::CancelRequest`]). ACKs for
    /// non-2xx responses are absorbed, other ACKs become [`Event::Ack`]. A response goes to
    /// its client transaction, or becomes [`Event::StrayResponse`].
    ///
    /// Returns an error, and changes nothing, if the message lacks what matching needs (a
    /// top Via and a CSeq whose method is the request's, and for RFC 2543 requests From, To
    /// and Call-ID). A [`Input::TransportError`] for a transaction that is gone is ignored.
    pub fn handle_input(&mut self, input: Input) -> Result<(), PeerError> {
        match input {
            Input::Received {
                now,
                source,
                message: Message::Request(request),
            } => self.on_request(now, source, request),
            Input::Received {
                now,
                source,
                message: Message::Response(response),
            } => self.on_response(now, source, response),
            Input::TransportError { now, key } => {
                self.on_transport_error(now, key);
                Ok(())
            }
        }
    }

    /// Fires every timer due at `now`. Call it when the time from
    /// [`poll_timeout`](Self::poll_timeout) has come (calling it early or late is harmless).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, key, timer)) = self.sched.pop_due(now) {
            match key {
                TransactionKey::Client(k) => self.fire_client(now, k, at, timer),
                TransactionKey::Server(k) => self.fire_server(now, k, at, timer),
            }
        }
    }

    // ----- Commands -----

    /// Starts a client transaction for `request` and sends it to `destination`.
    ///
    /// The request must carry its final top Via with an RFC 3261 branch (`z9hG4bK...`, unique
    /// per transaction, RFC 3261 §8.1.1.7) and a CSeq naming its method. ACK is not a
    /// transaction: send the ACK for a 2xx with [`send_stateless`](Self::send_stateless).
    /// For CANCEL see [`build_cancel`](crate::build_cancel).
    pub fn start_client(
        &mut self,
        now: Instant,
        request: Request,
        destination: Peer,
    ) -> Result<ClientKey, ApiError> {
        let invite = match request.method() {
            Method::Ack => return Err(ApiError::AckTransaction),
            Method::Invite => true,
            _ => false,
        };
        {
            let via = request
                .via()
                .map_err(|_| ApiError::InvalidRequest("missing or malformed top Via"))?;
            if !via.has_rfc3261_branch() {
                return Err(ApiError::InvalidRequest(
                    "top Via branch must start with the z9hG4bK magic cookie",
                ));
            }
            let cseq = request
                .cseq()
                .map_err(|_| ApiError::InvalidRequest("missing or malformed CSeq"))?;
            if cseq.method() != request.method().as_str() {
                return Err(ApiError::InvalidRequest(
                    "CSeq method differs from the method",
                ));
            }
            let branch = via.branch().unwrap_or_default();
            matching::client_key(&mut self.scratch, branch, cseq.method());
        }
        if self.client_index.contains_key(self.scratch.as_str()) {
            return Err(ApiError::DuplicateTransaction);
        }
        let index_key: Box<str> = self.scratch.as_str().into();
        let key = ClientKey(self.clients.vacant_handle());
        let mut ctx = Ctx {
            now,
            config: &self.config,
            key,
            out: &mut self.out,
            sched: &mut self.sched,
        };
        let machine = if invite {
            ClientMachine::Invite(ClientInvite::start(&mut ctx, request, destination))
        } else {
            let wire = request.to_bytes();
            ClientMachine::NonInvite(ClientNonInvite::start(&mut ctx, wire, destination))
        };
        self.client_index.insert(index_key.clone(), key);
        let handle = self.clients.insert(ClientEntry { machine, index_key });
        debug_assert_eq!(handle, key.0);
        Ok(key)
    }

    /// Sends a response on a server transaction.
    ///
    /// Provisional responses may be sent until a final one. After a 2xx to an INVITE the
    /// transaction is Accepted (RFC 6026) and takes further 2xx responses (the TU's
    /// retransmissions, RFC 3261 §13.3.1.4) until Timer L; anything else after a final
    /// response is [`ApiError::FinalAlreadySent`].
    pub fn respond(
        &mut self,
        now: Instant,
        key: ServerKey,
        response: Response,
    ) -> Result<(), ApiError> {
        let status = response.status();
        if !(100..=699).contains(&status) {
            return Err(ApiError::InvalidStatus(status));
        }
        let entry = self
            .servers
            .get_mut(key.0)
            .ok_or(ApiError::UnknownTransaction(key.into()))?;
        let mut ctx = Ctx {
            now,
            config: &self.config,
            key,
            out: &mut self.out,
            sched: &mut self.sched,
        };
        entry.machine.respond(&mut ctx, &response)?;
        if status >= 200 && entry.rfc2543 {
            entry.response_to_tag = response.to().ok().and_then(|t| t.tag()).map(Into::into);
        }
        if (200..300).contains(&status)
            && matches!(entry.machine, ServerMachine::Invite(_))
            && matching::ack_key_of(&mut self.scratch, response.headers()).is_ok()
            && !entry.ack_keys.iter().any(|k| **k == *self.scratch)
        {
            let k: Box<str> = self.scratch.as_str().into();
            self.ack_index.insert(k.clone(), key);
            entry.ack_keys.push(k);
        }
        if entry.machine.is_terminated() {
            self.remove_server(key);
        }
        Ok(())
    }

    /// Destroys a client transaction the TU has given up on: an INVITE that was CANCELled
    /// and never answered (RFC 3261 §9.1 lets the UAC give up 64·T1 after the CANCEL; an
    /// INVITE client transaction in Proceeding has no timer of its own and would otherwise
    /// live forever). Emits [`Event::Terminated`]. Returns whether it existed.
    pub fn abandon(&mut self, key: ClientKey) -> bool {
        let Some(entry) = self.clients.remove(key.0) else {
            return false;
        };
        self.client_index.remove(&entry.index_key);
        self.out
            .push_back(Output::Event(Event::Terminated { key: key.into() }));
        true
    }

    /// Sends a message outside any transaction: a stateless proxy forwarding a request or a
    /// response, the TU's ACK for a 2xx, a stateless `400` to a request that could not be
    /// matched. It only queues an [`Output::Transmit`] without a key.
    pub fn send_stateless(&mut self, destination: Peer, message: impl Into<Message>) {
        self.out.push_back(Output::Transmit(Transmit {
            destination,
            bytes: message.into().to_bytes(),
            key: None,
        }));
    }

    // ----- Outputs -----

    /// The next thing to do, in the order it happened; `None` when there is nothing left.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called, if any timer runs.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some((at, key, timer)) = self.sched.peek() {
            let live = match key {
                TransactionKey::Client(k) => self
                    .clients
                    .get(k.0)
                    .is_some_and(|e| e.machine.timers().get(timer) == Some(at)),
                TransactionKey::Server(k) => self
                    .servers
                    .get(k.0)
                    .is_some_and(|e| e.machine.timers().get(timer) == Some(at)),
            };
            if live {
                return Some(at);
            }
            self.sched.pop();
        }
        None
    }

    // ----- Internals -----

    fn on_response(
        &mut self,
        now: Instant,
        source: Peer,
        response: Response,
    ) -> Result<(), PeerError> {
        let found = {
            let via = response
                .via()
                .map_err(PeerError::header(sip_message::HeaderName::Via))?;
            let cseq = response
                .cseq()
                .map_err(PeerError::header(sip_message::HeaderName::CSeq))?;
            match via.branch() {
                Some(branch) => {
                    matching::client_key(&mut self.scratch, branch, cseq.method());
                    self.client_index.get(self.scratch.as_str()).copied()
                }
                None => None,
            }
        };
        match found {
            Some(key) => self.with_client(now, key, |m, ctx| m.on_response(ctx, response)),
            None => self
                .out
                .push_back(Output::Event(Event::StrayResponse { source, response })),
        }
        Ok(())
    }

    /// Builds the §17.2.3 key of `req` for `method` into the scratch buffer. `to_tag` replaces
    /// the request's own To tag in the RFC 2543 key. Returns whether the RFC 2543 rule was used.
    fn server_key(
        scratch: &mut String,
        req: &Request,
        via: &Via<'_>,
        cseq: &CSeq<'_>,
        method: &str,
        to_tag: Option<Option<&str>>,
    ) -> Result<bool, PeerError> {
        match via.branch() {
            Some(branch) if via.has_rfc3261_branch() => {
                matching::rfc3261_key(scratch, via, branch, method);
                Ok(false)
            }
            _ => {
                let tag = match to_tag {
                    Some(t) => t,
                    None => matching::to_tag(req)?,
                };
                matching::rfc2543_key(scratch, req, via, cseq, method, tag)?;
                Ok(true)
            }
        }
    }

    fn on_request(
        &mut self,
        now: Instant,
        source: Peer,
        request: Request,
    ) -> Result<(), PeerError> {
        let (via, cseq) = matching::request_ids(&request)?;
        if *request.method() == Method::Ack {
            let found = self.match_ack(&request, &via, &cseq)?;
            match found {
                AckMatch::Transaction(key) => {
                    self.with_server(now, key, |m, ctx| m.on_ack(ctx, source, request));
                }
                AckMatch::Accepted(key) => self.out.push_back(Output::Event(Event::Ack {
                    key: Some(key),
                    source,
                    request,
                })),
                AckMatch::Stray => self.out.push_back(Output::Event(Event::Ack {
                    key: None,
                    source,
                    request,
                })),
            }
            return Ok(());
        }

        let method = request.method().as_str();
        let rfc2543 = Self::server_key(&mut self.scratch, &request, &via, &cseq, method, None)?;
        if let Some(&key) = self.server_index.get(self.scratch.as_str()) {
            self.with_server(now, key, |m, ctx| m.on_retransmission(ctx));
            return Ok(());
        }
        let index_key: Box<str> = self.scratch.as_str().into();
        let is_cancel = *request.method() == Method::Cancel;
        let invite_key = if is_cancel {
            Self::server_key(&mut self.scratch, &request, &via, &cseq, "INVITE", None)?;
            self.server_index.get(self.scratch.as_str()).copied()
        } else {
            None
        };

        let key = ServerKey(self.servers.vacant_handle());
        let mut ctx = Ctx {
            now,
            config: &self.config,
            key,
            out: &mut self.out,
            sched: &mut self.sched,
        };
        let machine = if *request.method() == Method::Invite {
            let trying = self
                .config
                .send_100_trying
                .then(|| Response::from_request(&request, 100).to_bytes());
            ServerMachine::Invite(ServerInvite::start(&mut ctx, source, trying))
        } else {
            ServerMachine::NonInvite(ServerNonInvite::start(source))
        };
        self.server_index.insert(index_key.clone(), key);
        let handle = self.servers.insert(ServerEntry {
            machine,
            index_key,
            rfc2543,
            response_to_tag: None,
            ack_keys: Vec::new(),
        });
        debug_assert_eq!(handle, key.0);
        let event = if is_cancel {
            Event::CancelRequest {
                cancel_key: key,
                invite_key,
                source,
                request,
            }
        } else {
            Event::NewRequest {
                key,
                source,
                request,
            }
        };
        self.out.push_back(Output::Event(event));
        Ok(())
    }

    /// Finds what an ACK belongs to: its INVITE server transaction by the §17.2.3 rules, else
    /// the Accepted INVITE server transaction whose 2xx it acknowledges.
    fn match_ack(
        &mut self,
        ack: &Request,
        via: &Via<'_>,
        cseq: &CSeq<'_>,
    ) -> Result<AckMatch, PeerError> {
        let ack_tag = matching::to_tag(ack)?;
        // An RFC 2543 ACK carries the To tag of the response, which the INVITE did not (or,
        // for a re-INVITE, the same tag the INVITE had).
        let rfc2543 = Self::server_key(&mut self.scratch, ack, via, cseq, "INVITE", Some(None))?;
        if let Some(&key) = self.server_index.get(self.scratch.as_str()) {
            let tag_ok = !rfc2543
                || self
                    .servers
                    .get(key.0)
                    .is_some_and(|e| e.response_to_tag.as_deref() == ack_tag);
            if tag_ok {
                return Ok(AckMatch::Transaction(key));
            }
        }
        if rfc2543 && ack_tag.is_some() {
            Self::server_key(&mut self.scratch, ack, via, cseq, "INVITE", Some(ack_tag))?;
            if let Some(&key) = self.server_index.get(self.scratch.as_str()) {
                return Ok(AckMatch::Transaction(key));
            }
        }
        if matching::ack_key_of(&mut self.scratch, ack.headers()).is_ok() {
            if let Some(&key) = self.ack_index.get(self.scratch.as_str()) {
                return Ok(AckMatch::Accepted(key));
            }
        }
        Ok(AckMatch::Stray)
    }

    fn on_transport_error(&mut self, now: Instant, key: TransactionKey) {
        match key {
            TransactionKey::Client(k) => {
                self.with_client(now, k, |m, ctx| m.on_transport_error(ctx))
            }
            TransactionKey::Server(k) => {
                self.with_server(now, k, |m, ctx| m.on_transport_error(ctx))
            }
        }
    }

    fn fire_client(&mut self, now: Instant, key: ClientKey, at: Instant, timer: Timer) {
        let Some(entry) = self.clients.get_mut(key.0) else {
            return;
        };
        if entry.machine.timers().get(timer) != Some(at) {
            return; // Cleared or re-armed since.
        }
        entry.machine.timers_mut().clear(timer);
        self.with_client(now, key, |m, ctx| m.on_timer(ctx, timer));
    }

    fn fire_server(&mut self, now: Instant, key: ServerKey, at: Instant, timer: Timer) {
        let Some(entry) = self.servers.get_mut(key.0) else {
            return;
        };
        if entry.machine.timers().get(timer) != Some(at) {
            return;
        }
        entry.machine.timers_mut().clear(timer);
        self.with_server(now, key, |m, ctx| m.on_timer(ctx, timer));
    }

    /// Runs `f` on a client machine, then destroys it if it reached Terminated.
    fn with_client(
        &mut self,
        now: Instant,
        key: ClientKey,
        f: impl FnOnce(&mut ClientMachine, &mut Ctx<'_, ClientKey>),
    ) {
        let Some(entry) = self.clients.get_mut(key.0) else {
            return;
        };
        let mut ctx = Ctx {
            now,
            config: &self.config,
            key,
            out: &mut self.out,
            sched: &mut self.sched,
        };
        f(&mut entry.machine, &mut ctx);
        if entry.machine.is_terminated() {
            if let Some(entry) = self.clients.remove(key.0) {
                self.client_index.remove(&entry.index_key);
                crate::arena::shrink_map(&mut self.client_index);
            }
            self.out
                .push_back(Output::Event(Event::Terminated { key: key.into() }));
        }
    }

    /// Runs `f` on a server machine, then destroys it if it reached Terminated.
    fn with_server(
        &mut self,
        now: Instant,
        key: ServerKey,
        f: impl FnOnce(&mut ServerMachine, &mut Ctx<'_, ServerKey>),
    ) {
        let Some(entry) = self.servers.get_mut(key.0) else {
            return;
        };
        let mut ctx = Ctx {
            now,
            config: &self.config,
            key,
            out: &mut self.out,
            sched: &mut self.sched,
        };
        f(&mut entry.machine, &mut ctx);
        if entry.machine.is_terminated() {
            self.remove_server(key);
        }
    }

    fn remove_server(&mut self, key: ServerKey) {
        if let Some(entry) = self.servers.remove(key.0) {
            self.server_index.remove(&entry.index_key);
            for k in &entry.ack_keys {
                if self.ack_index.get(k) == Some(&key) {
                    self.ack_index.remove(k);
                }
            }
            crate::arena::shrink_map(&mut self.server_index);
            crate::arena::shrink_map(&mut self.ack_index);
        }
        self.out
            .push_back(Output::Event(Event::Terminated { key: key.into() }));
    }
}
