//! Requests arriving: §16.3 validation, §16.4 route preprocessing, loop detection, raising
//! them to the server; CANCEL (§16.10) and ACK.

use std::time::Instant;

use sip_message::header::Via;
use sip_message::validate::{Policy, Rejection, check_request};
use sip_message::{HeaderName, Method, Request, Response, Scheme, Uri};
use sip_transaction::{Peer, ServerKey, Transport};

use crate::context::{Context, Entry, Stateless};
use crate::proxy::ProxyTimer;
use crate::wire::{self, Fnv};
use crate::{NextHop, Proxy, ProxyEvent, ProxyOutput, RequestId};

impl Proxy {
    pub(crate) fn on_new_request(
        &mut self,
        now: Instant,
        key: ServerKey,
        source: Peer,
        mut request: Request,
    ) {
        let local = self.input_local;
        self.key_local.insert(key.into(), local);
        // §16.3 steps 1-3 and 5-6: syntax, URI scheme, Max-Forwards, Proxy-Require.
        if let Err(rejection) = self.check(&request) {
            self.reject(now, key, source, &request, &rejection);
            return;
        }
        // §16.4 before §16.3 step 4, so that the hash covers what routing will use.
        let routed_here = self.preprocess_routes(&mut request);
        let loop_hash = loop_hash(&request);
        if self.is_loop(&request, loop_hash) {
            let r = Rejection {
                status: 482,
                reason: "Loop Detected",
                detail: "the request already passed here with the same routing".into(),
                extra: None,
            };
            self.reject(now, key, source, &request, &r);
            return;
        }
        let in_dialog = request.to().is_ok_and(|t| t.tag().is_some());
        let ctx = Context {
            server: key,
            source,
            local,
            method: request.method().clone(),
            request: request.clone(),
            loop_hash,
            in_dialog,
            received: now,
            final_status: None,
            closed: false,
            cancelled: false,
            groups: Default::default(),
            record_route: false,
            branches: Vec::new(),
            responses: Vec::new(),
            server_gone: false,
        };
        let id = RequestId(self.entries.insert(Entry::Stateful(Box::new(ctx))));
        self.by_server.insert(key, id);
        let next_hop = next_hop(&request);
        self.out.push_back(ProxyOutput::Event(ProxyEvent::Request {
            id,
            source,
            local,
            request,
            in_dialog,
            next_hop,
            routed_here,
            stateless: false,
        }));
    }

    /// An ACK outside any transaction of ours (for a 2xx, RFC 3261 §13.2.2.4, or stray): it
    /// is routed like any request, but forwarded without state (§16.11 for what is sent).
    pub(crate) fn on_ack(&mut self, now: Instant, source: Peer, mut request: Request) {
        if self.check(&request).is_err() {
            return; // An ACK is never answered; a bad one is dropped.
        }
        let routed_here = self.preprocess_routes(&mut request);
        let local = self.input_local;
        let expires = now + self.config.transaction.timeout();
        let in_dialog = request.to().is_ok_and(|t| t.tag().is_some());
        let next_hop = next_hop(&request);
        let id = RequestId(self.entries.insert(Entry::Stateless(Box::new(Stateless {
            request: request.clone(),
            source,
            local,
            expires,
        }))));
        self.timers
            .push(std::cmp::Reverse((expires, ProxyTimer::Expire(id))));
        self.out.push_back(ProxyOutput::Event(ProxyEvent::Request {
            id,
            source,
            local,
            request,
            in_dialog,
            next_hop,
            routed_here,
            stateless: true,
        }));
    }

    /// §16.10: a CANCEL is answered 200 hop by hop and cancels every pending branch of the
    /// INVITE it names; the branches' 487 responses then make the best response. A CANCEL
    /// that names nothing is answered 481.
    ///
    /// The RFC asks a proxy to forward such a CANCEL statelessly, in case it forwarded the
    /// INVITE statelessly; this proxy forwards every INVITE statefully, so nothing would
    /// match it downstream either.
    pub(crate) fn on_cancel(
        &mut self,
        now: Instant,
        cancel_key: ServerKey,
        invite_key: Option<ServerKey>,
        source: Peer,
        request: &Request,
    ) {
        self.key_local.insert(cancel_key.into(), self.input_local);
        let id = invite_key.and_then(|k| self.by_server.get(&k).copied());
        let status = if id.is_some() { 200 } else { 481 };
        let mut response = Response::from_request(request, status);
        let tag = self.tag();
        response.set_to_tag(&tag);
        // The CANCEL's server transaction was just created and takes any final response.
        let _ = self.tl.respond(now, cancel_key, response);
        self.out.push_back(ProxyOutput::Event(ProxyEvent::Finished {
            id: None,
            method: Method::Cancel,
            status,
            duration: std::time::Duration::ZERO,
            branches: 0,
            source,
            call_id: request.call_id().unwrap_or_default().to_owned(),
        }));
        let Some(id) = id else { return };
        let Some(ctx) = self.ctx_mut(id) else { return };
        if ctx.final_status.is_some() {
            return;
        }
        ctx.cancelled = true;
        if ctx.branches.is_empty() {
            // Nothing forwarded yet: no 487 will come from downstream, so make it here.
            self.answer_synthetic(now, id, 487);
        } else {
            self.close(now, id);
        }
    }

    /// Answers a request the proxy will not raise, and reports it.
    fn reject(
        &mut self,
        now: Instant,
        key: ServerKey,
        source: Peer,
        request: &Request,
        r: &Rejection,
    ) {
        let mut response = Response::from_request(request, r.status);
        response.set_reason(r.reason);
        if let Some((name, value)) = &r.extra {
            response.headers_mut().push(*name, value.clone());
        }
        let tag = self.tag();
        response.set_to_tag(&tag);
        let _ = self.tl.respond(now, key, response);
        self.out.push_back(ProxyOutput::Event(ProxyEvent::Finished {
            id: None,
            method: request.method().clone(),
            status: r.status,
            duration: std::time::Duration::ZERO,
            branches: 0,
            source,
            call_id: request.call_id().unwrap_or_default().to_owned(),
        }));
    }

    /// A fresh To tag.
    pub(crate) fn tag(&mut self) -> String {
        format!("{:012x}", self.random() >> 16)
    }

    /// §16.3 steps 1, 2, 3 and 5 (and 6, which needs no check here): the checks of
    /// `sip_message::validate` in proxy mode. Any method is accepted: a proxy forwards
    /// methods it does not know. Max-Forwards 0 on OPTIONS and REGISTER passes, for the server
    /// to answer locally; forwarding it gives 483.
    fn check(&self, request: &Request) -> Result<(), Rejection> {
        let methods = [request.method().as_str()];
        let supported: Vec<&str> = self
            .config
            .proxy_require_supported
            .iter()
            .map(String::as_str)
            .collect();
        let policy = Policy {
            methods: &methods,
            supported: &supported,
            schemes: &[Scheme::Sip, Scheme::Sips, Scheme::Tel],
            accept: &[],
            proxy: true,
        };
        check_request(request, &policy)
    }

    /// §16.4. A Request-URI that is one of our Record-Route URIs means the previous hop is a
    /// strict router: the real Request-URI is the last Route. Then our own Route values on
    /// top are removed (two of them after double record-routing). `maddr` is not looked at.
    ///
    /// Returns whether the request was routed here: a Route of ours was removed or a strict
    /// router's rewrite undone (Kamailio's `loose_route()` being true).
    pub(crate) fn preprocess_routes(&self, request: &mut Request) -> bool {
        let mut routed_here = false;
        let has_route = request.headers().contains(HeaderName::Route);
        let strict = has_route
            && request
                .uri()
                .is_ok_and(|u| u.user().is_none() && self.is_local_uri(&u));
        if strict {
            let mut routes = wire::elements(request.headers(), HeaderName::Route);
            if let Some(last) = routes.pop() {
                request.set_uri(wire::uri_of(&last).to_owned());
                wire::set_routes(request.headers_mut(), &routes);
                routed_here = true;
            }
        }
        loop {
            let ours = request
                .headers()
                .get(HeaderName::Route)
                .map(|line| {
                    let line = String::from_utf8_lossy(line);
                    wire::split_list(&line).first().is_some_and(|first| {
                        Uri::parse(wire::uri_of(first)).is_ok_and(|u| self.is_local_uri(&u))
                    })
                })
                .unwrap_or(false);
            if !ours {
                break;
            }
            wire::pop_first(request.headers_mut(), HeaderName::Route);
            routed_here = true;
        }
        routed_here
    }

    /// Whether a URI names this proxy: a listener's host (or address, or one of
    /// `also_local_hosts`) with its port (the default port when none is written).
    pub(crate) fn is_local_uri(&self, uri: &Uri<'_>) -> bool {
        if !uri.is_sip() {
            return false;
        }
        let host = uri.host_str();
        let transport = wire::uri_transport(uri, Transport::Udp);
        let port = uri.port().unwrap_or_else(|| wire::default_port(transport));
        let listener = self.config.locals.iter().any(|l| {
            l.port == port && (l.host.eq_ignore_ascii_case(host) || host_is_ip(host, l.addr.ip()))
        });
        listener
            || self.config.also_local_hosts.iter().any(|h| {
                h.eq_ignore_ascii_case(host)
                    && (uri.port().is_none() || self.config.locals.iter().any(|l| l.port == port))
            })
    }

    /// Whether a Via was written by this proxy (its sent-by is one of our listeners).
    pub(crate) fn is_our_via(&self, via: &Via<'_>) -> bool {
        let transport = wire::transport_from_token(via.transport()).unwrap_or(Transport::Udp);
        let port = via.port().unwrap_or_else(|| wire::default_port(transport));
        let host = via.host_str();
        self.config.locals.iter().any(|l| {
            l.port == port && (l.host.eq_ignore_ascii_case(host) || host_is_ip(host, l.addr.ip()))
        })
    }

    /// §16.3 step 4: a Via of ours whose branch starts with the hash of this request means it
    /// came back unchanged (a loop); with another hash it is a spiral, which is fine.
    fn is_loop(&self, request: &Request, hash: u64) -> bool {
        if matches!(request.method(), Method::Ack | Method::Cancel) {
            return false;
        }
        let prefix = branch_prefix(hash);
        request
            .headers()
            .typed_all::<Via<'_>>()
            .filter_map(Result::ok)
            .any(|v| self.is_our_via(&v) && v.branch().is_some_and(|b| b.starts_with(&prefix)))
    }
}

fn host_is_ip(host: &str, ip: std::net::IpAddr) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<std::net::IpAddr>().is_ok_and(|h| h == ip)
}

/// The start of every branch sent for a request with this loop hash.
pub(crate) fn branch_prefix(hash: u64) -> String {
    format!("z9hG4bK{hash:016x}")
}

/// §16.6 step 8: a hash of everything that decides how the request is routed: the
/// Request-URI, To tag, From tag, Call-ID, CSeq, the Route set left, Proxy-Require and
/// Proxy-Authorization. Max-Forwards and Via change at every hop and are left out.
pub(crate) fn loop_hash(request: &Request) -> u64 {
    let mut h = Fnv::new();
    h.write(request.uri_raw());
    h.write(
        request
            .to()
            .ok()
            .and_then(|t| t.tag())
            .unwrap_or("")
            .as_bytes(),
    );
    h.write(
        request
            .from()
            .ok()
            .and_then(|f| f.tag())
            .unwrap_or("")
            .as_bytes(),
    );
    h.write(request.call_id().unwrap_or("").as_bytes());
    h.write(request.headers().get(HeaderName::CSeq).unwrap_or_default());
    for name in [
        HeaderName::Route,
        HeaderName::ProxyRequire,
        HeaderName::ProxyAuthorization,
    ] {
        for v in request.headers().get_all(name) {
            h.write(v);
        }
    }
    h.finish()
}

/// The top Route left, else the Request-URI; its address when it is an IP literal.
pub(crate) fn next_hop(request: &Request) -> Option<NextHop> {
    let (uri, from_route) = match wire::elements(request.headers(), HeaderName::Route).first() {
        Some(route) => (wire::uri_of(route).to_owned(), true),
        None => (
            String::from_utf8_lossy(request.uri_raw()).into_owned(),
            false,
        ),
    };
    Uri::parse(&uri).ok()?;
    let peer = wire::peer_for_uri(&uri, Transport::Udp);
    Some(NextHop {
        uri,
        from_route,
        peer,
    })
}

/// The URI a request goes to next: the top Route if there is one, else the Request-URI.
///
/// ```
/// use sip_message::{HeaderName, Method, Request};
/// let req = Request::builder(Method::Bye, "sip:bob@192.0.2.2")
///     .header(HeaderName::Route, "<sip:192.0.2.9;lr>, <sip:192.0.2.8;lr>")
///     .build();
/// assert_eq!(sip_proxy::next_hop_uri(&req), "sip:192.0.2.9;lr");
/// ```
pub fn next_hop_uri(request: &Request) -> String {
    match wire::elements(request.headers(), HeaderName::Route).first() {
        Some(route) => wire::uri_of(route).to_owned(),
        None => String::from_utf8_lossy(request.uri_raw()).into_owned(),
    }
}
