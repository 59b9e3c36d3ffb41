//! The UAC core (RFC 3261 §8.1, §13.2): requests this layer sends, the initial INVITE and its
//! forks, CANCEL, and what happens when a request fails or its transaction ends.

use std::time::Instant;

use sip_message::header::{Contact, MinSe};
use sip_message::{HeaderName, Method, Request, Response, Scheme, Uri};
use sip_transaction::Transport;

use crate::command::{ExtraHeaders, InitialRequest};
use crate::dialog::{ALLOW, DialogSeed, contact};
use crate::request::{CancelState, Origin, Purpose, allows_update, sdp_of};
use crate::{
    ApiError, DialogEvent, DialogId, DialogLayer, DialogState, ForkPolicy, RequestId,
    TerminationReason, route,
};

impl DialogLayer {
    // ----- Commands -----

    /// Sends an INVITE outside any dialog (RFC 3261 §13.2.1). Provisional responses with a To
    /// tag create early dialogs (several when the INVITE forks), a `2xx` confirms one; each
    /// is reported with [`DialogEvent::DialogState`], every response with
    /// [`DialogEvent::Response`].
    pub fn invite(&mut self, now: Instant, req: InitialRequest) -> Result<RequestId, ApiError> {
        let mut extra = Vec::new();
        let mut supported = String::from("100rel");
        if let Some(st) = &self.cfg.session_timer {
            supported.push_str(", timer");
            let se = req.session_expires.unwrap_or(st.interval).max(st.min_se);
            extra.push((HeaderName::SessionExpires, se.to_string()));
            extra.push((HeaderName::MinSe, st.min_se.to_string()));
        }
        extra.push((HeaderName::Supported, supported));
        if req.require_100rel {
            extra.push((HeaderName::Require, "100rel".to_owned()));
        }
        extra.push((HeaderName::Allow, ALLOW.to_owned()));
        let (request, origin) = self.build_initial(Method::Invite, &req, &extra)?;
        let rid = self.start_request(now, request, req.destination, Purpose::Invite, None, true)?;
        if let Some(o) = self.requests.get_mut(rid.0) {
            o.origin = Some(origin);
        }
        self.pump(now);
        Ok(rid)
    }

    /// Cancels an INVITE sent with [`invite`](Self::invite) (RFC 3261 §9.1). Before any
    /// provisional response the CANCEL waits for one; once a final response arrived there is
    /// nothing to cancel. Should a `2xx` cross the CANCEL, the layer acknowledges it and ends
    /// the dialog with BYE ([`TerminationReason::CancelledAfterAnswer`]).
    pub fn cancel(&mut self, now: Instant, request: RequestId) -> Result<(), ApiError> {
        let o = self
            .requests
            .get_mut(request.0)
            .ok_or(ApiError::UnknownRequest(request))?;
        if o.purpose != Purpose::Invite {
            return Err(ApiError::InvalidState(
                "only an initial INVITE is cancelled",
            ));
        }
        if o.finished || o.answered.is_some() {
            return Err(ApiError::InvalidState(
                "the INVITE already has a final response",
            ));
        }
        if o.cancel != CancelState::None {
            return Ok(());
        }
        if o.provisional {
            self.send_cancel(now, request)?;
        } else {
            o.cancel = CancelState::Pending;
        }
        self.pump(now);
        Ok(())
    }

    // ----- Building and starting requests -----

    /// Builds a request outside any dialog and the local half of the dialog it may create.
    pub(crate) fn build_initial(
        &mut self,
        method: Method,
        req: &InitialRequest,
        extra: &ExtraHeaders,
    ) -> Result<(Request, Origin), ApiError> {
        let uri = Uri::parse(&req.uri).map_err(|_| ApiError::InvalidInput("Request-URI"))?;
        let secure = uri.scheme() == Scheme::Sips && req.destination.transport == Transport::Tls;
        let local_tag = self.token();
        let call_id = match &req.call_id {
            Some(c) => c.clone(),
            None => {
                let host = self.cfg.sent_by.clone();
                format!("{}@{}", self.token(), host)
            }
        };
        let branch = self.branch();
        let cseq = 1;
        let mut b = Request::builder(method.clone(), req.uri.clone())
            .via(
                req.destination.transport.as_str(),
                &self.cfg.sent_by,
                &branch,
            )
            .max_forwards(self.cfg.max_forwards);
        for r in &req.route {
            b = b.header(HeaderName::Route, r.clone());
        }
        b = b
            .from(&req.from, &local_tag)
            .to(&req.to)
            .call_id(&call_id)
            .cseq(cseq)
            .contact(&contact(&self.cfg.contact, secure));
        for (name, value) in extra.iter().chain(&req.headers) {
            b = b.header(*name, value.clone());
        }
        if let Some(body) = &req.body {
            b = b.body(body.content_type(), body.bytes().clone());
        }
        let origin = Origin {
            call_id: call_id.into(),
            local_tag: local_tag.into(),
            local_uri: req.from.clone().into(),
            remote_uri: req.to.clone().into(),
            cseq,
            secure,
        };
        Ok((b.build(), origin))
    }

    fn send_cancel(&mut self, now: Instant, rid: RequestId) -> Result<(), ApiError> {
        let Some(o) = self.requests.get_mut(rid.0) else {
            return Err(ApiError::UnknownRequest(rid));
        };
        o.cancel = CancelState::Sent;
        let cancel = sip_transaction::build_cancel(&o.request)?;
        let dest = o.destination;
        self.start_request(now, cancel, dest, Purpose::Cancel, None, false)?;
        Ok(())
    }

    // ----- Responses -----

    pub(crate) fn on_invite_response(&mut self, now: Instant, rid: RequestId, response: Response) {
        let status = response.status();
        if status < 200 {
            let cancel_pending = self
                .requests
                .get(rid.0)
                .is_some_and(|o| o.cancel == CancelState::Pending);
            if cancel_pending {
                let _ = self.send_cancel(now, rid);
            }
        }
        let to_tag = response.to().ok().and_then(|t| t.tag()).map(str::to_owned);
        match (status, to_tag) {
            (101..=199, Some(tag)) => {
                let found = match self.uac_dialog(rid, &tag) {
                    Some(d) => Some(d),
                    None => self.create_uac_dialog(rid, &tag, &response, DialogState::Early, true),
                };
                let Some(d) = found else {
                    return;
                };
                if !self.on_reliable_provisional(now, d, &response) {
                    return; // A retransmission or out of order (RFC 3262 §4).
                }
                self.report(rid, Some(d), response);
            }
            (200..=299, Some(tag)) => self.on_invite_2xx(now, rid, &tag, response),
            (200..=299, None) | (100..=199, None) => self.report(rid, None, response),
            (_, _) => self.on_invite_failure(now, rid, response),
        }
    }

    fn on_invite_2xx(&mut self, now: Instant, rid: RequestId, tag: &str, response: Response) {
        let cseq = response.cseq().map(|c| c.seq()).unwrap_or(0);
        let existing = self.uac_dialog(rid, tag);
        if let Some(d) = existing {
            let confirmed = self
                .dialogs
                .get(d.0)
                .is_some_and(|x| !matches!(x.state, DialogState::Early));
            if confirmed {
                self.resend_ack(&response);
                return;
            }
        }
        let Some(o) = self.requests.get(rid.0) else {
            return;
        };
        let first = o.answered.is_none();
        let end = if o.cancel != CancelState::None {
            Some(TerminationReason::CancelledAfterAnswer)
        } else if !first && self.cfg.fork_policy == ForkPolicy::ByeExtra {
            Some(TerminationReason::ExtraFork)
        } else {
            None
        };
        // An extra fork is confirmed quietly: the application only hears that it ended.
        let report = end != Some(TerminationReason::ExtraFork);
        let found = match existing {
            Some(d) => {
                if let Some(x) = self.dialogs.get_mut(d.0) {
                    x.route_set = route::route_set(response.headers(), true);
                    if !report {
                        x.state = DialogState::Confirmed;
                    }
                }
                self.refresh_remote_target(d, response.headers());
                self.set_dialog_state(now, d, DialogState::Confirmed);
                Some(d)
            }
            None => self.create_uac_dialog(rid, tag, &response, DialogState::Confirmed, report),
        };
        let Some(d) = found else {
            return;
        };
        if first {
            if let Some(o) = self.requests.get_mut(rid.0) {
                o.answered = Some(d);
            }
        }
        if let Some(x) = self.dialogs.get_mut(d.0) {
            x.peer_allows_update = allows_update(response.headers());
            if let Some(inv) = &mut x.invite {
                inv.out_invite = None;
            }
        }
        if self.cfg.auto_ack || end.is_some() {
            self.send_ack(now, d, cseq, None);
        } else if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
            inv.ack_due = Some(cseq);
        }
        match end {
            Some(reason) => {
                let _ = self.send_bye(now, d, reason);
                if reason == TerminationReason::CancelledAfterAnswer {
                    self.report(rid, Some(d), response);
                }
            }
            None => {
                self.start_session_timer_uac(now, d, &response);
                self.report(rid, Some(d), response);
            }
        }
    }

    fn on_invite_failure(&mut self, now: Instant, rid: RequestId, response: Response) {
        let status = response.status();
        if status == 422 && self.retry_422(now, rid, &response) {
            return;
        }
        let Some(o) = self.requests.get(rid.0) else {
            return;
        };
        let reason = if status == 487 && o.cancel != CancelState::None {
            TerminationReason::Cancelled
        } else {
            TerminationReason::Rejected(status)
        };
        let forks = o.forks.clone();
        for d in forks {
            if self
                .dialogs
                .get(d.0)
                .is_some_and(|x| x.state == DialogState::Early)
            {
                self.set_dialog_state(now, d, DialogState::Terminated(reason));
            }
        }
        self.report(rid, None, response);
    }

    /// `422 Session Interval Too Small` (RFC 4028 §7.4): send the INVITE again, with the next
    /// CSeq and a Session-Expires of the Min-SE asked for. Once only.
    fn retry_422(&mut self, now: Instant, rid: RequestId, response: &Response) -> bool {
        let Ok(min) = response
            .headers()
            .typed::<MinSe<'_>>()
            .map(|m| m.delta_seconds())
        else {
            return false;
        };
        let branch = self.branch();
        let Some(o) = self.requests.get_mut(rid.0) else {
            return false;
        };
        if o.retries > 0 {
            return false;
        }
        let mut req = o.request.clone();
        let Some(origin) = o.origin.as_mut() else {
            return false;
        };
        origin.cseq += 1;
        let cseq = origin.cseq;
        let h = req.headers_mut();
        h.set(HeaderName::CSeq, format!("{cseq} {}", Method::Invite));
        h.set(HeaderName::SessionExpires, min.to_string());
        h.set(HeaderName::MinSe, min.to_string());
        let via = format!(
            "SIP/2.0/{} {};branch={branch};rport",
            o.destination.transport, self.cfg.sent_by
        );
        h.set(HeaderName::Via, via);
        let dest = o.destination;
        if self.restart_request(now, rid, req, dest).is_err() {
            return false;
        }
        self.emit(DialogEvent::Retrying {
            request: rid,
            status: 422,
            at: now,
        });
        true
    }

    /// The dialog of an initial INVITE's response with this To tag, if it exists.
    fn uac_dialog(&mut self, rid: RequestId, remote_tag: &str) -> Option<DialogId> {
        let o = self.requests.get(rid.0)?;
        let origin = o.origin.as_ref()?;
        let (call_id, local_tag) = (origin.call_id.clone(), origin.local_tag.clone());
        self.find_dialog(&call_id, &local_tag, remote_tag)
    }

    /// Creates the dialog a response to a request sent outside a dialog establishes
    /// (§12.1.2): route set from Record-Route reversed, remote target from Contact.
    pub(crate) fn create_uac_dialog(
        &mut self,
        rid: RequestId,
        remote_tag: &str,
        response: &Response,
        state: DialogState,
        report: bool,
    ) -> Option<DialogId> {
        let o = self.requests.get(rid.0)?;
        let origin = o.origin.clone()?;
        let (dest, purpose) = (o.destination, o.purpose);
        let offer = sdp_of(&o.request);
        let target = match response.headers().typed::<Contact<'_>>() {
            Ok(Contact::Addr(a)) => a.uri().as_str().to_owned(),
            _ => String::from_utf8_lossy(o.request.uri_raw()).into_owned(),
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
            route_set: route::route_set(response.headers(), true),
            secure: origin.secure,
            caller: true,
            peer: dest,
            state,
            invite: purpose == Purpose::Invite,
            report,
        });
        if let Some(o) = self.requests.get_mut(rid.0) {
            o.forks.push(d);
        }
        if let Some(x) = self.dialogs.get_mut(d.0) {
            x.last_local_body = offer;
        }
        if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
            inv.out_invite = Some(rid);
        }
        Some(d)
    }

    // ----- Failures and the end of transactions -----
}
