//! Forwarding requests (RFC 3261 §16.6): building each copy, starting its client transaction,
//! serial groups; and what is sent without state: ACKs for 2xx and stray 2xx responses.

use std::time::Instant;

use bytes::Bytes;
use sip_message::header::MaxForwards;
use sip_message::{HeaderName, Method, Request, Response};

use crate::context::{Branch, CancelState, Stateless};
use crate::inbound::branch_prefix;
use crate::proxy::ProxyTimer;
use crate::wire::{self, Fnv};
use crate::{LocalAddr, Proxy, ProxyOutput, ProxyTransmit, RequestId, Target};

/// How a copy of a request is built: what differs between a stateful branch and an ACK.
struct Copy<'a> {
    target: &'a Target,
    incoming: &'a LocalAddr,
    outgoing: &'a LocalAddr,
    record_route: bool,
    branch: String,
    default_max_forwards: u8,
}

impl Proxy {
    /// Whether the request of `id` arrived with Max-Forwards 0 (§16.6 step 3 cannot decrement
    /// it).
    pub(crate) fn max_forwards_exhausted(&self, id: RequestId) -> bool {
        self.ctx(id).is_some_and(|c| {
            matches!(
                c.request.headers().typed::<MaxForwards>(),
                Ok(MaxForwards(0))
            )
        })
    }

    /// Moves a request on after something changed: when every branch is done, starts the
    /// next group (§16.7 step 4-5, serial forking) or, with none left, sends the best
    /// response (§16.7 step 6).
    pub(crate) fn advance(&mut self, now: Instant, id: RequestId) {
        loop {
            let Some(ctx) = self.ctx_mut(id) else { return };
            if ctx.final_status.is_some() {
                self.compact(id);
                return;
            }
            if !ctx.all_done() {
                return;
            }
            let next = if ctx.closed {
                None
            } else {
                ctx.groups.pop_front()
            };
            match next {
                Some(group) => {
                    // Most requests have one branch: a growing Vec would hold four.
                    ctx.branches.reserve_exact(group.len());
                    for target in group {
                        self.start_branch(now, id, &target);
                    }
                }
                None => {
                    if !ctx.branches.is_empty() {
                        self.send_best(now, id);
                    }
                    return;
                }
            }
        }
    }

    /// §16.6 steps 1-11 for one target: the copy, its client transaction, Timer C.
    fn start_branch(&mut self, now: Instant, id: RequestId, target: &Target) {
        let Some(ctx) = self.ctx(id) else { return };
        let incoming = self.local_for(ctx.local, ctx.source.transport);
        let outgoing = match target.local {
            Some(addr) => self.local_for(addr, target.destination.transport),
            None => self.local_for(incoming.addr, target.destination.transport),
        };
        let hash = ctx.loop_hash;
        let record_route = ctx.record_route
            && !ctx.in_dialog
            && !matches!(ctx.method, Method::Ack | Method::Cancel);
        let is_invite = ctx.method == Method::Invite;
        let random = self.random();
        let copy = Copy {
            target,
            incoming: &incoming,
            outgoing: &outgoing,
            record_route,
            branch: format!("{}.{random:016x}", branch_prefix(hash)),
            default_max_forwards: self.config.max_forwards_default,
        };
        let Some(ctx) = self.ctx(id) else { return };
        let request = build_copy(&ctx.request, &copy);
        let started = self
            .tl
            .start_client(now, request.clone(), target.destination);
        let timer_c = (is_invite && started.is_ok()).then(|| now + self.config.timer_c);
        let Some(ctx) = self.ctx_mut(id) else { return };
        let index = ctx.branches.len();
        ctx.branches.push(Branch {
            client: started.as_ref().ok().copied(),
            request,
            destination: target.destination,
            local: outgoing.addr,
            provisional: false,
            done: started.is_err(),
            cancel: CancelState::None,
            timer_c,
            abandoned: false,
        });
        match started {
            Ok(key) => {
                self.by_client.insert(key, (id, index));
                self.key_local.insert(key.into(), outgoing.addr);
                if let Some(at) = timer_c {
                    self.timers
                        .push(std::cmp::Reverse((at, ProxyTimer::C(id, index))));
                }
            }
            Err(_) => {
                // The copy could not start a transaction (a header it needs is broken):
                // as good as a transport error (§16.9).
                let response = self.synthetic(id, 503);
                if let Some(ctx) = self.ctx_mut(id) {
                    ctx.responses.push((response, true));
                }
            }
        }
    }

    /// Sends an ACK for a 2xx on to its one target, without state (§16.11 for the branch:
    /// derived from the incoming one, so that a retransmitted ACK gets the same).
    pub(crate) fn send_ack(&mut self, ack: Stateless, target: &Target) {
        let incoming = self.local_for(ack.local, ack.source.transport);
        let outgoing = match target.local {
            Some(addr) => self.local_for(addr, target.destination.transport),
            None => self.local_for(incoming.addr, target.destination.transport),
        };
        let mut h = Fnv::new();
        h.write(
            ack.request
                .via()
                .ok()
                .and_then(|v| v.branch())
                .unwrap_or("")
                .as_bytes(),
        );
        h.write(target.uri.as_bytes());
        let copy = Copy {
            target,
            incoming: &incoming,
            outgoing: &outgoing,
            record_route: false,
            branch: format!("z9hG4bK{:016x}.ack", h.finish()),
            default_max_forwards: self.config.max_forwards_default,
        };
        if matches!(
            ack.request.headers().typed::<MaxForwards>(),
            Ok(MaxForwards(0))
        ) {
            return; // §16.3 step 3: nowhere further to go, and an ACK is never answered.
        }
        let request = build_copy(&ack.request, &copy);
        self.out.push_back(ProxyOutput::Transmit(ProxyTransmit {
            destination: target.destination,
            local: outgoing.addr,
            bytes: request.to_bytes(),
            key: None,
        }));
    }

    /// A response that matched no client transaction (§16.7 / RFC 6026 §8.3): if its top Via
    /// is ours, that Via is removed and a 2xx to INVITE goes on by the next Via; anything
    /// else is dropped.
    pub(crate) fn forward_stray(&mut self, mut response: Response) {
        let local = match response.via() {
            Ok(v) if self.is_our_via(&v) => {
                let t = wire::transport_from_token(v.transport())
                    .unwrap_or(sip_transaction::Transport::Udp);
                let port = v.port().unwrap_or_else(|| wire::default_port(t));
                let sent_by = format!("{}:{port}", v.host_str());
                self.config
                    .locals
                    .iter()
                    .find(|l| l.transport == t && l.sent_by() == sent_by)
                    .map_or(self.input_local, |l| l.addr)
            }
            _ => return,
        };
        wire::pop_first(response.headers_mut(), HeaderName::Via);
        self.send_by_via(response, local);
    }

    /// Sends a response upstream without state by its (next) Via, from `local` (§18.2.2,
    /// RFC 3581 addressing). Only 2xx to INVITE travels this way (every 2xx must reach the
    /// caller, §16.7 step 9 and RFC 6026); anything else without a server transaction to
    /// carry it is dropped.
    pub(crate) fn send_by_via(&mut self, response: Response, local: std::net::SocketAddr) {
        let invite_2xx = (200..300).contains(&response.status())
            && response.cseq().is_ok_and(|c| c.method() == "INVITE");
        if !invite_2xx {
            return;
        }
        let Some(destination) = response.via().ok().as_ref().and_then(wire::peer_for_via) else {
            return;
        };
        self.out.push_back(ProxyOutput::Transmit(ProxyTransmit {
            destination,
            local,
            bytes: response.to_bytes(),
            key: None,
        }));
    }
}

/// §16.6 steps 1-8 for one target.
fn build_copy(original: &Request, c: &Copy<'_>) -> Request {
    // Step 1: a copy; step 2: the target's Request-URI.
    let mut req = original.clone();
    req.set_uri(Bytes::from(c.target.uri.clone()));
    let h = req.headers_mut();
    // Step 3: Max-Forwards.
    let hops = match h.typed::<MaxForwards>() {
        Ok(MaxForwards(n)) => n.saturating_sub(1),
        Err(_) => c.default_max_forwards,
    };
    h.set(HeaderName::MaxForwards, hops.to_string());
    // Step 4: Record-Route. When the request leaves over another transport or address than
    // it came in on, one value per side ("double record-routing"): each side's UA reaches
    // the proxy at the address facing it, and the proxy sees both of its values on the way
    // back. The outgoing side's value ends up on top, nearest the callee.
    if c.record_route {
        h.insert_first(
            HeaderName::RecordRoute,
            format!("<{}>", c.incoming.record_route_uri()),
        );
        if c.outgoing != c.incoming {
            h.insert_first(
                HeaderName::RecordRoute,
                format!("<{}>", c.outgoing.record_route_uri()),
            );
        }
    }
    // Step 5: the target's own route (Path, outbound proxy), on top, in order.
    for r in c.target.route.iter().rev() {
        h.insert_first(HeaderName::Route, r.clone());
    }
    // Step 6: postprocess routing. A strict router next (no `lr`) takes the Request-URI as
    // its own address: give it that, and keep the real one as the last Route (§16.12.1.2).
    let mut routes = wire::elements(req.headers(), HeaderName::Route);
    if let Some(first) = routes.first() {
        let next = wire::uri_of(first).to_owned();
        if !wire::is_loose(&next) {
            routes.remove(0);
            routes.push(format!(
                "<{}>",
                String::from_utf8_lossy(req.uri_raw()).into_owned()
            ));
            req.set_uri(Bytes::from(next));
            wire::set_routes(req.headers_mut(), &routes);
        }
    }
    // Step 7 (the next hop) is the server's, in `Target::destination`. Step 8: our Via.
    req.headers_mut().insert_first(
        HeaderName::Via,
        format!(
            "SIP/2.0/{} {};branch={}",
            c.outgoing.transport,
            c.outgoing.sent_by(),
            c.branch
        ),
    );
    // Step 9 (Content-Length) is kept by the printer.
    req
}
