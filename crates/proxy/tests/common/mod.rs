//! User agents (dialog layers), bare transaction layers and the proxy under test, wired
//! through sip-testkit's simulated network and clock.
//!
//! The proxy node runs a small "server": a hook that answers each `ProxyEvent::Request`
//! with a command, forwarding initial requests by a fixed table of users and everything
//! else (in-dialog requests, ACKs, requests with a Route left) by its next hop.

// Each test file uses its own part of this module.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::large_enum_variant
)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_dialog::{DialogEvent, DialogLayer, RequestId as UaRequest};
use sip_message::{Message, Method};
use sip_proxy::{
    ForwardPlan, LocalAddr, Proxy, ProxyConfig, ProxyEvent, ProxyOutput, RequestId, Target,
};
use sip_testkit::{Engine, EngineOutput, InputError, NodeId, Scenario, SimRng, addr, dialog};
use sip_transaction::{Event, Peer, TransactionLayer, Transmit, Transport};

pub const ALICE: NodeId = 0;
pub const BOB: NodeId = 1;
pub const PROXY: NodeId = 2;
/// A fourth node (a second callee), when a test adds one.
pub const CAROL: NodeId = 3;
pub const DAVE: NodeId = 4;

/// The proxy's host number: 192.0.2.10.
pub const PROXY_HOST: u8 = 10;

/// A node of a proxy scenario.
pub enum Node {
    /// A user agent.
    Ua(DialogLayer),
    /// A bare transaction layer, scripted by its hook.
    Tl(TransactionLayer),
    /// The proxy under test.
    Proxy(Box<ProxyNode>),
}

/// The proxy and the address it is reached at.
pub struct ProxyNode {
    pub proxy: Proxy,
    pub addr: SocketAddr,
    /// The local address of every transmission, in order, with its start line.
    pub sent_from: Vec<(String, SocketAddr)>,
}

/// What any node reports.
#[derive(Debug, Clone)]
pub enum Ev {
    Ua(DialogEvent),
    Tl(Event),
    Proxy(ProxyEvent),
}

impl Node {
    pub fn proxy(&mut self) -> &mut Proxy {
        match self {
            Node::Proxy(p) => &mut p.proxy,
            _ => panic!("not the proxy"),
        }
    }

    pub fn ua(&mut self) -> &mut DialogLayer {
        match self {
            Node::Ua(u) => u,
            _ => panic!("not a user agent"),
        }
    }

    pub fn tl(&mut self) -> &mut TransactionLayer {
        match self {
            Node::Tl(t) => t,
            _ => panic!("not a transaction layer"),
        }
    }
}

impl Engine for Node {
    type Event = Ev;

    fn handle_input(&mut self, now: Instant, from: Peer, bytes: Bytes) -> Result<(), InputError> {
        match self {
            Node::Ua(u) => Engine::handle_input(u, now, from, bytes),
            Node::Tl(t) => Engine::handle_input(t, now, from, bytes),
            Node::Proxy(p) => {
                let message = Message::parse(bytes).map_err(InputError::Unparseable)?;
                let local = p.addr;
                p.proxy
                    .handle_input(now, from, local, message)
                    .map_err(|e| InputError::Rejected(e.to_string()))
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self {
            Node::Ua(u) => Engine::handle_timeout(u, now),
            Node::Tl(t) => Engine::handle_timeout(t, now),
            Node::Proxy(p) => p.proxy.handle_timeout(now),
        }
    }

    fn poll_output(&mut self) -> Option<EngineOutput<Ev>> {
        match self {
            Node::Ua(u) => Some(match Engine::poll_output(u)? {
                EngineOutput::Transmit(t) => EngineOutput::Transmit(t),
                EngineOutput::Event(e) => EngineOutput::Event(Ev::Ua(e)),
            }),
            Node::Tl(t) => Some(match Engine::poll_output(t)? {
                EngineOutput::Transmit(t) => EngineOutput::Transmit(t),
                EngineOutput::Event(e) => EngineOutput::Event(Ev::Tl(e)),
            }),
            Node::Proxy(p) => Some(match p.proxy.poll_output()? {
                ProxyOutput::Transmit(t) => {
                    let line = sip_testkit::start_line(&t.bytes);
                    p.sent_from.push((line, t.local));
                    EngineOutput::Transmit(Transmit {
                        destination: t.destination,
                        bytes: t.bytes,
                        key: t.key,
                    })
                }
                ProxyOutput::Event(e) => EngineOutput::Event(Ev::Proxy(e)),
            }),
        }
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        match self {
            Node::Ua(u) => Engine::poll_timeout(u),
            Node::Tl(t) => Engine::poll_timeout(t),
            Node::Proxy(p) => p.proxy.poll_timeout(),
        }
    }

    fn describe(event: &Ev) -> String {
        match event {
            Ev::Ua(e) => sip_testkit::dialog::describe(e),
            Ev::Tl(e) => sip_testkit::transaction::describe(e),
            Ev::Proxy(ProxyEvent::Request {
                id,
                request,
                in_dialog,
                stateless,
                ..
            }) => format!(
                "Request {} {id} in_dialog={in_dialog} stateless={stateless}",
                request.method()
            ),
            Ev::Proxy(ProxyEvent::Finished {
                id, method, status, ..
            }) => format!(
                "Finished {method} {status} {}",
                id.map_or("-".to_owned(), |i| i.to_string())
            ),
            Ev::Proxy(other) => format!("{other:?}"),
        }
    }
}

/// A user agent `name` at 192.0.2.`host`, configured by `tweak`.
pub fn ua(name: &str, host: u8, tweak: impl FnOnce(&mut sip_dialog::Config)) -> Node {
    Node::Ua(dialog::user_agent(
        name,
        addr(host),
        tweak,
        Box::new(SimRng::derive(7, u64::from(host))),
    ))
}

/// The proxy at 192.0.2.10, listening on UDP and TCP, configured by `tweak`.
pub fn proxy(tweak: impl FnOnce(&mut ProxyConfig)) -> Node {
    let a = addr(PROXY_HOST);
    let mut config = ProxyConfig::new(vec![
        LocalAddr::new(Transport::Udp, a),
        LocalAddr::new(Transport::Tcp, a),
    ]);
    tweak(&mut config);
    Node::Proxy(Box::new(ProxyNode {
        proxy: Proxy::new(config, 99),
        addr: a,
        sent_from: Vec::new(),
    }))
}

/// A target: user `name` at 192.0.2.`host`:5060 over `transport`.
pub fn target(name: &str, host: u8, transport: Transport) -> Target {
    let uri = match transport {
        Transport::Udp => format!("sip:{name}@{}", addr(host)),
        t => format!(
            "sip:{name}@{};transport={}",
            addr(host),
            t.as_str().to_ascii_lowercase()
        ),
    };
    Target::new(uri, Peer::new(addr(host), transport))
}

/// The scenario: Alice (192.0.2.1), Bob (192.0.2.2) and the proxy (192.0.2.10), all with
/// default configurations, 5 ms latency.
pub fn world() -> Scenario<Node> {
    world_with(|_| {}, |_| {})
}

/// [`world`] with Bob's and the proxy's configurations changed.
pub fn world_with(
    bob: impl FnOnce(&mut sip_dialog::Config),
    px: impl FnOnce(&mut ProxyConfig),
) -> Scenario<Node> {
    let mut s = Scenario::new(7);
    s.add_node("alice", addr(1), ua("alice", 1, |_| {}));
    s.add_node("bob", addr(2), ua("bob", 2, bob));
    s.add_node("proxy", addr(PROXY_HOST), proxy(px));
    s.network_mut().set_latency(Duration::from_millis(5));
    s
}

/// The server logic of the proxy node: initial requests for `user` (the Request-URI's user
/// part) go by the table, anything else unknown gets 404; in-dialog requests, ACKs and
/// requests with a Route left go to their next hop.
pub fn router(table: Vec<(&'static str, ForwardPlan)>) -> impl FnMut(&mut Node, Instant, &Ev) {
    let table: HashMap<&'static str, ForwardPlan> = table.into_iter().collect();
    move |node, now, ev| {
        let Ev::Proxy(ProxyEvent::Request {
            id,
            request,
            in_dialog,
            next_hop,
            stateless,
            ..
        }) = ev
        else {
            return;
        };
        let proxy = node.proxy();
        let routed = *stateless || *in_dialog || next_hop.as_ref().is_some_and(|n| n.from_route);
        if routed {
            let peer = next_hop
                .as_ref()
                .and_then(|n| n.peer)
                .expect("an IP next hop");
            let r = proxy.forward(now, *id, ForwardPlan::by_route(request, peer));
            if r.is_err() && !*stateless {
                respond(proxy, now, *id, request, 500);
            }
            return;
        }
        let user = request
            .uri()
            .ok()
            .and_then(|u| u.user().map(str::to_owned))
            .unwrap_or_default();
        match table.get(user.as_str()) {
            Some(plan) => {
                if let Err(e) = proxy.forward(now, *id, plan.clone()) {
                    panic!("forward: {e}");
                }
            }
            None => respond(proxy, now, *id, request, 404),
        }
    }
}

/// Answers a raised request locally.
pub fn respond(
    proxy: &mut Proxy,
    now: Instant,
    id: RequestId,
    req: &sip_message::Request,
    status: u16,
) {
    let mut r = sip_message::Response::from_request(req, status);
    r.set_to_tag("proxy-tag");
    proxy.respond(now, id, r).expect("respond");
}

/// An INVITE from Alice to `sip:<user>@example.com`, sent to the proxy over `transport`.
pub fn invite_via_proxy(s: &mut Scenario<Node>, user: &str, transport: Transport) -> UaRequest {
    let req = sip_dialog::InitialRequest::new(
        format!("sip:{user}@example.com"),
        "<sip:alice@example.com>",
        format!("<sip:{user}@example.com>"),
        Peer::new(addr(PROXY_HOST), transport),
    )
    .body(dialog::sdp(1));
    s.with(ALICE, |n, now| n.ua().invite(now, req))
        .expect("invite")
}

/// The statuses of the responses `node` (a UA) got for `request`.
pub fn statuses(s: &Scenario<Node>, node: NodeId, request: UaRequest) -> Vec<u16> {
    s.events_of(node)
        .filter_map(|(_, e)| match e {
            Ev::Ua(DialogEvent::Response {
                request: r,
                response,
                ..
            }) if *r == request => Some(response.status()),
            _ => None,
        })
        .collect()
}

/// The requests of `method` a UA node was told about.
pub fn requests_at(s: &Scenario<Node>, node: NodeId, method: Method) -> usize {
    s.events_of(node)
        .filter(|(_, e)| {
            matches!(e, Ev::Ua(DialogEvent::Request { request, .. }) if *request.method() == method)
        })
        .count()
}

/// The final statuses the proxy reported, with their methods.
pub fn finished(s: &Scenario<Node>) -> Vec<(String, u16)> {
    s.events_of(PROXY)
        .filter_map(|(_, e)| match e {
            Ev::Proxy(ProxyEvent::Finished { method, status, .. }) => {
                Some((method.to_string(), *status))
            }
            _ => None,
        })
        .collect()
}

/// A hook for a UA that answers every INVITE with `statuses` in turn, with extra headers on
/// the last one.
pub fn answer_with(
    statuses: &'static [u16],
    headers: Vec<(sip_message::HeaderName, String)>,
) -> impl FnMut(&mut Node, Instant, &Ev) {
    move |node, now, ev| {
        if let Ev::Ua(DialogEvent::Request { id, request, .. }) = ev {
            if *request.method() == Method::Invite {
                for (i, status) in statuses.iter().enumerate() {
                    let mut a = sip_dialog::Answer::new(*status);
                    if (200..300).contains(status) {
                        a = a.body(dialog::sdp(2));
                    }
                    if i + 1 == statuses.len() {
                        for (n, v) in &headers {
                            a = a.header(*n, v.clone());
                        }
                    }
                    node.ua().answer(now, *id, a).expect("answer");
                }
            }
        }
    }
}

/// The values of every `name` header of a message, in order.
pub fn values(headers: &sip_message::Headers, name: sip_message::HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

/// Alice and Bob as bare transaction layers (scripted by the test), and the proxy.
pub fn raw_world(px: impl FnOnce(&mut ProxyConfig)) -> Scenario<Node> {
    let mut s = Scenario::new(7);
    s.add_node(
        "alice",
        addr(1),
        Node::Tl(TransactionLayer::new(Default::default())),
    );
    s.add_node(
        "bob",
        addr(2),
        Node::Tl(TransactionLayer::new(Default::default())),
    );
    s.add_node("proxy", addr(PROXY_HOST), proxy(px));
    s.network_mut().set_latency(Duration::from_millis(5));
    s
}

/// A hook for a bare transaction layer: answers every new request with `statuses` in turn
/// (To tag `callee`).
pub fn tl_answer(statuses: &'static [u16]) -> impl FnMut(&mut Node, Instant, &Ev) {
    move |node, now, ev| {
        if let Ev::Tl(Event::NewRequest { key, request, .. }) = ev {
            for st in statuses {
                let mut r = sip_message::Response::from_request(request, *st);
                r.set_to_tag("callee");
                node.tl().respond(now, *key, r).expect("respond");
            }
        }
    }
}

/// Sends `request` from a bare transaction layer node to the proxy.
pub fn send_to_proxy(s: &mut Scenario<Node>, from: NodeId, request: sip_message::Request) {
    s.with(from, |n, now| {
        n.tl()
            .start_client(now, request, Peer::udp(addr(PROXY_HOST)))
            .expect("start")
    });
}

/// The statuses of every response a bare transaction layer node got.
pub fn tl_statuses(s: &Scenario<Node>, node: NodeId) -> Vec<u16> {
    s.events_of(node)
        .filter_map(|(_, e)| match e {
            Ev::Tl(Event::Response { response, .. }) => Some(response.status()),
            _ => None,
        })
        .collect()
}

/// The requests the proxy raised to its server.
pub fn raised(s: &Scenario<Node>) -> Vec<sip_message::Request> {
    s.events_of(PROXY)
        .filter_map(|(_, e)| match e {
            Ev::Proxy(ProxyEvent::Request { request, .. }) => Some(request.clone()),
            _ => None,
        })
        .collect()
}
