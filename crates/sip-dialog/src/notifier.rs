//! The notifier side of a subscription (RFC 6665 §4.2): accepting SUBSCRIBEs, NOTIFYs one at
//! a time, and the final NOTIFY when a subscription expires.

use std::time::{Duration, Instant};

use sip_message::header::Expires;
use sip_message::{HeaderName, Method, Request, Response};
use sip_transaction::{Peer, ServerKey};

use crate::command::{Body, NotifyState};
use crate::request::Purpose;
use crate::subscription::{Role, State, Subscription, event_of};
use crate::timers::{Owner, Timer};
use crate::{
    ApiError, DialogId, DialogLayer, IncomingId, RequestId, SubscriptionEnd, SubscriptionId,
};

impl DialogLayer {
    /// Sends a NOTIFY for a subscription we accepted (RFC 6665 §4.2.2). The layer writes
    /// Event and Subscription-State (with the time left); NOTIFYs wait for the previous one's
    /// final response. [`NotifyState::Terminated`] ends the subscription.
    pub fn notify(
        &mut self,
        now: Instant,
        sub: SubscriptionId,
        state: NotifyState,
        body: Option<Body>,
    ) -> Result<(), ApiError> {
        let s = self
            .subs
            .get_mut(sub.0)
            .filter(|s| s.state != State::Terminated && s.role == Role::Notifier)
            .ok_or(ApiError::UnknownSubscription(sub))?;
        if s.dialog.is_none() {
            return Err(ApiError::InvalidState(
                "the subscription was not accepted yet",
            ));
        }
        if s.request.is_some() || !s.queue.is_empty() {
            s.queue.push_back((state, body));
            return Ok(());
        }
        self.send_notify(now, sub, state, body, SubscriptionEnd::Local)?;
        self.pump(now);
        Ok(())
    }

    /// Sends one NOTIFY; a terminating one ends the subscription with `end`.
    pub(crate) fn send_notify(
        &mut self,
        now: Instant,
        sub: SubscriptionId,
        state: NotifyState,
        body: Option<Body>,
        end: SubscriptionEnd,
    ) -> Result<(), ApiError> {
        let s = self
            .subs
            .get(sub.0)
            .ok_or(ApiError::UnknownSubscription(sub))?;
        let d = s.dialog.ok_or(ApiError::InvalidState("no dialog"))?;
        let secs = s.remaining(now).as_secs();
        let expired = s.expires_at.is_some_and(|t| t <= now);
        let state = match state {
            NotifyState::Active | NotifyState::Pending if expired => NotifyState::Terminated {
                reason: Some("timeout".to_owned()),
            },
            other => other,
        };
        let header = match &state {
            NotifyState::Active => format!("active;expires={secs}"),
            NotifyState::Pending => format!("pending;expires={secs}"),
            NotifyState::Terminated { reason: Some(r) } => format!("terminated;reason={r}"),
            NotifyState::Terminated { reason: None } => "terminated".to_owned(),
        };
        let extra = vec![
            (HeaderName::Event, s.event_header()),
            (HeaderName::SubscriptionState, header),
        ];
        let rid = self.send_in_dialog(
            now,
            d,
            Method::Notify,
            (body.as_ref(), &extra),
            Purpose::Notify(sub),
            false,
        )?;
        let s = self
            .subs
            .get_mut(sub.0)
            .ok_or(ApiError::UnknownSubscription(sub))?;
        s.request = Some(rid);
        match state {
            NotifyState::Active => s.state = State::Active,
            NotifyState::Pending => s.state = State::Pending,
            NotifyState::Terminated { .. } => self.terminate_subscription(now, sub, end),
        }
        Ok(())
    }

    pub(crate) fn on_notify_response(
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
            if s.request == Some(rid) {
                s.request = None;
            }
        }
        if !(200..300).contains(&status) {
            if self.in_dialog_final(now, rid, &response) {
                // §4.2.2: a failed NOTIFY removes the subscription.
                self.terminate_subscription(now, sub, SubscriptionEnd::RequestFailed);
            }
            return;
        }
        let next = self.subs.get_mut(sub.0).and_then(|s| s.queue.pop_front());
        if let Some((state, body)) = next {
            let _ = self.send_notify(now, sub, state, body, SubscriptionEnd::Local);
        }
    }

    /// A SUBSCRIBE (notifier side): a refresh of a subscription of dialog `d`, or a new one.
    pub(crate) fn on_subscribe(
        &mut self,
        now: Instant,
        key: ServerKey,
        source: Peer,
        request: Request,
        d: Option<DialogId>,
    ) -> Option<IncomingId> {
        let Some((event, id)) = event_of(&request) else {
            self.reply(now, key, &request, 400, &[]);
            return None;
        };
        let existing = d.and_then(|d| {
            let dialog = self.dialogs.get(d.0)?;
            dialog.subscriptions.iter().copied().find(|s| {
                self.subs.get(s.0).is_some_and(|x| {
                    x.role == Role::Notifier
                        && *x.event == *event
                        && x.id.as_deref() == id.as_deref()
                })
            })
        });
        let sub = match existing {
            Some(s) => s,
            None => SubscriptionId(self.subs.insert(Subscription::new(
                Role::Notifier,
                &event,
                id.as_deref(),
                None,
            ))),
        };
        Some(self.deliver(key, source, request, d, Some(sub)))
    }

    /// The duration granted to a SUBSCRIBE being answered `2xx`.
    pub(crate) fn granted_expires(&self, id: IncomingId, answer: Option<u32>) -> u32 {
        let asked = self
            .incoming
            .get(id.0)
            .and_then(|i| i.request.headers().typed::<Expires>().ok())
            .map_or(self.cfg.default_subscription_expires, |e| e.0);
        answer.map_or(asked, |a| a.min(asked))
    }

    /// The application answered a SUBSCRIBE `2xx`: the subscription lives in `d` until
    /// `expires` from now. With `Expires: 0` (an unsubscribe or a fetch) the application's
    /// next NOTIFY is the final one; without one, the layer sends it.
    pub(crate) fn notifier_accepted(
        &mut self,
        now: Instant,
        sub: SubscriptionId,
        d: DialogId,
        expires: u32,
    ) {
        self.attach(sub, Some(d));
        let at = now + Duration::from_secs(expires.into());
        if let Some(s) = self.subs.get_mut(sub.0) {
            s.expires_at = Some(at);
        }
        self.arm(Owner::Subscription(sub), Timer::SubscriptionExpiry, at);
    }

    /// The application refused a SUBSCRIBE or REFER: a new subscription is forgotten, a
    /// refreshed one carries on.
    pub(crate) fn notifier_refused(&mut self, _now: Instant, sub: SubscriptionId, _status: u16) {
        if self
            .subs
            .get(sub.0)
            .is_some_and(|s| s.state == State::Init && s.expires_at.is_none())
        {
            self.subs.remove(sub.0);
        }
    }

    pub(crate) fn on_subscription_expiry(&mut self, now: Instant, sub: SubscriptionId) {
        let Some(s) = self.subs.get(sub.0) else {
            return;
        };
        if s.role == Role::Notifier && s.dialog.is_some_and(|d| self.is_live(d)) {
            if let Some(s) = self.subs.get_mut(sub.0) {
                s.queue.clear();
            }
            let end = SubscriptionEnd::Expired;
            let state = NotifyState::Terminated {
                reason: Some("timeout".to_owned()),
            };
            if self
                .send_notify(now, sub, state, None, end.clone())
                .is_err()
            {
                self.terminate_subscription(now, sub, end);
            }
            return;
        }
        self.terminate_subscription(now, sub, SubscriptionEnd::Expired);
    }
}
