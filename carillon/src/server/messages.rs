//! Store and forward for MESSAGE (RFC 3428): a MESSAGE for a user of ours who is not
//! registered is kept on disk and answered `202 Accepted` once it is durable; when the user
//! next registers, the server sends each kept message to the new contact and forgets it on a
//! 2xx (anything else leaves it for the next registration).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use carillon_store::{LocationStore, MessageStore, StoredMessage};
use sip_message::{HeaderName, Method, Request};
use sip_proxy::{OriginId, Proxy, RequestId};

use super::service::{Completion, CompletionKind, Service, binding_target};
use crate::metrics::Metrics;

/// The store-and-forward settings and the deliveries in flight.
#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    /// Keep MESSAGEs for unregistered users at all.
    pub(crate) enabled: bool,
    /// Seconds a kept message waits before it is dropped.
    pub(crate) max_age: u64,
    /// Most messages kept per user; beyond it the sender gets 480.
    pub(crate) max_per_user: usize,
    deliveries: HashMap<OriginId, u64>,
    in_flight: HashSet<u64>,
}

impl Mailbox {
    /// Settings from the configuration.
    pub(crate) fn new(enabled: bool, max_age: u64, max_per_user: usize) -> Self {
        Mailbox {
            enabled,
            max_age,
            max_per_user,
            ..Mailbox::default()
        }
    }
}

impl Service {
    /// A MESSAGE for `aor`, who has no binding: keep it, answer 202 once it is on disk.
    pub(super) fn keep_message(
        &mut self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        request: &Request,
        aor: String,
    ) {
        match self.store.count_messages(&aor) {
            Ok(n) if n < self.messages.max_per_user => {}
            Ok(_) => {
                // The mailbox is full: the sender may try again later.
                self.answer(proxy, now, id, request, 480);
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "counting stored messages failed");
                self.answer(proxy, now, id, request, 500);
                return;
            }
        }
        let header = |name| {
            request
                .headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default()
        };
        let unix = crate::cli::unix_now();
        let message = StoredMessage {
            id: 0,
            aor,
            from: header(HeaderName::From),
            to: header(HeaderName::To),
            content_type: header(HeaderName::ContentType),
            body: request.body().to_vec(),
            received_at: unix,
            expires_at: unix.saturating_add(self.messages.max_age),
        };
        let (_, commit) = self.store.store_message(message);
        let response = self.response(request, 202);
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
                    kind: CompletionKind::Message,
                })
                .await;
        });
    }

    /// `aor` has just registered: send it what waits for it, to its preferred contact.
    pub(super) fn deliver_pending(&mut self, proxy: &mut Proxy, now: Instant, aor: &str) {
        let unix = crate::cli::unix_now();
        let pending = match self.store.pending_messages(aor, unix) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, aor, "reading stored messages failed");
                return;
            }
        };
        if pending.is_empty() {
            return;
        }
        let Some(binding) = self.store.lookup(aor, unix).into_iter().next() else {
            return;
        };
        let Some(target) = binding_target(&binding, &self.transport) else {
            return;
        };
        for m in pending {
            if self.messages.in_flight.contains(&m.id) {
                continue;
            }
            let mut b = Request::builder(Method::Message, binding.uri.clone())
                .header(HeaderName::From, m.from.clone())
                .header(HeaderName::To, m.to.clone())
                .call_id(&format!("{:016x}-{}@carillon", self.tag_seed, m.id))
                .cseq(1);
            for route in &target.route {
                b = b.header(HeaderName::Route, route.clone());
            }
            let request = if m.content_type.is_empty() {
                b.build()
            } else {
                b.body(&m.content_type, m.body.clone()).build()
            };
            match proxy.originate(now, request, target.destination, target.local) {
                Ok(origin) => {
                    self.messages.deliveries.insert(origin, m.id);
                    self.messages.in_flight.insert(m.id);
                }
                Err(e) => tracing::warn!(error = %e, aor, "stored message not sent"),
            }
        }
    }

    /// A delivery got its final status: a 2xx forgets the message, anything else keeps it
    /// for the next registration.
    pub(crate) fn originated(&mut self, origin: OriginId, status: u16) {
        let Some(id) = self.messages.deliveries.remove(&origin) else {
            return;
        };
        self.messages.in_flight.remove(&id);
        if (200..300).contains(&status) {
            Metrics::inc(&self.metrics.messages_delivered);
            // Not awaited: if the process dies first, the message goes out again (at least
            // once, never lost).
            drop(self.store.delete_message(id));
        } else {
            tracing::info!(status, message = id, "stored message not delivered; kept");
        }
    }
}
