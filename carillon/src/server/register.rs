//! REGISTER in the service chain: authentication, the registrar's decision, the durable
//! commit, and the answer once the bindings are on disk.

use std::net::SocketAddr;
use std::time::Instant;

use carillon_store::{LocationStore, UserStore};
use sip_message::{HeaderName, Request};
use sip_proxy::{Proxy, RequestId};
use sip_registrar::{Decision, RegisterContext};
use sip_transport::Peer;

use super::auth::AuthOutcome;
use super::routing;
use super::service::{Completion, CompletionKind, Service};
use crate::metrics::Metrics;

/// Addresses of record waiting to be written beyond which new registrations get 503.
const MAX_STORE_BACKLOG: usize = 20_000;

impl Service {
    pub(super) fn register(
        &mut self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        source: Peer,
        local: SocketAddr,
        request: &Request,
    ) {
        let Some((aor, to_user, domain)) = request.to().ok().and_then(|t| {
            let uri = t.0.uri();
            let aor = sip_registrar::aor_from_uri(&uri)?;
            let user = String::from_utf8_lossy(&uri.user_unescaped()?).into_owned();
            Some((aor, user, routing::uri_host(&uri)))
        }) else {
            self.answer(proxy, now, id, request, 400);
            return;
        };
        if !self.is_trusted(source) {
            match self.authenticate(
                request,
                source.addr.ip(),
                &domain,
                HeaderName::Authorization,
            ) {
                AuthOutcome::Ok(user) if user == to_user => {}
                AuthOutcome::Ok(_) => {
                    // RFC 3261 §10.3 step 3: this user may not register that address.
                    self.answer(proxy, now, id, request, 403);
                    return;
                }
                AuthOutcome::Challenge { stale } => {
                    self.challenge(proxy, now, id, request, &domain, stale, 401);
                    return;
                }
            }
        }
        // Only users of ours register, trusted peers included.
        match self.store.user(&to_user, &domain) {
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
        };
        let unix = crate::cli::unix_now();
        // Bindings not newer than the user's last removal belong to the removed user (the
        // command line removes users in another process; housekeeping drops their
        // bindings within seconds, this covers a user re-added before that). Times are in
        // seconds: a binding made in the very second of the removal is dropped too, and
        // comes back with its phone's next REGISTER.
        let mut current = self.store.lookup(&aor, unix);
        if let Ok(Some(removed)) = self.store.removed_at(&to_user, &domain) {
            current.retain(|b| b.updated_at > removed);
        }
        let transport = source.transport.as_str().to_ascii_lowercase();
        let ctx = RegisterContext {
            aor: &aor,
            now: unix,
            source: Some(source.addr),
            transport: &transport,
            local: Some(local),
        };
        match sip_registrar::process(&self.registrar, request, &ctx, &current) {
            Decision::Query => {
                let r = self.finish(sip_registrar::ok_response(
                    &self.registrar,
                    request,
                    &current,
                    unix,
                ));
                self.send(proxy, now, id, r);
            }
            Decision::Update { .. } if self.store.backlog() >= MAX_STORE_BACKLOG => {
                // The disk is behind: refuse instead of queueing without bound.
                Metrics::inc(&self.metrics.overload_rejections);
                let mut r = self.response(request, 503);
                r.headers_mut().push(
                    HeaderName::RetryAfter,
                    super::security::RETRY_AFTER.as_secs().to_string(),
                );
                self.send(proxy, now, id, r);
            }
            Decision::Update { bindings } => {
                let response = self.finish(sip_registrar::ok_response(
                    &self.registrar,
                    request,
                    &bindings,
                    unix,
                ));
                let live = !bindings.is_empty();
                let kind = CompletionKind::Register {
                    aor: aor.clone(),
                    live,
                };
                let commit = self.store.replace(&aor, bindings);
                let tx = self.completions.clone();
                let request = request.clone();
                tokio::spawn(async move {
                    let result = commit.await;
                    let _ = tx
                        .send(Completion {
                            id,
                            response,
                            result,
                            request,
                            kind,
                        })
                        .await;
                });
            }
            Decision::Reject(rejection) => {
                let r = self.finish(sip_registrar::reject_response(request, &rejection));
                self.send(proxy, now, id, r);
            }
            _ => self.answer(proxy, now, id, request, 500),
        }
    }

    /// A REGISTER's bindings are on disk (or failed to get there): answer it now.
    pub(crate) fn completed(&mut self, proxy: &mut Proxy, now: Instant, c: Completion) {
        match c.result {
            Ok(()) => {
                self.send(proxy, now, c.id, c.response);
                match c.kind {
                    CompletionKind::Register { aor, live } => {
                        Metrics::inc(&self.metrics.register_updates);
                        if live {
                            self.deliver_pending(proxy, now, &aor);
                        }
                    }
                    CompletionKind::Message => Metrics::inc(&self.metrics.messages_stored),
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "store write failed; answering 500");
                Metrics::inc(&self.metrics.store_failures);
                let mut r = self.response(&c.request, 500);
                r.headers_mut().push(HeaderName::RetryAfter, "5");
                self.send(proxy, now, c.id, r);
            }
        }
    }
}
