//! The transaction layer driven like a driver and a TU would: received requests and responses
//! from a small grammar (branches, sent-bys, tags and Call-IDs from small sets, so that they
//! collide), client transactions and CANCELs started, responses given to reported server
//! transactions, transport errors, abandoned clients, and time moved by fuzzer-chosen amounts.
//! A model of the live transactions, kept from the events alone, is checked against the layer
//! after every step; at the end, idle time must end every transaction that has a timer, and a
//! TU that answers everything must leave the layer empty.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use sip_message::{Message, Method, Request, Response};
use sip_transaction::{
    ClientKey, Event, Input, Output, Peer, ServerKey, Timer, TransactionKey, TransactionLayer,
    TransactionState, build_cancel,
};

#[path = "transactions/grammar.rs"]
mod grammar;

use grammar::{METHODS, Op, ReqSpec, STATUSES, Script, TAGS, config, peer, pick};

struct ServerInfo {
    request: Request,
    source: Peer,
    spec: Option<ReqSpec>,
    /// The To tag of the last response given.
    to_tag: Option<u8>,
}

struct ClientInfo {
    request: Request,
    destination: Peer,
    branch: String,
}

/// What the events said so far.
struct Model {
    layer: TransactionLayer,
    now: Instant,
    /// The last time given to `handle_timeout`.
    fired: Instant,
    servers: BTreeMap<ServerKey, ServerInfo>,
    clients: BTreeMap<ClientKey, ClientInfo>,
    dead: BTreeSet<TransactionKey>,
    /// Every key ever reported, live or gone, for transport errors on stale keys.
    all_servers: Vec<ServerKey>,
    all_clients: Vec<ClientKey>,
    received: Vec<ReqSpec>,
    /// The spec of the request being handed in, for the NewRequest it causes.
    incoming: Option<ReqSpec>,
    /// Transmits of a server transaction not reported yet: an INVITE's `100 Trying` goes out
    /// before the TU hears of the INVITE.
    early: Vec<sip_transaction::Transmit>,
}

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

fuzz_target!(|script: Script| {
    let mut m = Model {
        layer: TransactionLayer::new(config(script.config)),
        now: base(),
        fired: base(),
        servers: BTreeMap::new(),
        clients: BTreeMap::new(),
        dead: BTreeSet::new(),
        all_servers: Vec::new(),
        all_clients: Vec::new(),
        received: Vec::new(),
        incoming: None,
        early: Vec::new(),
    };
    for op in script.ops.iter().take(64) {
        m.apply(op);
        m.drain();
        m.check();
    }
    m.close(pick(STATUSES, script.closing_status).max(200));
});

impl Model {
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Request(spec) => self.receive(spec.clone(), pick(METHODS, spec.method)),
            Op::Response {
                spec,
                status,
                to_tag,
            } => {
                let method = pick(METHODS, spec.method);
                let mut text = spec.text(method);
                let start = text.find("\r\n").expect("start line");
                let status = pick(STATUSES, *status);
                text.replace_range(..start, &format!("SIP/2.0 {status} Whatever"));
                if let Some(t) = to_tag {
                    text = text.replace(
                        "<sip:bob@example.com>\r\n",
                        &format!("<sip:bob@example.com>;tag={}\r\n", pick(TAGS, *t)),
                    );
                }
                self.input_text(&text, peer(spec.source));
            }
            Op::Retransmit { which } => {
                if let Some(spec) = self
                    .received
                    .get(usize::from(*which) % self.received.len().max(1))
                {
                    let spec = spec.clone();
                    self.receive(spec.clone(), pick(METHODS, spec.method));
                }
            }
            Op::Ack {
                server,
                other_branch,
            } => {
                let Some(info) = self.some_server(*server) else {
                    return;
                };
                let Some(mut spec) = info.spec.clone() else {
                    return;
                };
                spec.to_tag = info.to_tag.or(spec.to_tag);
                spec.cseq_mismatch = false;
                if let Some(b) = other_branch {
                    spec.branch = *b;
                }
                self.receive(spec, "ACK");
            }
            Op::CancelIn { server } => {
                let Some(info) = self.some_server(*server) else {
                    return;
                };
                let Some(mut spec) = info.spec.clone() else {
                    return;
                };
                spec.cseq_mismatch = false;
                self.receive(spec, "CANCEL");
            }
            Op::Answer {
                client,
                status,
                to_tag,
            } => {
                let Some(info) = nth(&self.clients, *client) else {
                    return;
                };
                let mut r = Response::from_request(&info.request, pick(STATUSES, *status));
                r.set_to_tag(pick(TAGS, *to_tag));
                let source = info.destination;
                let bytes = r.to_bytes();
                let msg = Message::parse(bytes.clone())
                    .unwrap_or_else(|e| panic!("built response does not parse: {e}: {bytes:?}"));
                self.input(msg, source);
            }
            Op::Start {
                method,
                branch,
                cseq,
                dest,
            } => {
                let spec = ReqSpec {
                    method: *method,
                    cseq_mismatch: false,
                    branch: *branch,
                    sent_by: 0,
                    tcp_via: false,
                    cseq: *cseq,
                    call_id: 0,
                    from_tag: 0,
                    to_tag: None,
                    ruri: 0,
                    omit: 0,
                    source: 0,
                };
                let text = spec.text(pick(METHODS, *method));
                let Ok(Message::Request(req)) = Message::parse(text.clone().into()) else {
                    panic!("grammar request does not parse: {text:?}");
                };
                self.start(req, peer(*dest));
            }
            Op::CancelOut { client, dest } => {
                let Some(info) = nth(&self.clients, *client) else {
                    return;
                };
                if let Ok(cancel) = build_cancel(&info.request) {
                    // Usually to where the INVITE went, as §9.1 requires; sometimes elsewhere.
                    let to = if dest % 4 == 0 {
                        peer(*dest / 4)
                    } else {
                        info.destination
                    };
                    self.start(cancel, to);
                }
            }
            Op::Respond {
                server,
                status,
                to_tag,
            } => {
                let Some((&key, info)) = nth_entry(&self.servers, *server) else {
                    return;
                };
                let mut r = Response::from_request(&info.request, pick(STATUSES, *status));
                if let Some(t) = to_tag {
                    r.set_to_tag(pick(TAGS, *t));
                }
                if self.layer.respond(self.now, key, r).is_ok()
                    && to_tag.is_some()
                    && let Some(info) = self.servers.get_mut(&key)
                {
                    info.to_tag = *to_tag;
                }
            }
            Op::TransportError { server, which } => {
                let key: Option<TransactionKey> = if *server {
                    self.all_servers
                        .get(usize::from(*which) % self.all_servers.len().max(1))
                        .map(|k| (*k).into())
                } else {
                    self.all_clients
                        .get(usize::from(*which) % self.all_clients.len().max(1))
                        .map(|k| (*k).into())
                };
                if let Some(key) = key {
                    self.layer
                        .handle_input(Input::TransportError { now: self.now, key })
                        .expect("a transport error is never refused");
                }
            }
            Op::Abandon { client } => {
                let key = self
                    .all_clients
                    .get(usize::from(*client) % self.all_clients.len().max(1))
                    .copied();
                if let Some(key) = key {
                    let existed = self.layer.abandon(key);
                    assert_eq!(
                        existed,
                        self.clients.contains_key(&key),
                        "abandon({key}) said {existed}"
                    );
                }
            }
            Op::Stateless { which, dest } => {
                if let Some(info) = nth(&self.clients, *which) {
                    let req = info.request.clone();
                    self.layer.send_stateless(peer(*dest), req);
                }
            }
            Op::Advance { millis, fire } => {
                self.now += Duration::from_millis(u64::from(*millis) * 8);
                if *fire {
                    self.fire();
                }
            }
            Op::NextTimer => {
                if let Some(at) = self.layer.poll_timeout() {
                    self.now = self.now.max(at);
                    self.fire();
                }
            }
        }
    }

    fn some_server(&self, i: u8) -> Option<&ServerInfo> {
        nth(&self.servers, i)
    }

    fn receive(&mut self, spec: ReqSpec, method: &str) {
        let text = spec.text(method);
        let source = peer(spec.source);
        self.received.push(spec.clone());
        self.incoming = Some(spec);
        self.input_text(&text, source);
        self.incoming = None;
    }

    fn input_text(&mut self, text: &str, source: Peer) {
        let msg = Message::parse(text.to_owned().into())
            .unwrap_or_else(|e| panic!("grammar message does not parse: {e}: {text:?}"));
        self.input(msg, source);
    }

    fn input(&mut self, message: Message, source: Peer) {
        let before = self.layer.len();
        let result = self.layer.handle_input(Input::Received {
            now: self.now,
            source,
            message,
        });
        if let Err(e) = result {
            let _ = e.to_string();
            assert_eq!(
                self.layer.len(),
                before,
                "a refused message changed the layer: {e}"
            );
            assert!(
                self.layer.poll_output().is_none(),
                "a refused message caused output: {e}"
            );
            return;
        }
        // The NewRequest is drained here, while the spec that caused it is known.
        self.drain();
    }

    fn start(&mut self, req: Request, destination: Peer) {
        let before = self.layer.len();
        let branch = req
            .via()
            .ok()
            .and_then(|v| v.branch().map(str::to_owned))
            .unwrap_or_default();
        match self.layer.start_client(self.now, req.clone(), destination) {
            Ok(key) => {
                assert!(!self.all_clients.contains(&key), "{key} handed out twice");
                self.all_clients.push(key);
                self.clients.insert(
                    key,
                    ClientInfo {
                        request: req,
                        destination,
                        branch,
                    },
                );
            }
            Err(e) => {
                let _ = e.to_string();
                assert_eq!(
                    self.layer.len(),
                    before,
                    "a refused request changed the layer: {e}"
                );
                assert!(
                    self.layer.poll_output().is_none(),
                    "a refused request caused output: {e}"
                );
            }
        }
    }

    fn fire(&mut self) {
        self.layer.handle_timeout(self.now);
        self.fired = self.now;
        if let Some(at) = self.layer.poll_timeout() {
            assert!(
                at > self.now,
                "poll_timeout {:?} is due right after handle_timeout",
                at - base()
            );
        }
    }

    fn drain(&mut self) {
        while let Some(out) = self.layer.poll_output() {
            match out {
                Output::Transmit(t) => self.transmitted(t),
                Output::Event(e) => self.event(e),
            }
        }
        assert!(
            self.early.is_empty(),
            "transmits of a transaction never reported: {:?}",
            self.early
        );
    }

    fn transmitted(&mut self, t: sip_transaction::Transmit) {
        let msg = Message::parse(t.bytes.clone()).unwrap_or_else(|e| {
            panic!(
                "transmitted bytes do not parse: {e}\n{:?}",
                String::from_utf8_lossy(&t.bytes)
            )
        });
        match t.key {
            None => {}
            Some(TransactionKey::Server(k)) => {
                if !self.all_servers.contains(&k) {
                    self.early.push(t);
                    return;
                }
                let info = self
                    .servers
                    .get(&k)
                    .unwrap_or_else(|| panic!("{k} transmits but is not live"));
                assert!(msg.as_response().is_some(), "{k} sends a request");
                assert_eq!(
                    t.destination, info.source,
                    "{k} answers elsewhere than its source"
                );
            }
            Some(TransactionKey::Client(k)) => {
                let info = self
                    .clients
                    .get(&k)
                    .unwrap_or_else(|| panic!("{k} transmits but is not live"));
                let Message::Request(r) = &msg else {
                    panic!("{k} sends a response")
                };
                assert_eq!(t.destination, info.destination, "{k} sends elsewhere");
                let own = info.request.method();
                assert!(
                    r.method() == own || (*own == Method::Invite && *r.method() == Method::Ack),
                    "{k} for {own} sends {}",
                    r.method()
                );
                let branch = r.via().ok().and_then(|v| v.branch().map(str::to_owned));
                assert_eq!(
                    branch.as_deref(),
                    Some(info.branch.as_str()),
                    "{k} changes branch"
                );
            }
        }
    }

    fn new_server(&mut self, key: ServerKey, request: Request, source: Peer) {
        assert!(!self.all_servers.contains(&key), "{key} reported twice");
        self.all_servers.push(key);
        let spec = self.incoming.clone();
        self.servers.insert(
            key,
            ServerInfo {
                request,
                source,
                spec,
                to_tag: None,
            },
        );
        let (mine, others) = std::mem::take(&mut self.early)
            .into_iter()
            .partition(|t| t.key == Some(key.into()));
        self.early = others;
        for t in mine {
            let status = t
                .bytes
                .get(8..11)
                .map(|s| String::from_utf8_lossy(s).into_owned());
            assert_eq!(
                status.as_deref(),
                Some("100"),
                "{key} sends before it is reported"
            );
            self.transmitted(t);
        }
    }

    fn event(&mut self, e: Event) {
        match e {
            Event::NewRequest {
                key,
                source,
                request,
            } => {
                assert!(
                    !matches!(*request.method(), Method::Ack | Method::Cancel),
                    "NewRequest for {}",
                    request.method()
                );
                self.new_server(key, request, source);
            }
            Event::CancelRequest {
                cancel_key,
                invite_key,
                source,
                request,
            } => {
                assert_eq!(*request.method(), Method::Cancel);
                if let Some(k) = invite_key {
                    let info = self
                        .servers
                        .get(&k)
                        .unwrap_or_else(|| panic!("CANCEL names {k}, not live"));
                    assert_eq!(
                        *info.request.method(),
                        Method::Invite,
                        "CANCEL names a non-INVITE {k}"
                    );
                }
                self.new_server(cancel_key, request, source);
            }
            Event::Ack { key, request, .. } => {
                assert_eq!(*request.method(), Method::Ack);
                if let Some(k) = key {
                    assert!(self.servers.contains_key(&k), "ACK names {k}, not live");
                    assert_eq!(
                        self.layer.state(k),
                        Some(TransactionState::Accepted),
                        "ACK for {k}"
                    );
                }
            }
            Event::Response { key, response } => {
                let info = self
                    .clients
                    .get(&key)
                    .unwrap_or_else(|| panic!("response for {key}, not live"));
                let cseq = response.cseq().expect("matched responses have a CSeq");
                assert_eq!(
                    cseq.method(),
                    info.request.method().as_str(),
                    "response for {key}"
                );
                let via = response.via().expect("matched responses have a Via");
                assert_eq!(
                    via.branch(),
                    Some(info.branch.as_str()),
                    "response for {key}"
                );
            }
            Event::StrayResponse { response, .. } => {
                let (Ok(via), Ok(cseq)) = (response.via(), response.cseq()) else {
                    panic!("a stray response without Via or CSeq was accepted");
                };
                let matches = self.clients.values().any(|c| {
                    via.branch() == Some(c.branch.as_str())
                        && cseq.method() == c.request.method().as_str()
                });
                assert!(
                    !matches,
                    "response {} {:?} matches a live client",
                    response.status(),
                    via.branch()
                );
            }
            Event::Timeout { key, timer } => match key {
                TransactionKey::Client(k) => {
                    assert!(self.clients.contains_key(&k), "timeout of {k}, not live");
                    assert!(
                        matches!(timer, Timer::B | Timer::F),
                        "{k} times out by {timer:?}"
                    );
                }
                TransactionKey::Server(k) => {
                    assert!(self.servers.contains_key(&k), "timeout of {k}, not live");
                    assert_eq!(timer, Timer::H, "{k} times out by {timer:?}");
                }
            },
            Event::TransportError { key } => {
                assert!(self.is_live(key), "transport error of {key}, not live")
            }
            Event::Terminated { key } => {
                assert!(self.is_live(key), "{key} terminated but is not live");
                match key {
                    TransactionKey::Client(k) => drop(self.clients.remove(&k)),
                    TransactionKey::Server(k) => drop(self.servers.remove(&k)),
                }
                self.dead.insert(key);
            }
            other => panic!("unknown event {other:?}"),
        }
    }

    fn is_live(&self, key: TransactionKey) -> bool {
        match key {
            TransactionKey::Client(k) => self.clients.contains_key(&k),
            TransactionKey::Server(k) => self.servers.contains_key(&k),
        }
    }

    /// The layer agrees with the events: the same live transactions, none of the gone ones,
    /// and no timer due before the last wake-up.
    fn check(&mut self) {
        assert_eq!(
            self.layer.len(),
            self.servers.len() + self.clients.len(),
            "len() against created minus terminated"
        );
        for k in self.servers.keys() {
            assert!(self.layer.state(*k).is_some(), "{k} live without a state");
        }
        for k in self.clients.keys() {
            assert!(self.layer.state(*k).is_some(), "{k} live without a state");
        }
        for k in &self.dead {
            assert_eq!(
                self.layer.state(*k),
                None,
                "{k} has a state after Terminated"
            );
        }
        if let Some(at) = self.layer.poll_timeout() {
            assert!(
                at >= self.fired,
                "a timer due at {:?} went unfired past {:?}",
                at - base(),
                self.fired - base()
            );
        }
    }

    /// Sleeps until `until`, waking at every timer. Bounded: a timer that keeps re-arming
    /// itself without time passing would loop here.
    fn idle_until(&mut self, until: Instant) {
        for _ in 0..10_000 {
            match self.layer.poll_timeout() {
                Some(at) if at <= until => {
                    self.now = self.now.max(at);
                    self.fire();
                    self.drain();
                    self.check();
                }
                _ => {
                    self.now = self.now.max(until);
                    self.fire();
                    self.drain();
                    self.check();
                    return;
                }
            }
        }
        panic!("more than 10000 timer wake-ups in {:?}", until - self.now);
    }

    fn close(&mut self, status: u16) {
        let c = self.layer.config().clone();
        let horizon = c.timeout().max(c.timer_d).max(c.t4) + Duration::from_millis(1);
        // Idle: everything with a timer ends. What may remain waits for the TU: a server
        // transaction without a final response, an INVITE client after a provisional.
        self.idle_until(self.now + horizon);
        for (k, info) in &self.servers {
            let state = self.layer.state(*k);
            assert!(
                matches!(
                    state,
                    Some(TransactionState::Trying | TransactionState::Proceeding)
                ),
                "{k} ({}) still {state:?} after {horizon:?} idle",
                info.request.method()
            );
        }
        for (k, info) in &self.clients {
            let state = self.layer.state(*k);
            assert!(
                *info.request.method() == Method::Invite
                    && state == Some(TransactionState::Proceeding),
                "{k} ({}) still {state:?} after {horizon:?} idle",
                info.request.method()
            );
        }
        // The TU answers every request and gives up on every INVITE (RFC 3261 §9.1).
        let servers: Vec<ServerKey> = self.servers.keys().copied().collect();
        for k in servers {
            let r = Response::from_request(&self.servers[&k].request, status);
            self.layer
                .respond(self.now, k, r)
                .unwrap_or_else(|e| panic!("final response on {k} refused: {e}"));
            self.drain();
        }
        let clients: Vec<ClientKey> = self.clients.keys().copied().collect();
        for k in clients {
            assert!(self.layer.abandon(k), "{k} live but not abandoned");
            self.drain();
        }
        self.check();
        self.idle_until(self.now + horizon);
        assert_eq!(
            self.layer.len(),
            0,
            "transactions left {horizon:?} after the last input"
        );
        assert!(self.servers.is_empty() && self.clients.is_empty());
        assert_eq!(
            self.layer.poll_timeout(),
            None,
            "a timer runs with no transaction"
        );
    }
}

fn nth<K, V>(map: &BTreeMap<K, V>, i: u8) -> Option<&V> {
    nth_entry(map, i).map(|(_, v)| v)
}

fn nth_entry<K, V>(map: &BTreeMap<K, V>, i: u8) -> Option<(&K, &V)> {
    if map.is_empty() {
        return None;
    }
    map.iter().nth(usize::from(i) % map.len())
}
