//! Helpers for scenarios of [`DialogLayer`]s: user agents, bodies, and questions about
//! what they reported.

use std::net::SocketAddr;
use std::time::Instant;

use sip_dialog::{
    Answer, Body, Config, DialogEvent, DialogId, DialogLayer, DialogState, IncomingId,
    InitialRequest, RandomSource, RequestId, SubscriptionId, TimeoutKind,
};
use sip_message::Method;
use sip_transaction::{Peer, Transport};

use crate::{Engine, NodeId, Scenario, SimRng, World, addr};

/// A user agent named `name` at `addr` (Contact `sip:<name>@<addr>`), configured by `tweak`,
/// drawing tags, branches and delays from `random`.
pub fn user_agent(
    name: &str,
    addr: SocketAddr,
    tweak: impl FnOnce(&mut Config),
    random: Box<dyn RandomSource>,
) -> DialogLayer {
    let mut cfg = Config::new(format!("sip:{name}@{addr}"), addr.to_string());
    tweak(&mut cfg);
    DialogLayer::new(cfg, random)
}

/// Alice (node 0, `sip:alice@192.0.2.1:5060`) and Bob (node 1, `sip:bob@192.0.2.2:5060`),
/// user agents with the default configuration, each drawing from its own stream of `seed`,
/// on an ideal network seeded with `seed`.
pub fn alice_and_bob(seed: u64) -> Scenario<DialogLayer> {
    let mut s = Scenario::new(seed);
    for (name, host) in [("alice", 1u8), ("bob", 2)] {
        let random = Box::new(SimRng::derive(seed, u64::from(host)));
        s.add_node(
            name,
            addr(host),
            user_agent(name, addr(host), |_| {}, random),
        );
    }
    s
}

/// An initial request from node `from` to node `to`, sent straight to `to` over
/// `transport`: Request-URI `sip:<to>@<addr>`, From `<sip:<from>@example.com>`, To
/// `<sip:<to>@example.com>`.
pub fn initial<E: Engine>(
    world: &World<E>,
    from: NodeId,
    to: NodeId,
    transport: Transport,
) -> InitialRequest {
    let (f, t) = (world.node(from), world.node(to));
    InitialRequest::new(
        format!("sip:{}@{}", t.name, t.addr),
        format!("<sip:{}@example.com>", f.name),
        format!("<sip:{}@example.com>", t.name),
        Peer::new(t.addr, transport),
    )
}

/// A hook for [`Scenario::on_event`] that answers every INVITE (initial or re-) with each
/// of `statuses` in turn, at once; a `2xx` carries [`sdp`]`(1)`.
pub fn answer_invites(
    statuses: &'static [u16],
) -> impl FnMut(&mut DialogLayer, Instant, &DialogEvent) + 'static {
    move |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                for status in statuses {
                    let answer = if (200..300).contains(status) {
                        Answer::new(*status).body(sdp(1))
                    } else {
                        Answer::new(*status)
                    };
                    if let Err(e) = ua.answer(now, *id, answer) {
                        panic!("answering {status}: {e}");
                    }
                }
            }
        }
    }
}

/// A random source that always says 0: glare delays are then exactly 2.1 s (Call-ID owner)
/// and 0 s (the other side), and the first RSeq is 1.
pub fn zero_random() -> Box<dyn RandomSource> {
    Box::new(|| 0u64)
}

/// A small SDP body; `version` is the origin's session version.
pub fn sdp(version: u32) -> Body {
    Body::sdp(format!(
        "v=0\r\no=- 1 {version} IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n"
    ))
}

/// A one-line summary of a dialog event, without the times it carries.
pub fn describe(e: &DialogEvent) -> String {
    match e {
        DialogEvent::Request {
            id,
            dialog,
            subscription,
            request,
            ..
        } => format!(
            "Request {} {id} in {} sub {}",
            request.method(),
            opt(dialog),
            opt(subscription)
        ),
        DialogEvent::Response {
            request,
            dialog,
            response,
        } => format!(
            "Response {} to {request} in {}",
            response.status(),
            opt(dialog)
        ),
        DialogEvent::Ack { dialog, .. } => format!("Ack in {dialog}"),
        DialogEvent::Prack { dialog, .. } => format!("Prack in {dialog}"),
        DialogEvent::Cancelled { id, dialog } => format!("Cancelled {id} in {}", opt(dialog)),
        DialogEvent::DialogState { dialog, state } => format!("DialogState {dialog} {state:?}"),
        DialogEvent::Subscription {
            subscription,
            dialog,
            state,
        } => format!("Subscription {subscription} in {} {state:?}", opt(dialog)),
        DialogEvent::Notify {
            subscription,
            dialog,
            ..
        } => format!("Notify {subscription} in {dialog}"),
        DialogEvent::SessionEnded { dialog, reason } => format!("SessionEnded {dialog} {reason:?}"),
        DialogEvent::SessionRefreshed {
            dialog,
            interval,
            local_refresher,
        } => format!(
            "SessionRefreshed {dialog} {} s local_refresher={local_refresher}",
            interval.as_secs()
        ),
        DialogEvent::Retrying {
            request, status, ..
        } => format!("Retrying {request} after {status}"),
        DialogEvent::Timeout(kind) => match kind {
            TimeoutKind::Request(r) => format!("Timeout {r}"),
            TimeoutKind::Ack(d) => format!("Timeout ACK in {d}"),
            TimeoutKind::Prack(i) => format!("Timeout PRACK for {i}"),
            TimeoutKind::Session(d) => format!("Timeout session {d}"),
            other => format!("Timeout {other:?}"),
        },
        _ => format!("{e:?}"),
    }
}

fn opt(v: &Option<impl std::fmt::Display>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

/// Questions about what dialog layers reported, asked of a [`World`] (or a
/// [`Scenario`]) of them.
pub trait DialogLog {
    /// The dialog-state changes of `node`: (ms, dialog, state).
    fn states(&self, node: NodeId) -> Vec<(u64, DialogId, DialogState)>;

    /// The first dialog `node` reported.
    ///
    /// # Panics
    ///
    /// If it reported none.
    fn dialog_of(&self, node: NodeId) -> DialogId;

    /// The latest request of this method reported to `node`.
    ///
    /// # Panics
    ///
    /// If none was.
    fn incoming(&self, node: NodeId, method: Method) -> IncomingId;

    /// The statuses of the responses reported to `node` for `request`, in order.
    fn statuses(&self, node: NodeId, request: RequestId) -> Vec<u16>;

    /// The subscription carried by the latest request of this method reported to `node`.
    ///
    /// # Panics
    ///
    /// If there is none.
    fn incoming_subscription(&self, node: NodeId, method: Method) -> SubscriptionId;
}

impl<E: Engine<Event = DialogEvent>> DialogLog for World<E> {
    fn states(&self, node: NodeId) -> Vec<(u64, DialogId, DialogState)> {
        self.events_of(node)
            .filter_map(|(t, e)| match e {
                DialogEvent::DialogState { dialog, state } => Some((t, *dialog, *state)),
                _ => None,
            })
            .collect()
    }

    fn dialog_of(&self, node: NodeId) -> DialogId {
        match self.states(node).first() {
            Some((_, d, _)) => *d,
            None => panic!("{} reported no dialog", self.node(node).name),
        }
    }

    fn incoming(&self, node: NodeId, method: Method) -> IncomingId {
        let found = self
            .events_of(node)
            .filter_map(|(_, e)| match e {
                DialogEvent::Request { id, request, .. } if *request.method() == method => {
                    Some(*id)
                }
                _ => None,
            })
            .last();
        match found {
            Some(id) => id,
            None => panic!("no {method} was reported to {}", self.node(node).name),
        }
    }

    fn statuses(&self, node: NodeId, request: RequestId) -> Vec<u16> {
        self.events_of(node)
            .filter_map(|(_, e)| match e {
                DialogEvent::Response {
                    request: r,
                    response,
                    ..
                } if *r == request => Some(response.status()),
                _ => None,
            })
            .collect()
    }

    fn incoming_subscription(&self, node: NodeId, method: Method) -> SubscriptionId {
        let found = self
            .events_of(node)
            .filter_map(|(_, e)| match e {
                DialogEvent::Request {
                    subscription: Some(s),
                    request,
                    ..
                } if *request.method() == method => Some(*s),
                _ => None,
            })
            .last();
        match found {
            Some(s) => s,
            None => panic!(
                "no {method} carrying a subscription was reported to {}",
                self.node(node).name
            ),
        }
    }
}
