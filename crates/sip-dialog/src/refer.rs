//! REFER (RFC 3515): the referrer's REFER and the implicit `refer` subscription it creates,
//! and the referee's NOTIFYs carrying `message/sipfrag` status lines.
//!
//! ```text
//!  referrer                                   referee
//!     | REFER (Refer-To)                          |
//!     |------------------------------------------>|  DialogEvent::Request (+ subscription)
//!     |                      202 Accepted (app)   |
//!     |<------------------------------------------|
//!     |   NOTIFY active, "SIP/2.0 100 Trying"     |  sent by the layer on the 2xx
//!     |<------------------------------------------|
//!     |   NOTIFY terminated, "SIP/2.0 200 OK"     |  DialogLayer::notify_refer(200)
//!     |<------------------------------------------|
//! ```

use std::time::{Duration, Instant};

use sip_message::header::ReferTo;
use sip_message::{HeaderName, Method, Request, Response};
use sip_transaction::{Peer, ServerKey};

use crate::command::{Body, NotifyState};
use crate::request::Purpose;
use crate::subscription::{Role, State, Subscription};
use crate::timers::{Owner, Timer};
use crate::{
    ApiError, DialogId, DialogLayer, DialogState, IncomingId, RequestId, SubscriptionEnd,
    SubscriptionId,
};

/// The Content-Type of REFER NOTIFY bodies.
pub const SIPFRAG: &str = "message/sipfrag;version=2.0";

impl DialogLayer {
    /// Sends a REFER in a confirmed dialog asking the peer to contact `refer_to` (a URI), and
    /// creates the implicit subscription to its progress (RFC 3515 §2.4.4). The NOTIFYs come
    /// as [`DialogEvent::Notify`](crate::DialogEvent::Notify) with a `message/sipfrag` body;
    /// the subscription ends when one says `terminated`.
    pub fn refer(
        &mut self,
        now: Instant,
        dialog: DialogId,
        refer_to: &str,
    ) -> Result<SubscriptionId, ApiError> {
        if self.live_dialog(dialog)?.state != DialogState::Confirmed {
            return Err(ApiError::InvalidState("REFER needs a confirmed dialog"));
        }
        sip_message::Uri::parse(refer_to).map_err(|_| ApiError::InvalidInput("Refer-To URI"))?;
        let sub = SubscriptionId(self.subs.insert(Subscription::new(
            Role::Subscriber,
            "refer",
            None,
            Some(dialog),
        )));
        let extra = vec![(HeaderName::ReferTo, format!("<{refer_to}>"))];
        let rid = match self.send_in_dialog(
            now,
            dialog,
            Method::Refer,
            (None, &extra),
            Purpose::Refer(sub),
            false,
        ) {
            Ok(rid) => rid,
            Err(e) => {
                self.subs.remove(sub.0);
                return Err(e);
            }
        };
        // The first NOTIFY names the REFER by its CSeq number (§2.4.6).
        let cseq = self
            .requests
            .get(rid.0)
            .and_then(|o| o.request.cseq().ok().map(|c| c.seq()));
        if let Some(s) = self.subs.get_mut(sub.0) {
            s.request = Some(rid);
            s.id = cseq.map(|c| c.to_string().into());
        }
        if let Some(d) = self.dialogs.get_mut(dialog.0) {
            d.subscriptions.push(sub);
        }
        self.pump(now);
        Ok(sub)
    }

    /// Reports the progress of a REFER we accepted: a NOTIFY whose body is the status line
    /// `SIP/2.0 <status> <reason>`. A final status (200-699) ends the subscription
    /// (`terminated;reason=noresource`).
    pub fn notify_refer(
        &mut self,
        now: Instant,
        sub: SubscriptionId,
        status: u16,
    ) -> Result<(), ApiError> {
        if !(100..=699).contains(&status) {
            return Err(ApiError::InvalidStatus(status));
        }
        let body = Body::new(SIPFRAG, sipfrag(status));
        let state = if status >= 200 {
            NotifyState::Terminated {
                reason: Some("noresource".to_owned()),
            }
        } else {
            NotifyState::Active
        };
        self.notify(now, sub, state, Some(body))
    }

    pub(crate) fn on_refer_response(
        &mut self,
        now: Instant,
        rid: RequestId,
        sub: SubscriptionId,
        response: Response,
    ) {
        let status = response.status();
        if status < 200 {
            return;
        }
        if let Some(s) = self.subs.get_mut(sub.0) {
            s.request = None;
        }
        if !(200..300).contains(&status) {
            self.in_dialog_final(now, rid, &response);
            self.terminate_subscription(now, sub, SubscriptionEnd::Rejected(status));
            return;
        }
        if self.subs.get(sub.0).is_some_and(|s| s.state == State::Init) {
            let wait = now + self.cfg.timeout();
            self.arm(Owner::Subscription(sub), Timer::NotifyWait, wait);
        }
    }

    /// A REFER (referee side): `400` without a Refer-To; otherwise reported with the
    /// subscription that accepting it creates.
    pub(crate) fn on_refer(
        &mut self,
        now: Instant,
        key: ServerKey,
        source: Peer,
        request: Request,
        d: Option<DialogId>,
    ) -> Option<IncomingId> {
        if request.headers().typed::<ReferTo<'_>>().is_err() {
            self.reply(now, key, &request, 400, &[]);
            return None;
        }
        let id = request.cseq().ok().map(|c| c.seq().to_string());
        let sub = SubscriptionId(self.subs.insert(Subscription::new(
            Role::Notifier,
            "refer",
            id.as_deref(),
            None,
        )));
        Some(self.deliver(key, source, request, d, Some(sub)))
    }

    /// The application accepted a REFER: the implicit subscription starts, and its first
    /// NOTIFY (`100 Trying`) goes out at once (RFC 3515 §2.4.4).
    pub(crate) fn refer_accepted(&mut self, now: Instant, sub: SubscriptionId, d: DialogId) {
        let expires = Duration::from_secs(self.cfg.refer_expires.into());
        if let Some(s) = self.subs.get_mut(sub.0) {
            s.dialog = Some(d);
            s.expires_at = Some(now + expires);
        }
        if let Some(x) = self.dialogs.get_mut(d.0) {
            if !x.subscriptions.contains(&sub) {
                x.subscriptions.push(sub);
            }
        }
        self.arm(
            Owner::Subscription(sub),
            Timer::SubscriptionExpiry,
            now + expires,
        );
        let body = Body::new(SIPFRAG, sipfrag(100));
        let _ = self.send_notify(
            now,
            sub,
            NotifyState::Active,
            Some(body),
            SubscriptionEnd::Local,
        );
    }
}

/// `SIP/2.0 <status> <reason>\r\n`.
fn sipfrag(status: u16) -> String {
    format!(
        "SIP/2.0 {status} {}\r\n",
        sip_message::status::reason_phrase(status)
    )
}
