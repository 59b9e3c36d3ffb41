//! The service chain: what the server does with each new request the proxy core reports.
//!
//! In order: requests already routed (in-dialog, or carrying a Route) follow their route;
//! REGISTER goes to authentication and the registrar; OPTIONS to the server is answered;
//! everything else is authenticated when it claims to come from one of our domains, then
//! sent to the registered contacts of a local user, or out to another domain for our own
//! authenticated users only (never an open relay).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use carillon_store::{Binding, LocationStore, SqliteStore, StoreError, UserStore};
use sip_auth::Authenticator;
use sip_message::{HeaderName, Method, Request, Response, Uri};
use sip_proxy::{ForwardPlan, NextHop, Proxy, RequestId, Target};
use sip_registrar::RegistrarConfig;
use sip_resolver::{HickoryLookup, ResolveError, Resolver};
use sip_transport::{Peer, Transport, TransportLayer};
use tokio::sync::mpsc;

use super::auth::{AuthOutcome, consume_credentials};
use super::routing::{self, Domains};
use crate::config::Network;
use crate::metrics::Metrics;

/// Methods the server itself answers or routes, for Allow.
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, REFER, INFO, UPDATE, PRACK, PUBLISH";

/// A request whose effect is being written (a REGISTER's bindings, a MESSAGE kept for
/// later): answered when the store says it is on disk.
#[derive(Debug)]
pub(crate) struct Completion {
    pub(crate) id: RequestId,
    pub(crate) response: Response,
    pub(crate) result: Result<(), StoreError>,
    pub(crate) request: Request,
    pub(crate) kind: CompletionKind,
}

/// What was written.
#[derive(Debug)]
pub(crate) enum CompletionKind {
    /// The bindings of `aor`; `live` when some remain (stored messages can go out).
    Register { aor: String, live: bool },
    /// A MESSAGE kept for its recipient.
    Message,
}

/// A next hop whose domain name was looked up (RFC 3263): forward now, or answer.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub(crate) id: RequestId,
    pub(crate) request: Request,
    pub(crate) target: String,
    pub(crate) record_route: bool,
    pub(crate) stateless: bool,
    pub(crate) result: Result<Peer, ResolveError>,
}

/// The RFC 3263 resolver the server forwards with.
pub(crate) type Dns = Resolver<HickoryLookup>;

/// Everything the chain needs besides the proxy core.
pub(crate) struct Service {
    pub(crate) store: Arc<SqliteStore>,
    pub(crate) transport: TransportLayer,
    pub(crate) auth: Authenticator,
    pub(crate) registrar: RegistrarConfig,
    pub(crate) domains: Domains,
    pub(crate) trusted: Vec<Network>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) record_route: bool,
    pub(crate) forward_to_other_domains: bool,
    pub(crate) server_header: String,
    pub(crate) completions: mpsc::Sender<Completion>,
    pub(crate) dns: Option<Arc<Dns>>,
    pub(crate) resolved: mpsc::Sender<Resolved>,
    pub(crate) draining: bool,
    pub(crate) tag_seed: u64,
    pub(crate) messages: super::messages::Mailbox,
    pub(crate) guard: Option<super::security::Guard>,
}

/// A new request from the proxy core, with what the core found out about it.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) id: RequestId,
    pub(crate) source: Peer,
    pub(crate) local: SocketAddr,
    pub(crate) request: Request,
    pub(crate) in_dialog: bool,
    pub(crate) next_hop: Option<NextHop>,
    pub(crate) routed_here: bool,
    pub(crate) stateless: bool,
}

/// Who the request is, once authentication has run.
enum Identity {
    /// A trusted peer by source address.
    Trusted,
    /// One of our users, by digest.
    User,
    /// Nobody in particular (a request from another domain).
    Anonymous,
}

impl Service {
    /// Handles one new request.
    pub(crate) fn on_request(&mut self, proxy: &mut Proxy, now: Instant, incoming: Incoming) {
        let Incoming {
            id,
            source,
            local,
            request,
            in_dialog,
            next_hop,
            routed_here,
            stateless,
        } = incoming;
        self.domains.refresh(now);
        if stateless {
            // An ACK for a 2xx goes end to end along the route we record-routed; a stray ACK
            // (not routed here, matching no transaction) is dropped.
            let hop = next_hop.as_ref().filter(|_| routed_here);
            match hop.map(|h| (h, self.onward(&request, h))) {
                Some((hop, Ok((target, peer)))) => {
                    let hop = hop.uri.clone();
                    self.forward_to(proxy, now, id, &request, target, &hop, peer, true, false);
                }
                _ => {
                    let _ = proxy.discard(id);
                }
            }
            return;
        }
        let method = request.method().clone();
        if self.draining && !in_dialog {
            let mut r = self.response(&request, 503);
            r.headers_mut().push(HeaderName::RetryAfter, "5");
            self.send(proxy, now, id, r);
            return;
        }
        let has_route = next_hop.as_ref().is_some_and(|h| h.from_route);
        if in_dialog {
            if routed_here {
                self.route_onward(proxy, now, id, &request, next_hop.as_ref());
            } else {
                // Not through our Record-Route: not a dialog of ours to relay.
                self.answer(proxy, now, id, &request, 404);
            }
            return;
        }
        let Ok(ruri) = request.uri() else {
            self.answer(proxy, now, id, &request, 416);
            return;
        };
        let target_host = routing::uri_host(&ruri);
        let target_ours = self.domains.serves(&target_host);
        let to_server = ruri.user().is_none() && self.domains.is_own(&target_host);
        match method {
            Method::Register if !has_route => {
                if target_ours {
                    self.register(proxy, now, id, source, local, &request);
                } else {
                    self.answer(proxy, now, id, &request, 403);
                }
                return;
            }
            Method::Options if (has_route || !to_server) && max_forwards(&request) == Some(0) => {
                // §16.3 step 3: not ours to answer and no hops left.
                self.answer(proxy, now, id, &request, 483);
                return;
            }
            Method::Options if to_server && !has_route => {
                let mut r = self.response(&request, 200);
                r.headers_mut().push(HeaderName::Allow, ALLOW);
                r.headers_mut().push(HeaderName::Accept, "application/sdp");
                r.headers_mut()
                    .push(HeaderName::Supported, "path, outbound, gruu");
                self.send(proxy, now, id, r);
                return;
            }
            _ => {}
        }
        // Authentication: requests claiming one of our domains must prove it (RFC 3261
        // §22.3: 407 from a proxy), unless they come from a trusted peer.
        let from_host = request
            .from()
            .ok()
            .map(|f| routing::uri_host(&f.0.uri()))
            .unwrap_or_default();
        let identity = if self.is_trusted(source) {
            Identity::Trusted
        } else if self.domains.serves(&from_host) {
            let from_user = request
                .from()
                .ok()
                .and_then(|f| f.0.uri().user().map(str::to_owned))
                .unwrap_or_default();
            match self.authenticate(
                &request,
                source.addr.ip(),
                &from_host,
                HeaderName::ProxyAuthorization,
            ) {
                AuthOutcome::Ok(user) if user == from_user => {
                    consume_credentials(proxy, id, &from_host);
                    Identity::User
                }
                AuthOutcome::Ok(_) => {
                    // Authenticated as someone else than the From claims: no impersonation.
                    self.answer(proxy, now, id, &request, 403);
                    return;
                }
                AuthOutcome::Challenge { stale } => {
                    self.challenge(proxy, now, id, &request, &from_host, stale, 407);
                    return;
                }
            }
        } else {
            Identity::Anonymous
        };
        if has_route {
            // A preloaded route: only for those we vouch for.
            if matches!(identity, Identity::Anonymous) {
                self.answer(proxy, now, id, &request, 403);
            } else {
                self.route_onward(proxy, now, id, &request, next_hop.as_ref());
            }
            return;
        }
        if target_ours {
            if to_server {
                self.answer(proxy, now, id, &request, 404);
                return;
            }
            self.route_to_local_user(proxy, now, id, &request, &ruri, &target_host);
            return;
        }
        if !self.forward_to_other_domains || matches!(identity, Identity::Anonymous) {
            // Never an open relay: only our authenticated users and trusted peers go out.
            self.answer(proxy, now, id, &request, 403);
            return;
        }
        let peer = routing::peer_for_uri(&ruri, Transport::Udp);
        let target = ruri.as_str().to_owned();
        let rr = self.record_route;
        self.forward_to(
            proxy,
            now,
            id,
            &request,
            target.clone(),
            &target,
            peer,
            false,
            rr,
        );
    }

    /// Forwards to one target whose next hop is `hop` (a URI): at once when `peer` is known,
    /// else after an RFC 3263 lookup of `hop` in a task (the answer comes back as
    /// [`Resolved`]).
    #[allow(clippy::too_many_arguments)]
    fn forward_to(
        &mut self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        request: &Request,
        target: String,
        hop: &str,
        peer: Option<Peer>,
        stateless: bool,
        record_route: bool,
    ) {
        if let Some(peer) = peer {
            let plan = ForwardPlan {
                groups: vec![vec![Target::new(target, peer)]],
                record_route,
            };
            self.forward_plan(proxy, now, id, request, plan, stateless);
            return;
        }
        let Some(dns) = self.dns.clone() else {
            self.answer_or_discard(proxy, now, id, request, 503, stateless);
            return;
        };
        let hop = hop.to_owned();
        let tx = self.resolved.clone();
        let request = request.clone();
        tokio::spawn(async move {
            let result = match Uri::parse(&hop) {
                Ok(uri) => dns.resolve(&uri).await.and_then(|mut targets| {
                    dns.next_target(&mut targets)
                        .map(|t| Peer::new(t.addr(), t.transport()))
                        .ok_or_else(|| ResolveError::NotFound(hop.clone()))
                }),
                Err(_) => Err(ResolveError::NoHost),
            };
            let _ = tx
                .send(Resolved {
                    id,
                    request,
                    target,
                    record_route,
                    stateless,
                    result,
                })
                .await;
        });
    }

    /// A lookup started by [`Service::forward_to`] finished.
    pub(crate) fn resolved(&mut self, proxy: &mut Proxy, now: Instant, r: Resolved) {
        match r.result {
            Ok(peer) => {
                let plan = ForwardPlan {
                    groups: vec![vec![Target::new(r.target, peer)]],
                    record_route: r.record_route,
                };
                self.forward_plan(proxy, now, r.id, &r.request, plan, r.stateless);
            }
            Err(e) => {
                tracing::info!(target = %r.target, error = %e, "next hop not resolved");
                // No SIP records for the domain: 404; the lookup itself failed: 503.
                let status = match e {
                    ResolveError::NotFound(_) | ResolveError::NoHost => 404,
                    ResolveError::UnsupportedScheme => 416,
                    _ => 503,
                };
                self.answer_or_discard(proxy, now, r.id, &r.request, status, r.stateless);
            }
        }
    }

    pub(super) fn answer_or_discard(
        &self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        request: &Request,
        status: u16,
        stateless: bool,
    ) {
        if stateless {
            let _ = proxy.discard(id);
        } else {
            self.answer(proxy, now, id, request, status);
        }
    }

    pub(crate) fn is_trusted(&self, source: Peer) -> bool {
        self.trusted.iter().any(|n| n.contains(source.addr.ip()))
    }

    /// Where a routed request goes next: the target (its Request-URI, or for one of our
    /// GRUUs the contact of the binding it names, RFC 5627 §8.4.1) and the peer when known.
    /// A Request-URI that is a registered contact goes where that registration came from
    /// (the phone may be behind NAT, or reachable only on its connection). `Err` is the
    /// status to answer: 480 for a GRUU whose instance is not registered.
    fn onward(&self, request: &Request, hop: &NextHop) -> Result<(String, Option<Peer>), u16> {
        let ruri = String::from_utf8_lossy(request.uri_raw()).into_owned();
        if hop.from_route {
            return Ok((ruri, hop.peer));
        }
        if let Ok(uri) = Uri::parse(&hop.uri) {
            if uri.params().get("gr").is_some() && self.domains.serves(&routing::uri_host(&uri)) {
                return match self.gruu_binding(&uri) {
                    Some(b) => Ok((
                        b.uri.clone(),
                        routing::binding_destination(&b, &self.transport),
                    )),
                    None => Err(480),
                };
            }
            if let Some(peer) = self.contact_destination(&uri) {
                return Ok((ruri, Some(peer)));
            }
        }
        Ok((ruri, hop.peer))
    }

    /// The live binding a GRUU of ours names: its address of record's binding with its
    /// instance.
    fn gruu_binding(&self, uri: &Uri<'_>) -> Option<Binding> {
        let gruu = sip_registrar::resolve_gruu(&self.registrar, uri)?;
        self.store
            .lookup(&gruu.aor, crate::cli::unix_now())
            .into_iter()
            .find(|b| b.instance_id.as_deref() == Some(gruu.instance.as_str()))
    }

    /// In-dialog requests and requests with a Route left: onward along their route.
    fn route_onward(
        &mut self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        request: &Request,
        next_hop: Option<&NextHop>,
    ) {
        let Some(hop) = next_hop else {
            self.answer(proxy, now, id, request, 404);
            return;
        };
        match self.onward(request, hop) {
            Ok((target, peer)) => {
                self.forward_to(
                    proxy, now, id, request, target, &hop.uri, peer, false, false,
                );
            }
            Err(status) => self.answer(proxy, now, id, request, status),
        }
    }

    /// The registration source of a contact URI: phones register their Contact under the
    /// same user name at one of our domains, so the bindings of `user@domain` for each
    /// served domain are searched for exactly this contact (a handful of map lookups, not a
    /// scan of every binding).
    pub(super) fn contact_destination(&self, uri: &Uri<'_>) -> Option<Peer> {
        let user = uri.user()?;
        let host = routing::uri_host(uri);
        let port = uri.port();
        let now = crate::cli::unix_now();
        self.domains
            .all()
            .flat_map(|d| self.store.lookup(&format!("sip:{user}@{d}"), now))
            .find(|b| {
                Uri::parse(&b.uri).is_ok_and(|bu| {
                    bu.user() == Some(user) && routing::uri_host(&bu) == host && bu.port() == port
                })
            })
            .and_then(|b| routing::binding_destination(&b, &self.transport))
    }

    pub(super) fn route_to_local_user(
        &mut self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        request: &Request,
        ruri: &Uri<'_>,
        domain: &str,
    ) {
        if ruri.params().get("gr").is_some() {
            // A GRUU reaches one instance only (RFC 5627 §8.4.1).
            let target = self
                .gruu_binding(ruri)
                .and_then(|b| binding_target(&b, &self.transport));
            match target {
                Some(t) => self.forward(proxy, now, id, request, vec![vec![t]]),
                None => self.answer(proxy, now, id, request, 480),
            }
            return;
        }
        let Some(user) = ruri.user_unescaped() else {
            self.answer(proxy, now, id, request, 404);
            return;
        };
        let user = String::from_utf8_lossy(&user).into_owned();
        match self.store.user(&user, domain) {
            Ok(Some(_)) => {}
            Ok(None) => {
                self.answer(proxy, now, id, request, 404);
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "user lookup failed");
                self.answer(proxy, now, id, request, 500);
                return;
            }
        }
        let Some(aor) = sip_registrar::aor_from_uri(ruri) else {
            self.answer(proxy, now, id, request, 404);
            return;
        };
        let bindings = self.store.lookup(&aor, crate::cli::unix_now());
        if bindings.is_empty() {
            if *request.method() == sip_message::Method::Message && self.messages.enabled {
                self.keep_message(proxy, now, id, request, aor);
            } else {
                self.answer(proxy, now, id, request, 480);
            }
            return;
        }
        let groups: Vec<Vec<Target>> = sip_registrar::targets(&bindings)
            .into_iter()
            .map(|g| {
                g.into_iter()
                    .filter_map(|b| binding_target(b, &self.transport))
                    .collect::<Vec<_>>()
            })
            .filter(|g| !g.is_empty())
            .collect();
        if groups.is_empty() {
            self.answer(proxy, now, id, request, 480);
            return;
        }
        self.forward(proxy, now, id, request, groups);
    }

    pub(super) fn forward(
        &mut self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        request: &Request,
        groups: Vec<Vec<Target>>,
    ) {
        let plan = ForwardPlan {
            groups,
            record_route: self.record_route,
        };
        self.forward_plan(proxy, now, id, request, plan, false);
    }

    pub(super) fn forward_plan(
        &mut self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        request: &Request,
        plan: ForwardPlan,
        stateless: bool,
    ) {
        if let Err(e) = proxy.forward(now, id, plan) {
            if stateless {
                tracing::debug!(error = %e, "ACK not forwarded");
                return;
            }
            tracing::warn!(error = %e, method = %request.method().as_str(), "forwarding refused");
            self.answer(proxy, now, id, request, 500);
        }
    }

    /// A response of ours to `request`, with a To tag and the Server header.
    pub(super) fn response(&self, request: &Request, status: u16) -> Response {
        self.finish(Response::from_request(request, status))
    }

    pub(super) fn finish(&self, mut r: Response) -> Response {
        r.set_to_tag(&self.to_tag(&r));
        if r.headers().get(HeaderName::Server).is_none() {
            r.headers_mut()
                .push(HeaderName::Server, self.server_header.clone());
        }
        r
    }

    /// A To tag that is the same for retransmissions of one request (derived from its
    /// Call-ID and top Via branch) and unguessable across servers (seeded).
    pub(super) fn to_tag(&self, r: &Response) -> String {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hasher};
        let mut h = BuildHasherDefault::<DefaultHasher>::default().build_hasher();
        h.write_u64(self.tag_seed);
        h.write(r.call_id().unwrap_or("").as_bytes());
        h.write(
            r.via()
                .ok()
                .and_then(|v| v.branch())
                .unwrap_or("")
                .as_bytes(),
        );
        format!("{:x}", h.finish())
    }

    pub(super) fn answer(
        &self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        request: &Request,
        status: u16,
    ) {
        let r = self.response(request, status);
        self.send(proxy, now, id, r);
    }

    pub(super) fn send(&self, proxy: &mut Proxy, now: Instant, id: RequestId, response: Response) {
        if let Err(e) = proxy.respond(now, id, response) {
            tracing::debug!(error = %e, "response not sent");
        }
    }
}

fn max_forwards(request: &Request) -> Option<u8> {
    request
        .headers()
        .typed::<sip_message::header::MaxForwards>()
        .ok()
        .map(|m| m.0)
}

/// A forwarding target for one binding: its Contact URI as the new Request-URI, sent to
/// where the registration came from, through its Path.
pub(super) fn binding_target(b: &Binding, transport: &TransportLayer) -> Option<Target> {
    let peer = routing::binding_destination(b, transport)?;
    let mut t = Target::new(b.uri.clone(), peer);
    t.route = b.path.clone();
    t.local = b.local;
    Some(t)
}
