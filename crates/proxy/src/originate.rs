//! Requests the server sends on its own behalf through the proxy's transaction layer: a
//! stored MESSAGE delivered when its recipient registers, for example. The proxy adds its Via
//! and runs the client transaction; the server learns the final status.

use std::net::SocketAddr;
use std::time::Instant;

use sip_message::{HeaderName, Request};
use sip_transaction::{ClientKey, Peer};

use crate::{Proxy, ProxyError, ProxyEvent, ProxyOutput};

/// Names a request sent with [`Proxy::originate`] until its [`ProxyEvent::Originated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OriginId(pub(crate) u64);

impl Proxy {
    /// Sends `request` (a non-INVITE the server built: Request-URI, From, To, Call-ID, CSeq,
    /// body) to `destination` in a client transaction of its own, from `local` or the first
    /// listener of the destination's transport. The proxy adds its Via (with a fresh branch)
    /// and Max-Forwards when absent. The final status (or 408 on timeout, 503 when the
    /// transport failed) comes back as [`ProxyEvent::Originated`].
    pub fn originate(
        &mut self,
        now: Instant,
        mut request: Request,
        destination: Peer,
        local: Option<SocketAddr>,
    ) -> Result<OriginId, ProxyError> {
        let from = local.unwrap_or(self.input_local);
        let out = self.local_for(from, destination.transport);
        let branch = format!("z9hG4bK-o{:016x}", self.random());
        request.headers_mut().insert_first(
            HeaderName::Via,
            format!(
                "SIP/2.0/{} {};branch={branch}",
                out.transport,
                out.sent_by()
            ),
        );
        if !request.headers().contains(HeaderName::MaxForwards) {
            request.headers_mut().push(
                HeaderName::MaxForwards,
                self.config.max_forwards_default.to_string(),
            );
        }
        let key = self.tl.start_client(now, request, destination)?;
        self.next_origin += 1;
        let id = crate::OriginId(self.next_origin);
        self.originated.insert(key, id);
        self.key_local.insert(key.into(), out.addr);
        self.pump(now);
        Ok(id)
    }

    /// A final status for an originated request: tell the server, once.
    pub(crate) fn origin_answered(&mut self, key: ClientKey, status: u16) {
        if status < 200 {
            return;
        }
        if let Some(id) = self.originated.remove(&key) {
            self.out
                .push_back(ProxyOutput::Event(ProxyEvent::Originated { id, status }));
        }
    }
}
