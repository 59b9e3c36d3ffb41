//! The UAS core (RFC 3261 §8.2, §12.2.2, §13.3): requests received from the network, how
//! they find their dialog, what the layer answers itself, and [`DialogLayer::answer`].

use std::time::Instant;

use sip_message::header::{Contact, Require};
use sip_message::{HeaderName, Method, Request, Response, Scheme};
use sip_transaction::{Peer, ServerKey, Transport};

use crate::command::{Answer, Body};
use crate::dialog::{ALLOW, DialogSeed, contact, is_target_refresh};
use crate::prack::Reliable;
use crate::route::{self, without_tag};
use crate::session_timer::Negotiated;
use crate::timers::TimerTable;
use crate::{
    ApiError, DialogEvent, DialogId, DialogLayer, DialogState, IncomingId, SubscriptionId,
    TerminationReason,
};

/// A request received from the network and given to the application, until its final
/// response.
pub(crate) struct Incoming {
    pub(crate) server: ServerKey,
    pub(crate) source: Peer,
    pub(crate) request: Request,
    pub(crate) dialog: Option<DialogId>,
    pub(crate) subscription: Option<SubscriptionId>,
    /// The To tag of our responses (requests received outside a dialog).
    pub(crate) local_tag: Option<Box<str>>,
    /// The INVITE was cancelled: its early dialog ends as Cancelled.
    pub(crate) cancelled: bool,
    /// The session interval agreed for an INVITE or UPDATE (RFC 4028).
    pub(crate) session: Option<Negotiated>,
    /// Reliable provisional responses (RFC 3262).
    pub(crate) reliable: Reliable,
    /// Its key in the merged-request index.
    pub(crate) merged_key: Option<Box<str>>,
    pub(crate) timers: TimerTable,
}

/// The option tags this layer supports.
fn supports(tag: &str, session_timers: bool) -> bool {
    tag.eq_ignore_ascii_case("100rel") || (session_timers && tag.eq_ignore_ascii_case("timer"))
}

impl DialogLayer {
    // ----- Answering -----

    /// Answers a request reported by [`DialogEvent::Request`].
    ///
    /// For an INVITE outside a dialog a provisional response (101-199) creates the early
    /// dialog and a `2xx` confirms it (and is retransmitted until the ACK); for SUBSCRIBE and
    /// REFER a `2xx` creates the dialog and the subscription. A reliable provisional response
    /// ([`Answer::reliable`]) is retransmitted until its PRACK; a second one, or a `2xx` after
    /// one that carried a body, waits for that PRACK (RFC 3262 §3). Returns the dialog the
    /// request belongs to, if any.
    pub fn answer(
        &mut self,
        now: Instant,
        id: IncomingId,
        answer: Answer,
    ) -> Result<Option<DialogId>, ApiError> {
        let inc = self
            .incoming
            .get(id.0)
            .ok_or(ApiError::UnknownIncoming(id))?;
        let status = answer.status;
        if !(100..=699).contains(&status) {
            return Err(ApiError::InvalidStatus(status));
        }
        let invite = *inc.request.method() == Method::Invite;
        let mut answer = answer;
        // RFC 3262 §3: when the INVITE requires 100rel, every 101-199 is sent reliably.
        if invite && (101..=199).contains(&status) && crate::prack::requires_100rel(&inc.request) {
            answer.reliable = true;
        }
        if answer.reliable {
            if !invite || !(101..=199).contains(&status) {
                return Err(ApiError::InvalidStatus(status));
            }
            if !crate::prack::offers_100rel(&inc.request) {
                return Err(ApiError::ReliableNotSupported);
            }
        }
        if inc.reliable.must_wait(&answer) {
            let dialog = inc.dialog;
            if let Some(inc) = self.incoming.get_mut(id.0) {
                inc.reliable.queue.push_back(answer);
            }
            return Ok(dialog);
        }
        let d = self.send_answer(now, id, answer)?;
        self.pump(now);
        Ok(d)
    }

    /// Builds and sends a response to an incoming request, with everything it implies.
    pub(crate) fn send_answer(
        &mut self,
        now: Instant,
        id: IncomingId,
        answer: Answer,
    ) -> Result<Option<DialogId>, ApiError> {
        let status = answer.status;
        let needs_tag = status > 100
            && self
                .incoming
                .get(id.0)
                .is_some_and(|i| i.local_tag.is_none() && i.dialog.is_none());
        if needs_tag {
            let tag = self.token();
            if let Some(inc) = self.incoming.get_mut(id.0) {
                inc.local_tag = Some(tag.into());
            }
        }
        let inc = self
            .incoming
            .get(id.0)
            .ok_or(ApiError::UnknownIncoming(id))?;
        let method = inc.request.method().clone();
        let in_dialog = inc.request.to().is_ok_and(|t| t.tag().is_some());
        let mut resp = Response::from_request(&inc.request, status);
        if let Some(r) = &answer.reason {
            resp.set_reason(r.clone());
        }
        if let Some(tag) = &inc.local_tag {
            resp.set_to_tag(tag);
        }
        let success = (200..300).contains(&status);
        let forming = !in_dialog
            && match method {
                Method::Invite => (101..300).contains(&status),
                Method::Subscribe | Method::Refer => success,
                _ => false,
            };
        // The dialog this response creates or lives in.
        let mut dialog = inc.dialog;
        if forming && dialog.is_none() {
            let state = if success {
                DialogState::Confirmed
            } else {
                DialogState::Early
            };
            dialog = self.create_uas_dialog(id, state, method == Method::Invite);
        } else if let Some(d) = dialog {
            if method == Method::Invite && success && !in_dialog {
                self.set_dialog_state(now, d, DialogState::Confirmed);
            }
        }
        let inc = self
            .incoming
            .get(id.0)
            .ok_or(ApiError::UnknownIncoming(id))?;
        let secure = dialog
            .and_then(|d| self.dialogs.get(d.0))
            .is_some_and(|d| d.secure);
        if forming || (success && is_target_refresh(&method)) {
            resp.headers_mut()
                .push(HeaderName::Contact, contact(&self.cfg.contact, secure));
        }
        if method == Method::Invite && status > 100 && status < 300 {
            resp.headers_mut().push(HeaderName::Allow, ALLOW);
            let supported = if self.cfg.session_timer.is_some() {
                "100rel, timer"
            } else {
                "100rel"
            };
            resp.headers_mut().push(HeaderName::Supported, supported);
        }
        let session = inc.session;
        let server = inc.server;
        let request_contact_target = inc.request.headers().typed::<Contact<'_>>().ok();
        let new_target = match request_contact_target {
            Some(Contact::Addr(a)) => Some(a.uri().as_str().to_owned()),
            _ => None,
        };
        if answer.reliable {
            self.make_reliable(id, &mut resp, answer.body.is_some());
        }
        if success && matches!(method, Method::Invite | Method::Update) {
            if let (Some(_), Some(n)) = (dialog, session) {
                crate::session_timer::write_uas_headers(&mut resp, &n);
            }
        }
        let mut sub_expires = None;
        if success && method == Method::Subscribe {
            let e = self.granted_expires(id, answer.expires);
            resp.headers_mut().push(HeaderName::Expires, e.to_string());
            sub_expires = Some(e);
        }
        for (name, value) in &answer.headers {
            resp.headers_mut().push(*name, value.clone());
        }
        if let Some(b) = &answer.body {
            resp.headers_mut()
                .set(HeaderName::ContentType, b.content_type().to_owned());
            resp.set_body(b.bytes().clone());
            remember_sdp(self, dialog, b);
        }
        self.tx.respond(now, server, resp.clone())?;

        // What the response did.
        if answer.reliable {
            self.start_reliable(now, id, resp.clone());
        }
        if success {
            if let (Some(d), Some(t)) = (dialog, new_target) {
                if in_dialog && is_target_refresh(&method) {
                    if let Some(x) = self.dialogs.get_mut(d.0) {
                        x.remote_target = t.into();
                    }
                }
            }
        }
        if status >= 200 {
            self.finish_incoming(now, id, dialog, resp, sub_expires);
        }
        Ok(dialog)
    }

    /// The bookkeeping after a final response: the `2xx` retransmission, the early dialog's
    /// end, the subscription's start, and forgetting the request.
    fn finish_incoming(
        &mut self,
        now: Instant,
        id: IncomingId,
        dialog: Option<DialogId>,
        resp: Response,
        sub_expires: Option<u32>,
    ) {
        let Some(inc) = self.incoming.remove(id.0) else {
            return;
        };
        let (status, source, server) = (resp.status(), inc.source, inc.server);
        self.by_server.remove(&inc.server);
        if let Some(k) = &inc.merged_key {
            self.merged.remove(k);
        }
        let method = inc.request.method().clone();
        let success = (200..300).contains(&status);
        if let Some(d) = dialog {
            if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
                if inv.in_invite == Some(id) {
                    inv.in_invite = None;
                }
                if inv.in_update == Some(id) {
                    inv.in_update = None;
                }
            }
        }
        match (&method, dialog) {
            (Method::Invite, Some(d)) if success => {
                if let Some(x) = self.dialogs.get_mut(d.0) {
                    x.peer_allows_update = crate::request::allows_update(inc.request.headers());
                }
                self.await_ack(now, d, server, resp, source);
                if let Some(n) = inc.session {
                    self.start_session_timer(now, d, n.interval, !n.uac_refreshes, true);
                }
            }
            (Method::Invite, Some(d)) => {
                let early = self
                    .dialogs
                    .get(d.0)
                    .is_some_and(|x| x.state == DialogState::Early);
                if early {
                    let reason = if inc.cancelled {
                        TerminationReason::Cancelled
                    } else if status == 500 && inc.reliable.gave_up {
                        TerminationReason::NoPrack
                    } else {
                        TerminationReason::Rejected(status)
                    };
                    self.set_dialog_state(now, d, DialogState::Terminated(reason));
                }
            }
            (Method::Update, Some(d)) if success => {
                if let Some(n) = inc.session {
                    self.start_session_timer(now, d, n.interval, !n.uac_refreshes, true);
                }
            }
            (Method::Subscribe, Some(d)) => {
                if let Some(s) = inc.subscription {
                    if success {
                        self.notifier_accepted(now, s, d, sub_expires.unwrap_or(0));
                    } else {
                        self.notifier_refused(now, s, status);
                    }
                }
            }
            (Method::Refer, Some(d)) => {
                if let Some(s) = inc.subscription {
                    if success {
                        self.refer_accepted(now, s, d);
                    } else {
                        self.notifier_refused(now, s, status);
                    }
                }
            }
            (Method::Subscribe | Method::Refer, None) => {
                if let Some(s) = inc.subscription {
                    self.notifier_refused(now, s, status);
                }
            }
            _ => {}
        }
    }

    /// Creates the dialog a response to a request received outside a dialog establishes
    /// (§12.1.1): route set from Record-Route in order, remote target from Contact.
    fn create_uas_dialog(
        &mut self,
        id: IncomingId,
        state: DialogState,
        invite: bool,
    ) -> Option<DialogId> {
        let inc = self.incoming.get(id.0)?;
        let req = &inc.request;
        let from = req.from().ok()?;
        let to = req.to().ok()?;
        let remote_tag: Box<str> = from.tag()?.into();
        let local_tag = inc.local_tag.clone()?;
        let secure = inc.source.transport == Transport::Tls
            && req.uri().is_ok_and(|u| u.scheme() == Scheme::Sips);
        let remote_target = match req.headers().typed::<Contact<'_>>() {
            Ok(Contact::Addr(a)) => a.uri().as_str().to_owned(),
            _ => from.uri().as_str().to_owned(),
        };
        let seed = DialogSeed {
            call_id: req.call_id().ok()?.into(),
            local_tag,
            remote_tag,
            local_uri: without_tag(&to).into(),
            remote_uri: without_tag(&from).into(),
            local_seq: None,
            remote_seq: req.cseq().ok().map(|c| c.seq()),
            remote_target: remote_target.into(),
            route_set: route::route_set(req.headers(), false),
            secure,
            caller: false,
            peer: inc.source,
            state,
            invite,
            report: true,
        };
        let d = self.create_dialog(seed);
        if let Some(inc) = self.incoming.get_mut(id.0) {
            inc.dialog = Some(d);
        }
        if invite {
            if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
                inv.in_invite = Some(id);
            }
        }
        Some(d)
    }

    // ----- Requests from the network -----

    pub(crate) fn on_request(
        &mut self,
        now: Instant,
        key: ServerKey,
        source: Peer,
        request: Request,
    ) {
        let (call_id, from_tag, to_tag, cseq) = match ids(&request) {
            Some(x) => x,
            None => {
                self.reply(now, key, &request, 400, &[]);
                return;
            }
        };
        let method = request.method().clone();
        let unsupported: Vec<String> = request
            .headers()
            .typed_all::<Require<'_>>()
            .filter_map(Result::ok)
            .map(|r| r.as_str())
            .filter(|t| !supports(t, self.cfg.session_timer.is_some()))
            .map(str::to_owned)
            .collect();
        if !unsupported.is_empty() {
            let u = unsupported.join(", ");
            self.reply(now, key, &request, 420, &[(HeaderName::Unsupported, u)]);
            return;
        }
        let Some(to_tag) = to_tag else {
            self.on_out_of_dialog(now, key, source, request);
            return;
        };
        let found = self.find_dialog(&call_id, &to_tag, &from_tag);
        let found = match found {
            Some(d) => Some(d),
            None if method == Method::Notify => {
                self.dialog_from_notify(now, source, &request, &call_id, &to_tag, &from_tag)
            }
            None => None,
        };
        let Some(d) = found.filter(|d| self.is_live(*d)) else {
            self.reply(now, key, &request, 481, &[]);
            return;
        };
        // §12.2.2: a lower CSeq than the last one is out of order.
        let remote_seq = self.dialogs.get(d.0).and_then(|x| x.remote_seq);
        if remote_seq.is_some_and(|r| cseq < r) {
            self.reply(now, key, &request, 500, &[]);
            return;
        }
        if let Some(x) = self.dialogs.get_mut(d.0) {
            x.remote_seq = Some(cseq);
        }
        match method {
            Method::Bye => self.on_bye(now, key, &request, d),
            Method::Invite => self.on_reinvite(now, key, source, request, d),
            Method::Update => self.on_update_request(now, key, source, request, d),
            Method::Prack => self.on_prack(now, key, request, d),
            Method::Notify => self.on_notify(now, key, request, d),
            Method::Subscribe => {
                self.on_subscribe(now, key, source, request, Some(d));
            }
            Method::Refer => {
                self.on_refer(now, key, source, request, Some(d));
            }
            _ => {
                self.deliver(key, source, request, Some(d), None);
            }
        }
    }

    fn on_out_of_dialog(&mut self, now: Instant, key: ServerKey, source: Peer, request: Request) {
        let method = request.method().clone();
        // §8.2.2.2: the same request arriving over two paths (a fork merged back).
        let Some((call_id, from_tag, _, cseq)) = ids(&request) else {
            return;
        };
        let mk = format!("{call_id}\0{from_tag}\0{cseq}\0{method}");
        if self.merged.contains_key(mk.as_str()) {
            self.reply(now, key, &request, 482, &[]);
            return;
        }
        let id = match method {
            Method::Invite => {
                let Some(n) = self.session_or_reject(now, key, &request) else {
                    return;
                };
                let id = self.deliver(key, source, request, None, None);
                if let Some(inc) = self.incoming.get_mut(id.0) {
                    inc.session = n;
                }
                id
            }
            Method::Subscribe => match self.on_subscribe(now, key, source, request, None) {
                Some(id) => id,
                None => return,
            },
            Method::Refer => match self.on_refer(now, key, source, request, None) {
                Some(id) => id,
                None => return,
            },
            Method::Bye | Method::Prack | Method::Update => {
                self.reply(now, key, &request, 481, &[]);
                return;
            }
            _ => self.deliver(key, source, request, None, None),
        };
        let mk: Box<str> = mk.into();
        self.merged.insert(mk.clone(), id);
        if let Some(inc) = self.incoming.get_mut(id.0) {
            inc.merged_key = Some(mk);
        }
    }

    /// Records a request for the application and reports it.
    pub(crate) fn deliver(
        &mut self,
        key: ServerKey,
        source: Peer,
        request: Request,
        dialog: Option<DialogId>,
        subscription: Option<SubscriptionId>,
    ) -> IncomingId {
        let id = IncomingId(self.incoming.insert(Incoming {
            server: key,
            source,
            request: request.clone(),
            dialog,
            subscription,
            local_tag: None,
            cancelled: false,
            session: None,
            reliable: Reliable::default(),
            merged_key: None,
            timers: TimerTable::default(),
        }));
        self.by_server.insert(key, id);
        self.emit(DialogEvent::Request {
            id,
            dialog,
            subscription,
            source,
            request,
        });
        id
    }

    /// Answers a request the layer handles itself. Requests outside a dialog get a To tag.
    /// The RFC 4028 check of an incoming INVITE or UPDATE: the negotiated session interval
    /// (`Some(None)` without session timers), or `None` once it has been answered 422.
    fn session_or_reject(
        &mut self,
        now: Instant,
        key: ServerKey,
        request: &Request,
    ) -> Option<Option<crate::session_timer::Negotiated>> {
        match self.check_session_request(request) {
            Ok(n) => Some(n),
            Err(min) => {
                self.reply(
                    now,
                    key,
                    request,
                    422,
                    &[(HeaderName::MinSe, min.to_string())],
                );
                None
            }
        }
    }

    /// 500 with a Retry-After of 0 to 10 s (RFC 3261 §14.2): one of ours is still in progress.
    fn reply_retry_later(&mut self, now: Instant, key: ServerKey, request: &Request) {
        let after = self.random_below(11).to_string();
        self.reply(now, key, request, 500, &[(HeaderName::RetryAfter, after)]);
    }

    pub(crate) fn reply(
        &mut self,
        now: Instant,
        key: ServerKey,
        request: &Request,
        status: u16,
        extra: &[(HeaderName, String)],
    ) {
        let mut resp = Response::from_request(request, status);
        if status > 100 && request.to().is_ok_and(|t| t.tag().is_none()) {
            let tag = self.token();
            resp.set_to_tag(&tag);
        }
        for (name, value) in extra {
            resp.headers_mut().push(*name, value.clone());
        }
        let _ = self.tx.respond(now, key, resp);
    }

    fn on_bye(&mut self, now: Instant, key: ServerKey, request: &Request, d: DialogId) {
        self.reply(now, key, request, 200, &[]);
        // §15.1.2: a pending INVITE in the dialog is answered 487.
        let pending = self
            .dialogs
            .get(d.0)
            .and_then(|x| x.invite.as_ref())
            .and_then(|i| i.in_invite);
        // The BYE's reason wins over the 487's (the dialog ends first).
        self.end_invite_usage(now, d, TerminationReason::RemoteBye);
        if let Some(id) = pending {
            let _ = self.send_answer(now, id, Answer::new(487));
        }
    }

    fn on_reinvite(
        &mut self,
        now: Instant,
        key: ServerKey,
        source: Peer,
        request: Request,
        d: DialogId,
    ) {
        let Some(x) = self.dialogs.get_mut(d.0) else {
            return;
        };
        let inv = x.invite.get_or_insert_with(Default::default);
        if inv.out_invite.is_some() {
            self.reply(now, key, &request, 491, &[]);
            return;
        }
        if inv.in_invite.is_some() {
            self.reply_retry_later(now, key, &request);
            return;
        }
        let Some(n) = self.session_or_reject(now, key, &request) else {
            return;
        };
        let id = self.deliver(key, source, request, Some(d), None);
        if let Some(inc) = self.incoming.get_mut(id.0) {
            inc.session = n;
        }
        if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
            inv.in_invite = Some(id);
        }
    }

    fn on_update_request(
        &mut self,
        now: Instant,
        key: ServerKey,
        source: Peer,
        request: Request,
        d: DialogId,
    ) {
        let Some(inv) = self.dialogs.get(d.0).and_then(|x| x.invite.as_ref()) else {
            self.reply(now, key, &request, 481, &[]);
            return;
        };
        // RFC 3311 §5.2: an offer crossing an offer of ours not yet answered is glare.
        let has_offer = !request.body().is_empty();
        let offer_pending = |r: Option<crate::RequestId>| {
            r.and_then(|r| self.requests.get(r.0))
                .is_some_and(|o| o.offer_pending)
        };
        if has_offer && (offer_pending(inv.out_update) || offer_pending(inv.out_invite)) {
            self.reply(now, key, &request, 491, &[]);
            return;
        }
        if inv.in_update.is_some() {
            self.reply_retry_later(now, key, &request);
            return;
        }
        let Some(n) = self.session_or_reject(now, key, &request) else {
            return;
        };
        if !has_offer && n.is_some() {
            // A pure session refresh (RFC 4028 §7.4): answered here.
            let id = self.deliver_silently(key, source, request, d);
            if let Some(inc) = self.incoming.get_mut(id.0) {
                inc.session = n;
            }
            let _ = self.send_answer(now, id, Answer::new(200));
            return;
        }
        let id = self.deliver(key, source, request, Some(d), None);
        if let Some(inc) = self.incoming.get_mut(id.0) {
            inc.session = n;
        }
        if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
            inv.in_update = Some(id);
        }
    }

    /// Records a request the layer answers itself, without telling the application.
    pub(crate) fn deliver_silently(
        &mut self,
        key: ServerKey,
        source: Peer,
        request: Request,
        d: DialogId,
    ) -> IncomingId {
        let id = IncomingId(self.incoming.insert(Incoming {
            server: key,
            source,
            request,
            dialog: Some(d),
            subscription: None,
            local_tag: None,
            cancelled: false,
            session: None,
            reliable: Reliable::default(),
            merged_key: None,
            timers: TimerTable::default(),
        }));
        self.by_server.insert(key, id);
        id
    }

    /// A CANCEL (§9.2): `200` to the CANCEL; `487` to its INVITE if that is still unanswered;
    /// `481` when there is no such INVITE.
    pub(crate) fn on_cancel(
        &mut self,
        now: Instant,
        cancel_key: ServerKey,
        invite_key: Option<ServerKey>,
        request: &Request,
    ) {
        let target = invite_key.and_then(|k| self.by_server.get(&k).copied());
        match (invite_key, target) {
            (None, _) => self.reply(now, cancel_key, request, 481, &[]),
            (Some(_), None) => self.reply(now, cancel_key, request, 200, &[]),
            (Some(_), Some(id)) => {
                let mut resp = Response::from_request(request, 200);
                let tag = self.incoming.get(id.0).and_then(|i| i.local_tag.clone());
                if let Some(t) = tag {
                    resp.set_to_tag(&t);
                }
                let _ = self.tx.respond(now, cancel_key, resp);
                let dialog = self.incoming.get_mut(id.0).and_then(|inc| {
                    inc.cancelled = true;
                    inc.dialog
                });
                let _ = self.send_answer(now, id, Answer::new(487));
                self.emit(DialogEvent::Cancelled { id, dialog });
            }
        }
    }

    /// A server transaction ended before the application answered (a transport failure).
    pub(crate) fn on_server_terminated(&mut self, key: ServerKey) {
        if let Some(id) = self.by_server.remove(&key) {
            if let Some(inc) = self.incoming.remove(id.0) {
                if let Some(k) = &inc.merged_key {
                    self.merged.remove(k);
                }
            }
        }
    }
}

/// Remembers a session description we sent, for refresh re-INVITEs.
fn remember_sdp(layer: &mut DialogLayer, dialog: Option<DialogId>, body: &Body) {
    if body.content_type().eq_ignore_ascii_case("application/sdp") {
        if let Some(d) = dialog.and_then(|d| layer.dialogs.get_mut(d.0)) {
            d.last_local_body = Some(body.clone());
        }
    }
}

/// Call-ID, From tag, To tag and CSeq number of a request; `None` if Call-ID, From tag or
/// CSeq is missing (§8.1.1).
fn ids(request: &Request) -> Option<(String, String, Option<String>, u32)> {
    let call_id = request.call_id().ok()?.to_owned();
    let from_tag = request.from().ok()?.tag()?.to_owned();
    let to_tag = request.to().ok()?.tag().map(str::to_owned);
    let cseq = request.cseq().ok()?.seq();
    Some((call_id, from_tag, to_tag, cseq))
}
