//! Subscriptions (RFC 6665): the subscriber's SUBSCRIBE, refresh and unsubscribe, the
//! notifier's NOTIFY, expiry on both sides, and a NOTIFY arriving before the `2xx` to its
//! SUBSCRIBE creating the dialog (§4.1.2.4). A subscription is a usage of its dialog, which
//! it may share with an INVITE usage or other subscriptions (RFC 5057).
//!
//! The state figure is on [`SubscriptionStatus`](crate::SubscriptionStatus).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sip_message::header::{Contact, Event, EventType, Expires, SubState, SubscriptionState};
use sip_message::{HeaderName, Method, Request, Response};
use sip_transaction::{Peer, ServerKey};

use crate::command::{Body, InitialRequest, NotifyState};
use crate::dialog::DialogSeed;
use crate::request::Purpose;
use crate::timers::{Owner, Timer, TimerTable};
use crate::{
    ApiError, DialogEvent, DialogId, DialogLayer, DialogState, RequestId, SubscriptionEnd,
    SubscriptionId, SubscriptionStatus, route,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Subscriber,
    Notifier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Requested (subscriber) or received (notifier), no NOTIFY yet.
    Init,
    Pending,
    Active,
    Terminated,
}

/// One subscription usage.
pub(crate) struct Subscription {
    pub(crate) role: Role,
    /// The event type (`presence`, `refer`...).
    pub(crate) event: Box<str>,
    /// The Event `id` parameter.
    pub(crate) id: Option<Box<str>>,
    pub(crate) dialog: Option<DialogId>,
    pub(crate) state: State,
    pub(crate) expires_at: Option<Instant>,
    /// Subscriber: the duration asked for.
    pub(crate) requested: u32,
    /// The implicit subscription of a REFER (no refresh by the subscriber).
    pub(crate) refer: bool,
    pub(crate) unsubscribing: bool,
    /// A SUBSCRIBE, REFER or NOTIFY of this subscription in flight.
    pub(crate) request: Option<RequestId>,
    /// Notifier: NOTIFYs waiting for the one in flight (RFC 6665 §4.2.2).
    pub(crate) queue: VecDeque<(NotifyState, Option<Body>)>,
    /// Subscriber: its key in the pending-subscription index.
    pub(crate) pending_key: Option<Box<str>>,
    pub(crate) timers: TimerTable,
}

impl Subscription {
    pub(crate) fn new(role: Role, event: &str, id: Option<&str>, dialog: Option<DialogId>) -> Self {
        Subscription {
            role,
            event: event.into(),
            id: id.map(Into::into),
            dialog,
            state: State::Init,
            expires_at: None,
            requested: 0,
            refer: event == "refer",
            unsubscribing: false,
            request: None,
            queue: VecDeque::new(),
            pending_key: None,
            timers: TimerTable::default(),
        }
    }

    pub(crate) fn remaining(&self, now: Instant) -> Duration {
        self.expires_at
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now))
    }

    fn status(&self, now: Instant) -> SubscriptionStatus {
        let expires = self.remaining(now);
        match self.state {
            State::Active => SubscriptionStatus::Active { expires },
            _ => SubscriptionStatus::Pending { expires },
        }
    }

    /// The Event header value.
    pub(crate) fn event_header(&self) -> String {
        match &self.id {
            Some(id) => format!("{};id={id}", self.event),
            None => self.event.to_string(),
        }
    }
}

/// A read-only view of a subscription, from [`DialogLayer::subscription`].
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionView<'a> {
    s: &'a Subscription,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("event", &self.event)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<'a> SubscriptionView<'a> {
    /// The event type.
    pub fn event(&self) -> &'a str {
        &self.s.event
    }

    /// The Event `id` parameter.
    pub fn id(&self) -> Option<&'a str> {
        self.s.id.as_deref()
    }

    /// The dialog, once there is one.
    pub fn dialog(&self) -> Option<DialogId> {
        self.s.dialog
    }

    /// Whether we are the subscriber (else the notifier).
    pub fn is_subscriber(&self) -> bool {
        self.s.role == Role::Subscriber
    }

    /// Whether a NOTIFY said `active`.
    pub fn is_active(&self) -> bool {
        self.s.state == State::Active
    }

    /// When the subscription runs out, if known.
    pub fn expires_at(&self) -> Option<Instant> {
        self.s.expires_at
    }
}

/// Reads an Event header: the event type and its `id`.
pub(crate) fn event_of(request: &Request) -> Option<(String, Option<String>)> {
    let e = request.headers().typed::<Event<'_>>().ok()?;
    Some((
        e.event_type().as_str().to_owned(),
        e.id().map(str::to_owned),
    ))
}

/// `exp` seconds minus the lesser of 32 s and a third: when a subscriber refreshes.
fn refresh_after(exp: u32) -> Duration {
    Duration::from_secs(u64::from(exp - (exp / 3).min(32)))
}

impl DialogLayer {
    // ----- Commands: subscriber -----

    /// Subscribes outside any dialog (RFC 6665 §4.1.2.1): sends SUBSCRIBE with `Event: event`
    /// and `Expires: expires`. The `2xx` (or a NOTIFY, whichever comes first) creates the
    /// dialog; state changes are reported with [`DialogEvent::Subscription`], NOTIFYs with
    /// [`DialogEvent::Notify`]. The layer refreshes before expiry until
    /// [`unsubscribe`](Self::unsubscribe).
    pub fn subscribe(
        &mut self,
        now: Instant,
        req: InitialRequest,
        event: &str,
        expires: u32,
    ) -> Result<SubscriptionId, ApiError> {
        EventType::parse(event).map_err(|_| ApiError::InvalidInput("event type"))?;
        let extra = vec![
            (HeaderName::Event, event.to_owned()),
            (HeaderName::Expires, expires.to_string()),
            (HeaderName::Allow, crate::dialog::ALLOW.to_owned()),
        ];
        let (request, origin) = self.build_initial(Method::Subscribe, &req, &extra)?;
        let mut s = Subscription::new(Role::Subscriber, event, None, None);
        s.requested = expires;
        let mut key = String::new();
        crate::dialog::index_key(&mut key, &origin.call_id, &origin.local_tag, "");
        let key: Box<str> = key.into();
        s.pending_key = Some(key.clone());
        let sub = SubscriptionId(self.subs.insert(s));
        let rid = match self.start_request(
            now,
            request,
            req.destination,
            Purpose::Subscribe(sub),
            None,
            false,
        ) {
            Ok(rid) => rid,
            Err(e) => {
                self.subs.remove(sub.0);
                return Err(e);
            }
        };
        if let Some(o) = self.requests.get_mut(rid.0) {
            o.origin = Some(origin);
        }
        if let Some(s) = self.subs.get_mut(sub.0) {
            s.request = Some(rid);
        }
        self.pending_subs.insert(key, sub);
        self.pump(now);
        Ok(sub)
    }

    /// Subscribes within an existing dialog (a new usage sharing it, RFC 5057).
    pub fn subscribe_in_dialog(
        &mut self,
        now: Instant,
        dialog: DialogId,
        event: &str,
        expires: u32,
    ) -> Result<SubscriptionId, ApiError> {
        EventType::parse(event).map_err(|_| ApiError::InvalidInput("event type"))?;
        if self.live_dialog(dialog)?.state != DialogState::Confirmed {
            return Err(ApiError::InvalidState("SUBSCRIBE needs a confirmed dialog"));
        }
        let mut s = Subscription::new(Role::Subscriber, event, None, Some(dialog));
        s.requested = expires;
        let sub = SubscriptionId(self.subs.insert(s));
        if let Some(d) = self.dialogs.get_mut(dialog.0) {
            d.subscriptions.push(sub);
        }
        if let Err(e) = self.send_subscribe(now, sub, expires) {
            self.subs.remove(sub.0);
            if let Some(d) = self.dialogs.get_mut(dialog.0) {
                d.subscriptions.retain(|s| *s != sub);
            }
            return Err(e);
        }
        self.pump(now);
        Ok(sub)
    }

    /// Refreshes a subscription now, optionally asking for a new duration.
    pub fn refresh_subscription(
        &mut self,
        now: Instant,
        sub: SubscriptionId,
        expires: Option<u32>,
    ) -> Result<(), ApiError> {
        let s = self.subscriber(sub)?;
        let exp = expires.unwrap_or(s.requested);
        if let Some(s) = self.subs.get_mut(sub.0) {
            s.requested = exp;
        }
        self.send_subscribe(now, sub, exp)?;
        self.pump(now);
        Ok(())
    }

    /// Ends a subscription (SUBSCRIBE with `Expires: 0`); it is reported terminated when the
    /// notifier's final NOTIFY arrives (or 64·T1 after the `2xx` without one).
    pub fn unsubscribe(&mut self, now: Instant, sub: SubscriptionId) -> Result<(), ApiError> {
        self.subscriber(sub)?;
        if let Some(s) = self.subs.get_mut(sub.0) {
            s.unsubscribing = true;
        }
        self.disarm(Owner::Subscription(sub), Timer::SubscriptionRefresh);
        self.send_subscribe(now, sub, 0)?;
        self.pump(now);
        Ok(())
    }

    /// A view of a subscription, or `None` once it ended.
    pub fn subscription(&self, sub: SubscriptionId) -> Option<SubscriptionView<'_>> {
        self.subs.get(sub.0).map(|s| SubscriptionView { s })
    }

    fn subscriber(&self, sub: SubscriptionId) -> Result<&Subscription, ApiError> {
        let s = self
            .subs
            .get(sub.0)
            .filter(|s| s.state != State::Terminated)
            .ok_or(ApiError::UnknownSubscription(sub))?;
        if s.role != Role::Subscriber || s.dialog.is_none() {
            return Err(ApiError::InvalidState("not an established subscriber"));
        }
        if s.request.is_some() {
            return Err(ApiError::InvalidState(
                "a request of this subscription is in progress",
            ));
        }
        Ok(s)
    }

    fn send_subscribe(
        &mut self,
        now: Instant,
        sub: SubscriptionId,
        expires: u32,
    ) -> Result<(), ApiError> {
        let s = self
            .subs
            .get(sub.0)
            .ok_or(ApiError::UnknownSubscription(sub))?;
        let d = s.dialog.ok_or(ApiError::InvalidState("no dialog yet"))?;
        let extra = vec![
            (HeaderName::Event, s.event_header()),
            (HeaderName::Expires, expires.to_string()),
        ];
        let rid = self.send_in_dialog(
            now,
            d,
            Method::Subscribe,
            (None, &extra),
            Purpose::Subscribe(sub),
            false,
        )?;
        if let Some(s) = self.subs.get_mut(sub.0) {
            s.request = Some(rid);
        }
        Ok(())
    }

    // ----- Commands: notifier -----

    // ----- Responses to our requests -----

    pub(crate) fn on_subscribe_response(
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
        let Some(s) = self.subs.get_mut(sub.0) else {
            return;
        };
        s.request = None;
        let (initial, unsubscribing) = (s.dialog.is_none(), s.unsubscribing);
        if !(200..300).contains(&status) {
            let live = !initial && self.in_dialog_final(now, rid, &response);
            if initial {
                self.terminate_subscription(now, sub, SubscriptionEnd::Rejected(status));
            } else if unsubscribing {
                self.terminate_subscription(now, sub, SubscriptionEnd::Local);
            } else if live && status == 408 {
                self.terminate_subscription(now, sub, SubscriptionEnd::RequestFailed);
            }
            // Any other failure of a refresh leaves the subscription until it expires
            // (RFC 6665 §4.1.2.2).
            return;
        }
        if initial {
            let Some(tag) = response.to().ok().and_then(|t| t.tag()).map(str::to_owned) else {
                return;
            };
            let d = self.establish_subscriber_dialog(rid, &tag, &response);
            self.attach(sub, d);
        } else {
            self.in_dialog_final(now, rid, &response);
        }
        let granted = response
            .headers()
            .typed::<Expires>()
            .map(|e| e.0)
            .unwrap_or_else(|_| self.subs.get(sub.0).map_or(0, |s| s.requested));
        let owner = Owner::Subscription(sub);
        if unsubscribing || granted == 0 {
            let wait = now + self.cfg.timeout();
            self.arm(owner, Timer::NotifyWait, wait);
            return;
        }
        self.set_subscriber_expiry(now, sub, granted);
        let Some(s) = self.subs.get(sub.0) else {
            return;
        };
        if s.state == State::Init {
            // §4.1.2.4: the NOTIFY must follow; give up after 64·T1.
            let wait = now + self.cfg.timeout();
            self.arm(owner, Timer::NotifyWait, wait);
        } else {
            let (state, dialog) = (s.status(now), s.dialog);
            self.emit(DialogEvent::Subscription {
                subscription: sub,
                dialog,
                state,
            });
        }
    }

    /// The dialog a `2xx` to SUBSCRIBE (or REFER) sent outside a dialog establishes, unless a
    /// NOTIFY already did.
    fn establish_subscriber_dialog(
        &mut self,
        rid: RequestId,
        tag: &str,
        response: &Response,
    ) -> Option<DialogId> {
        let origin = self.requests.get(rid.0)?.origin.clone()?;
        if let Some(d) = self.find_dialog(&origin.call_id, &origin.local_tag, tag) {
            return Some(d);
        }
        self.create_uac_dialog(rid, tag, response, DialogState::Confirmed, true)
    }

    /// Puts a subscription into its dialog.
    pub(crate) fn attach(&mut self, sub: SubscriptionId, d: Option<DialogId>) {
        let Some(d) = d else {
            return;
        };
        let key = self.subs.get_mut(sub.0).and_then(|s| {
            s.dialog = Some(d);
            s.pending_key.take()
        });
        if let Some(k) = key {
            self.pending_subs.remove(&k);
        }
        if let Some(x) = self.dialogs.get_mut(d.0) {
            if !x.subscriptions.contains(&sub) {
                x.subscriptions.push(sub);
            }
        }
    }

    /// Arms the subscriber's expiry and (except for REFER) refresh timers.
    fn set_subscriber_expiry(&mut self, now: Instant, sub: SubscriptionId, secs: u32) {
        let Some(s) = self.subs.get_mut(sub.0) else {
            return;
        };
        let at = now + Duration::from_secs(secs.into());
        s.expires_at = Some(at);
        let refer = s.refer;
        let owner = Owner::Subscription(sub);
        self.arm(owner, Timer::SubscriptionExpiry, at);
        if !refer && secs > 0 {
            self.arm(owner, Timer::SubscriptionRefresh, now + refresh_after(secs));
        }
    }

    // ----- Requests from the network -----

    /// A NOTIFY in a dialog (subscriber side): `200` and [`DialogEvent::Notify`] if it names
    /// one of our subscriptions, else `481`.
    pub(crate) fn on_notify(
        &mut self,
        now: Instant,
        key: ServerKey,
        request: Request,
        d: DialogId,
    ) {
        let Some((event, id)) = event_of(&request) else {
            self.reply(now, key, &request, 400, &[]);
            return;
        };
        let Some(sub) = self.match_subscriber(d, &event, id.as_deref()) else {
            self.reply(now, key, &request, 481, &[]);
            return;
        };
        let parsed = request
            .headers()
            .typed::<SubscriptionState<'_>>()
            .ok()
            .map(|s| {
                (
                    s.state(),
                    s.expires(),
                    s.reason().map(str::to_owned),
                    s.retry_after(),
                )
            });
        let Some((state, expires, reason, retry_after)) = parsed else {
            self.reply(now, key, &request, 400, &[]);
            return;
        };
        let state = match state {
            SubState::Active => State::Active,
            SubState::Terminated => State::Terminated,
            _ => State::Pending,
        };
        self.reply(now, key, &request, 200, &[]);
        self.emit(DialogEvent::Notify {
            subscription: sub,
            dialog: d,
            request,
        });
        self.disarm(Owner::Subscription(sub), Timer::NotifyWait);
        if state == State::Terminated {
            let end = SubscriptionEnd::Notified {
                reason,
                retry_after,
            };
            self.terminate_subscription(now, sub, end);
            return;
        }
        let unsubscribing = self.subs.get(sub.0).is_some_and(|s| s.unsubscribing);
        if let Some(s) = self.subs.get_mut(sub.0) {
            s.state = state;
        }
        if let (Some(e), false) = (expires, unsubscribing) {
            self.set_subscriber_expiry(now, sub, e);
        }
        if let Some(s) = self.subs.get(sub.0) {
            let (status, dialog) = (s.status(now), s.dialog);
            self.emit(DialogEvent::Subscription {
                subscription: sub,
                dialog,
                state: status,
            });
        }
    }

    /// Our subscription in dialog `d` that a NOTIFY's Event names.
    fn match_subscriber(
        &self,
        d: DialogId,
        event: &str,
        id: Option<&str>,
    ) -> Option<SubscriptionId> {
        let dialog = self.dialogs.get(d.0)?;
        let mine = dialog.subscriptions.iter().copied().filter(|s| {
            self.subs
                .get(s.0)
                .is_some_and(|x| x.role == Role::Subscriber && &*x.event == event)
        });
        let mut first = None;
        for s in mine {
            let sid = self.subs.get(s.0).and_then(|x| x.id.as_deref());
            if sid == id {
                return Some(s);
            }
            // RFC 3515 §2.4.6: a NOTIFY without id refers to the first REFER.
            if id.is_none() && event == "refer" && first.is_none() {
                first = Some(s);
            }
        }
        first
    }

    /// A NOTIFY whose dialog does not exist yet: if it answers a SUBSCRIBE (or REFER) we sent
    /// outside a dialog, it creates the dialog (RFC 6665 §4.1.2.4), as a UAS would: route set
    /// from its Record-Route in order, remote target from its Contact.
    pub(crate) fn dialog_from_notify(
        &mut self,
        _now: Instant,
        source: Peer,
        request: &Request,
        call_id: &str,
        local_tag: &str,
        remote_tag: &str,
    ) -> Option<DialogId> {
        crate::dialog::index_key(&mut self.scratch, call_id, local_tag, "");
        let sub = *self.pending_subs.get(self.scratch.as_str())?;
        let (event, _) = event_of(request)?;
        let s = self.subs.get(sub.0)?;
        if s.dialog.is_some() || *s.event != *event {
            return None;
        }
        let origin = self.requests.get(s.request?.0)?.origin.clone()?;
        let target = match request.headers().typed::<Contact<'_>>() {
            Ok(Contact::Addr(a)) => a.uri().as_str().to_owned(),
            _ => return None,
        };
        let d = self.create_dialog(DialogSeed {
            call_id: origin.call_id,
            local_tag: origin.local_tag,
            remote_tag: remote_tag.into(),
            local_uri: origin.local_uri,
            remote_uri: origin.remote_uri,
            local_seq: Some(origin.cseq),
            remote_seq: None,
            remote_target: target.into(),
            route_set: route::route_set(request.headers(), false),
            secure: origin.secure,
            caller: true,
            peer: source,
            state: DialogState::Confirmed,
            invite: false,
            report: true,
        });
        self.attach(sub, Some(d));
        Some(d)
    }

    // ----- Timers and the end -----

    pub(crate) fn on_subscription_refresh(&mut self, now: Instant, sub: SubscriptionId) {
        let Some(s) = self.subs.get(sub.0) else {
            return;
        };
        if s.request.is_some() || s.state == State::Terminated || s.unsubscribing {
            return;
        }
        let exp = s.requested;
        let _ = self.send_subscribe(now, sub, exp);
    }

    pub(crate) fn on_notify_wait(&mut self, now: Instant, sub: SubscriptionId) {
        let unsubscribing = self.subs.get(sub.0).is_some_and(|s| s.unsubscribing);
        let end = if unsubscribing {
            SubscriptionEnd::Local
        } else {
            SubscriptionEnd::NoNotify
        };
        self.terminate_subscription(now, sub, end);
    }

    /// Ends a subscription: reports it, forgets it, and ends its dialog if it was the last
    /// usage.
    pub(crate) fn terminate_subscription(
        &mut self,
        now: Instant,
        sub: SubscriptionId,
        end: SubscriptionEnd,
    ) {
        let Some(s) = self.subs.remove(sub.0) else {
            return;
        };
        if let Some(k) = &s.pending_key {
            self.pending_subs.remove(k);
        }
        self.emit(DialogEvent::Subscription {
            subscription: sub,
            dialog: s.dialog,
            state: SubscriptionStatus::Terminated(end),
        });
        if let Some(d) = s.dialog {
            self.remove_subscription_usage(now, d, sub);
        }
    }
}
