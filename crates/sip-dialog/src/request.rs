//! Requests this layer sends, whatever they are for: starting and restarting their client
//! transactions, routing their responses to the usage they belong to, what a `481`, a `408`
//! or a timeout does to a dialog (§12.2.1.2), and retries (§14.1).

use std::time::Instant;

use sip_message::header::Contact;
use sip_message::{HeaderName, Method, Request, Response};
use sip_transaction::{ClientKey, Peer};

use crate::command::{Body, ExtraHeaders};
use crate::timers::{Owner, Timer, TimerTable};
use crate::{
    ApiError, DialogEvent, DialogId, DialogLayer, DialogState, RequestId, SubscriptionEnd,
    SubscriptionId, TerminationReason, TimeoutKind,
};

/// What a request is for: decides what its responses do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The INVITE that creates the dialog(s).
    Invite,
    ReInvite,
    /// `refresh`: sent by the session timer, not by the application.
    Update,
    /// The reason reported when the BYE completes.
    Bye(TerminationReason),
    Prack,
    Cancel,
    Subscribe(SubscriptionId),
    Refer(SubscriptionId),
    Notify(SubscriptionId),
    Other,
}

/// How to build the request again for a retry within a dialog.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) body: Option<Body>,
    pub(crate) extra: ExtraHeaders,
}

/// The local half of the dialog a request sent outside any dialog will create.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub(crate) call_id: Box<str>,
    pub(crate) local_tag: Box<str>,
    pub(crate) local_uri: Box<str>,
    pub(crate) remote_uri: Box<str>,
    pub(crate) cseq: u32,
    pub(crate) secure: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelState {
    None,
    /// Asked for before any provisional response: sent when one arrives (§9.1).
    Pending,
    Sent,
}

/// A request this layer sent, across its retries.
pub(crate) struct Outgoing {
    pub(crate) purpose: Purpose,
    pub(crate) dialog: Option<DialogId>,
    pub(crate) client: Option<ClientKey>,
    pub(crate) request: Request,
    pub(crate) destination: Peer,
    /// The application holds the handle: report responses.
    pub(crate) visible: bool,
    pub(crate) provisional: bool,
    pub(crate) finished: bool,
    /// An INVITE or UPDATE carrying an offer that no response has answered yet (for the
    /// RFC 3311 §5.2 glare check).
    pub(crate) offer_pending: bool,
    pub(crate) cancel: CancelState,
    pub(crate) origin: Option<Origin>,
    /// Initial INVITE: every dialog its responses created.
    pub(crate) forks: Vec<DialogId>,
    /// Initial INVITE: the first dialog confirmed.
    pub(crate) answered: Option<DialogId>,
    pub(crate) spec: Option<Spec>,
    pub(crate) retries: u8,
    pub(crate) timers: TimerTable,
}

impl DialogLayer {
    /// Starts a client transaction for `request` and records what it is for.
    pub(crate) fn start_request(
        &mut self,
        now: Instant,
        request: Request,
        destination: Peer,
        purpose: Purpose,
        dialog: Option<DialogId>,
        visible: bool,
    ) -> Result<RequestId, ApiError> {
        let key = self.tx.start_client(now, request.clone(), destination)?;
        let offer_pending = carries_offer(&request);
        let rid = RequestId(self.requests.insert(Outgoing {
            purpose,
            dialog,
            client: Some(key),
            request,
            destination,
            visible,
            provisional: false,
            finished: false,
            offer_pending,
            cancel: CancelState::None,
            origin: None,
            forks: Vec::new(),
            answered: None,
            spec: None,
            retries: 0,
            timers: TimerTable::default(),
        }));
        self.by_client.insert(key, rid);
        Ok(rid)
    }

    /// Sends `request` as a new attempt of `rid` (a retry).
    pub(crate) fn restart_request(
        &mut self,
        now: Instant,
        rid: RequestId,
        request: Request,
        destination: Peer,
    ) -> Result<(), ApiError> {
        let key = self.tx.start_client(now, request.clone(), destination)?;
        if let Some(o) = self.requests.get_mut(rid.0) {
            o.client = Some(key);
            o.offer_pending = carries_offer(&request);
            o.request = request;
            o.destination = destination;
            o.finished = false;
            o.provisional = false;
            o.retries += 1;
        }
        self.by_client.insert(key, rid);
        Ok(())
    }

    /// Reports a response to the application if it holds the request's handle.
    pub(crate) fn report(&mut self, rid: RequestId, dialog: Option<DialogId>, response: Response) {
        if self.requests.get(rid.0).is_some_and(|o| o.visible) {
            self.emit(DialogEvent::Response {
                request: rid,
                dialog,
                response,
            });
        }
    }

    pub(crate) fn on_response(&mut self, now: Instant, rid: RequestId, response: Response) {
        let Some(o) = self.requests.get_mut(rid.0) else {
            return;
        };
        let status = response.status();
        let retransmitted_2xx = o.finished && (200..300).contains(&status);
        if status >= 200 || !response.body().is_empty() {
            o.offer_pending = false;
        }
        if status >= 200 {
            o.finished = true;
        } else {
            o.provisional = true;
        }
        let (purpose, dialog) = (o.purpose, o.dialog);
        match purpose {
            Purpose::Invite => self.on_invite_response(now, rid, response),
            Purpose::ReInvite if retransmitted_2xx => self.resend_ack(&response),
            Purpose::ReInvite => self.on_reinvite_response(now, rid, response),
            Purpose::Update => self.on_update_response(now, rid, response),
            Purpose::Bye(reason) => {
                if status >= 200 {
                    if let Some(d) = dialog {
                        self.end_invite_usage(now, d, reason);
                    }
                }
                self.report(rid, dialog, response);
            }
            Purpose::Subscribe(s) => self.on_subscribe_response(now, rid, s, response),
            Purpose::Refer(s) => self.on_refer_response(now, rid, s, response),
            Purpose::Notify(s) => self.on_notify_response(now, rid, s, response),
            Purpose::Prack | Purpose::Other => {
                if status >= 200 {
                    self.in_dialog_final(now, rid, &response);
                }
                self.report(rid, dialog, response);
            }
            Purpose::Cancel => {}
        }
    }

    /// The common handling of a final response to a request in a dialog (§12.2.1.2): a `481`
    /// ends the dialog, a `408` ends the usage (the session: BYE), a `2xx` to a target refresh
    /// updates the remote target. Returns whether the dialog is still live.
    pub(crate) fn in_dialog_final(
        &mut self,
        now: Instant,
        rid: RequestId,
        response: &Response,
    ) -> bool {
        let Some(o) = self.requests.get(rid.0) else {
            return false;
        };
        let Some(d) = o.dialog else {
            return false;
        };
        let method = o.request.method().clone();
        match response.status() {
            481 => {
                self.set_dialog_state(now, d, DialogState::Terminated(TerminationReason::Gone));
                false
            }
            408 => {
                self.usage_failed(now, d, rid);
                self.is_live(d)
            }
            200..=299 => {
                if crate::dialog::is_target_refresh(&method) {
                    self.refresh_remote_target(d, response.headers());
                }
                true
            }
            _ => true,
        }
    }

    /// A request of a usage got `408` or no answer: a session request ends the session (BYE),
    /// a subscription request ends the subscription.
    fn usage_failed(&mut self, now: Instant, d: DialogId, rid: RequestId) {
        let Some(o) = self.requests.get(rid.0) else {
            return;
        };
        match o.purpose {
            Purpose::Subscribe(s) | Purpose::Refer(s) | Purpose::Notify(s) => {
                self.terminate_subscription(now, s, SubscriptionEnd::RequestFailed);
            }
            Purpose::Bye(reason) => self.end_invite_usage(now, d, reason),
            _ => {
                let _ = self.send_bye(now, d, TerminationReason::RequestTimeout);
            }
        }
    }

    /// Replaces the remote target with the Contact of a target refresh (§12.2.1.2, §12.2.2).
    pub(crate) fn refresh_remote_target(&mut self, d: DialogId, headers: &sip_message::Headers) {
        let target = match headers.typed::<Contact<'_>>() {
            Ok(Contact::Addr(a)) => a.uri().as_str().to_owned(),
            _ => return,
        };
        if let Some(dialog) = self.dialogs.get_mut(d.0) {
            dialog.remote_target = target.into();
        }
    }

    /// A response that matched no client transaction: a `2xx` to an INVITE retransmitted
    /// after the transaction ended is acknowledged again (§13.2.2.4).
    pub(crate) fn on_stray_response(&mut self, _now: Instant, response: &Response) {
        let is_invite_2xx = (200..300).contains(&response.status())
            && response.cseq().is_ok_and(|c| c.method() == "INVITE");
        if is_invite_2xx {
            self.resend_ack(response);
        }
    }

    /// No final response (Timer B or F) or a transport failure: as a `408` (§8.1.3.1).
    pub(crate) fn on_request_failed(&mut self, now: Instant, rid: RequestId) {
        let Some(o) = self.requests.get_mut(rid.0) else {
            return;
        };
        o.finished = true;
        let (purpose, dialog, visible) = (o.purpose, o.dialog, o.visible);
        if visible {
            self.emit(DialogEvent::Timeout(TimeoutKind::Request(rid)));
        }
        match (purpose, dialog) {
            (Purpose::Invite, _) => {
                let forks = self
                    .requests
                    .get(rid.0)
                    .map(|o| o.forks.clone())
                    .unwrap_or_default();
                for d in forks {
                    if self
                        .dialogs
                        .get(d.0)
                        .is_some_and(|x| x.state == DialogState::Early)
                    {
                        let reason = DialogState::Terminated(TerminationReason::RequestTimeout);
                        self.set_dialog_state(now, d, reason);
                    }
                }
            }
            (Purpose::Cancel, _) => {}
            (Purpose::Subscribe(s) | Purpose::Refer(s) | Purpose::Notify(s), _) => {
                self.terminate_subscription(now, s, SubscriptionEnd::RequestFailed);
            }
            (Purpose::ReInvite, Some(d)) => {
                if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
                    inv.out_invite = None;
                }
                self.usage_failed(now, d, rid);
            }
            (Purpose::Update, Some(d)) => {
                if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
                    inv.out_update = None;
                }
                self.usage_failed(now, d, rid);
            }
            (_, Some(d)) => self.usage_failed(now, d, rid),
            (_, None) => {}
        }
    }

    /// A client transaction ended. An initial INVITE's early dialogs that never got a `2xx`
    /// end with it (§13.2.2.4); the request is forgotten unless a retry is scheduled.
    pub(crate) fn on_client_terminated(&mut self, now: Instant, key: ClientKey) {
        let Some(rid) = self.by_client.remove(&key) else {
            return;
        };
        let Some(o) = self.requests.get_mut(rid.0) else {
            return;
        };
        if o.client != Some(key) {
            return; // An earlier attempt.
        }
        o.client = None;
        if o.timers.get(Timer::Retry).is_some() {
            return;
        }
        if o.purpose == Purpose::Invite {
            let forks = o.forks.clone();
            for d in forks {
                if self
                    .dialogs
                    .get(d.0)
                    .is_some_and(|x| x.state == DialogState::Early)
                {
                    let reason = DialogState::Terminated(TerminationReason::NoAnswer);
                    self.set_dialog_state(now, d, reason);
                }
            }
        }
        self.requests.remove(rid.0);
    }

    /// The Retry timer: send the request again (after `491` or `500` with Retry-After).
    pub(crate) fn on_retry(&mut self, now: Instant, rid: RequestId) {
        let Some(o) = self.requests.get(rid.0) else {
            return;
        };
        let (purpose, dialog, spec) = (o.purpose, o.dialog, o.spec.clone());
        let (Some(d), Some(spec)) = (dialog, spec) else {
            self.requests.remove(rid.0);
            return;
        };
        if !self.is_live(d) {
            self.requests.remove(rid.0);
            return;
        }
        let busy = self
            .dialogs
            .get(d.0)
            .and_then(|x| x.invite.as_ref())
            .is_some_and(|inv| match purpose {
                Purpose::ReInvite => inv.invite_in_progress(),
                _ => inv.out_update.is_some() || inv.in_update.is_some(),
            });
        if busy {
            // §14.1: not while another INVITE transaction is in progress; try again later.
            let delay = self.glare_delay(d);
            self.arm(Owner::Request(rid), Timer::Retry, now + delay);
            return;
        }
        let method = match purpose {
            Purpose::ReInvite => Method::Invite,
            _ => Method::Update,
        };
        let extra = self.session_headers(d, spec.extra.clone());
        match self.build_in_dialog(d, method, None, spec.body.as_ref(), &extra) {
            Ok((req, hop)) => {
                if self.restart_request(now, rid, req, hop).is_ok() {
                    if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
                        match purpose {
                            Purpose::ReInvite => inv.out_invite = Some(rid),
                            _ => inv.out_update = Some(rid),
                        }
                    }
                }
            }
            Err(_) => {
                self.requests.remove(rid.0);
            }
        }
    }
}

/// The session description a message carries, if any.
pub(crate) fn sdp_of(request: &Request) -> Option<Body> {
    let ct = request.headers().get_str(HeaderName::ContentType)?.ok()?;
    let is_sdp = ct
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/sdp"));
    (is_sdp && !request.body().is_empty()).then(|| Body::new(ct, request.body().clone()))
}

/// Whether a request we send makes an offer: an INVITE or UPDATE with a body.
fn carries_offer(request: &Request) -> bool {
    matches!(request.method(), Method::Invite | Method::Update) && !request.body().is_empty()
}

/// Whether an Allow header lists UPDATE.
pub(crate) fn allows_update(headers: &sip_message::Headers) -> bool {
    headers
        .typed_all::<sip_message::header::Allow<'_>>()
        .filter_map(Result::ok)
        .any(|a| a.as_str() == "UPDATE")
}
