//! The INVITE usage of a dialog (RFC 3261 §13-15, RFC 3311): the `2xx` retransmitted until
//! the ACK, the ACK for a `2xx`, re-INVITE with glare handling, UPDATE, and BYE.
//!
//! ```text
//!  UAS, after sending a 2xx (§13.3.1.4):
//!
//!        2xx sent             Retransmit2xx fires (T1, 2·T1, ... ≤ T2)
//!   ------------------> +-------------+ ---+ resend 2xx
//!                       | Awaiting ACK|<---+
//!                       +-------------+
//!                 ACK     |         | AckWait fires (64·T1)
//!                         V         V
//!                    (confirmed)   BYE, Terminated(NoAck)
//!
//!  re-INVITE / UPDATE glare (§14.1, RFC 3311 §5.2):
//!
//!   request arrives while ours is pending      -> 491
//!   request arrives while theirs is unanswered -> 500 + Retry-After (0-10 s)
//!   491 received -> Retry after 2.1-4 s (Call-ID owner) or 0-2 s (other), 10 ms steps
//! ```

use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_message::header::RetryAfter;
use sip_message::{Method, Request, Response};
use sip_transaction::{Peer, ServerKey};

use crate::command::Body;
use crate::request::Purpose;
use crate::timers::{Owner, Timer};
use crate::{
    ApiError, DialogEvent, DialogId, DialogLayer, DialogState, IncomingId, RequestId,
    TerminationReason, TimeoutKind,
};

/// The state of the INVITE usage of a dialog.
#[derive(Debug, Default)]
pub(crate) struct InviteUsage {
    /// UAS: a `2xx` sent and not yet acknowledged.
    pub(crate) awaiting_ack: Option<AwaitAck>,
    /// UAC: the last ACK sent, resent when its `2xx` comes again.
    pub(crate) last_ack: Option<SentAck>,
    /// UAC with `auto_ack` off: the CSeq of a `2xx` the application must acknowledge.
    pub(crate) ack_due: Option<u32>,
    /// An INVITE we sent in this dialog without a final response yet.
    pub(crate) out_invite: Option<RequestId>,
    /// An INVITE received in this dialog not yet answered finally.
    pub(crate) in_invite: Option<IncomingId>,
    /// An UPDATE we sent without a final response yet.
    pub(crate) out_update: Option<RequestId>,
    /// An UPDATE received not yet answered.
    pub(crate) in_update: Option<IncomingId>,
    /// UAC: the RSeq of the last reliable provisional response accepted (RFC 3262 §4).
    pub(crate) rseq: Option<u32>,
    /// UAC with `auto_prack` off: the RAck of a reliable provisional response to PRACK.
    pub(crate) prack_due: Option<(u32, u32)>,
    /// A BYE we sent.
    pub(crate) bye: Option<RequestId>,
}

impl InviteUsage {
    /// Whether an INVITE transaction is in progress in either direction (§14.1).
    pub(crate) fn invite_in_progress(&self) -> bool {
        self.out_invite.is_some() || self.in_invite.is_some()
    }
}

/// A `2xx` to an INVITE, retransmitted until its ACK.
#[derive(Debug)]
pub(crate) struct AwaitAck {
    pub(crate) server: ServerKey,
    pub(crate) cseq: u32,
    pub(crate) response: Response,
    pub(crate) peer: Peer,
    pub(crate) interval: Duration,
}

/// The ACK sent for a `2xx`.
#[derive(Debug)]
pub(crate) struct SentAck {
    pub(crate) cseq: u32,
    pub(crate) bytes: Bytes,
    pub(crate) peer: Peer,
}

impl DialogLayer {
    // ----- Commands -----

    /// Sends the ACK for the `2xx` of an INVITE, with an optional body (the answer to an offer
    /// in the `2xx`). Only needed when [`Config::auto_ack`](crate::Config::auto_ack) is off.
    pub fn ack(
        &mut self,
        now: Instant,
        dialog: DialogId,
        body: Option<Body>,
    ) -> Result<(), ApiError> {
        let cseq = self
            .live_dialog(dialog)?
            .invite
            .as_ref()
            .and_then(|i| i.ack_due)
            .ok_or(ApiError::InvalidState("no 2xx awaits an ACK"))?;
        self.send_ack(now, dialog, cseq, body.as_ref());
        self.pump(now);
        Ok(())
    }

    /// Ends the session with BYE (RFC 3261 §15.1.1). The callee may not BYE an early dialog
    /// (it answers the INVITE instead); the caller may, though CANCEL is the usual way. The
    /// dialog reports `Terminated(LocalBye)` when the BYE completes.
    pub fn bye(&mut self, now: Instant, dialog: DialogId) -> Result<RequestId, ApiError> {
        let d = self.live_dialog(dialog)?;
        let inv = d
            .invite
            .as_ref()
            .ok_or(ApiError::InvalidState("no session in this dialog"))?;
        if inv.bye.is_some() {
            return Err(ApiError::InvalidState("BYE already sent"));
        }
        if d.state == DialogState::Early && !d.caller {
            return Err(ApiError::InvalidState(
                "the callee cannot BYE an early dialog",
            ));
        }
        let rid = self.send_bye_inner(now, dialog, TerminationReason::LocalBye, true)?;
        self.pump(now);
        Ok(rid)
    }

    /// Sends a re-INVITE in a confirmed dialog (RFC 3261 §14.1). Refused while another
    /// INVITE transaction is in progress in either direction; a `491` (glare) is retried by
    /// the layer after the §14.1 delay ([`DialogEvent::Retrying`]).
    pub fn reinvite(
        &mut self,
        now: Instant,
        dialog: DialogId,
        body: Option<Body>,
    ) -> Result<RequestId, ApiError> {
        let d = self.live_dialog(dialog)?;
        if d.state != DialogState::Confirmed {
            return Err(ApiError::InvalidState("re-INVITE needs a confirmed dialog"));
        }
        let inv = d
            .invite
            .as_ref()
            .ok_or(ApiError::InvalidState("no session in this dialog"))?;
        if inv.invite_in_progress() {
            return Err(ApiError::InviteInProgress);
        }
        if inv.bye.is_some() {
            return Err(ApiError::InvalidState("BYE already sent"));
        }
        let extra = self.session_headers(dialog, Vec::new());
        let rid = self.send_in_dialog(
            now,
            dialog,
            Method::Invite,
            (body.as_ref(), &extra),
            Purpose::ReInvite,
            true,
        )?;
        if let Some(inv) = self
            .dialogs
            .get_mut(dialog.0)
            .and_then(|x| x.invite.as_mut())
        {
            inv.out_invite = Some(rid);
        }
        self.pump(now);
        Ok(rid)
    }

    /// Sends an UPDATE (RFC 3311) in an early or confirmed dialog: a new offer (with a body)
    /// or a session refresh (without one).
    pub fn update(
        &mut self,
        now: Instant,
        dialog: DialogId,
        body: Option<Body>,
    ) -> Result<RequestId, ApiError> {
        let rid = self.send_update(now, dialog, body, true)?;
        self.pump(now);
        Ok(rid)
    }

    /// Sends another request in a dialog (INFO, MESSAGE, OPTIONS, or an extension method).
    /// Methods with a command of their own are refused.
    pub fn request(
        &mut self,
        now: Instant,
        dialog: DialogId,
        method: Method,
        body: Option<Body>,
    ) -> Result<RequestId, ApiError> {
        if matches!(
            method,
            Method::Invite
                | Method::Ack
                | Method::Bye
                | Method::Cancel
                | Method::Prack
                | Method::Update
                | Method::Subscribe
                | Method::Notify
                | Method::Refer
        ) {
            return Err(ApiError::InvalidState("this method has its own command"));
        }
        self.live_dialog(dialog)?;
        let rid = self.send_in_dialog(
            now,
            dialog,
            method,
            (body.as_ref(), &Vec::new()),
            Purpose::Other,
            true,
        )?;
        self.pump(now);
        Ok(rid)
    }

    // ----- Sending -----

    pub(crate) fn send_update(
        &mut self,
        now: Instant,
        dialog: DialogId,
        body: Option<Body>,
        visible: bool,
    ) -> Result<RequestId, ApiError> {
        let d = self.live_dialog(dialog)?;
        let inv = d
            .invite
            .as_ref()
            .ok_or(ApiError::InvalidState("no session in this dialog"))?;
        if inv.out_update.is_some() {
            return Err(ApiError::InvalidState("an UPDATE is already in progress"));
        }
        let extra = self.session_headers(dialog, Vec::new());
        let rid = self.send_in_dialog(
            now,
            dialog,
            Method::Update,
            (body.as_ref(), &extra),
            Purpose::Update,
            visible,
        )?;
        if let Some(inv) = self
            .dialogs
            .get_mut(dialog.0)
            .and_then(|x| x.invite.as_mut())
        {
            inv.out_update = Some(rid);
        }
        Ok(rid)
    }

    /// Sends BYE on behalf of the layer (no ACK, session expired, extra fork...).
    pub(crate) fn send_bye(
        &mut self,
        now: Instant,
        dialog: DialogId,
        reason: TerminationReason,
    ) -> Result<RequestId, ApiError> {
        self.send_bye_inner(now, dialog, reason, false)
    }

    fn send_bye_inner(
        &mut self,
        now: Instant,
        dialog: DialogId,
        reason: TerminationReason,
        visible: bool,
    ) -> Result<RequestId, ApiError> {
        let d = self
            .dialogs
            .get_mut(dialog.0)
            .filter(|d| !matches!(d.state, DialogState::Terminated(_)))
            .ok_or(ApiError::UnknownDialog(dialog))?;
        let inv = d
            .invite
            .as_mut()
            .ok_or(ApiError::InvalidState("no session in this dialog"))?;
        if let Some(rid) = inv.bye {
            return Ok(rid);
        }
        inv.awaiting_ack = None;
        d.session = None;
        for t in [
            Timer::Retransmit2xx,
            Timer::AckWait,
            Timer::SessionRefresh,
            Timer::SessionExpiry,
        ] {
            self.disarm(Owner::Dialog(dialog), t);
        }
        let rid = self.send_in_dialog(
            now,
            dialog,
            Method::Bye,
            (None, &Vec::new()),
            Purpose::Bye(reason),
            visible,
        )?;
        if let Some(inv) = self
            .dialogs
            .get_mut(dialog.0)
            .and_then(|x| x.invite.as_mut())
        {
            inv.bye = Some(rid);
        }
        Ok(rid)
    }

    /// Ends the INVITE usage. The dialog ends with it unless subscriptions remain (RFC 5057).
    pub(crate) fn end_invite_usage(
        &mut self,
        now: Instant,
        dialog: DialogId,
        reason: TerminationReason,
    ) {
        let Some(d) = self.dialogs.get_mut(dialog.0) else {
            return;
        };
        if d.invite.take().is_none() {
            return;
        }
        d.session = None;
        let alone = d.subscriptions.is_empty();
        for t in [
            Timer::Retransmit2xx,
            Timer::AckWait,
            Timer::SessionRefresh,
            Timer::SessionExpiry,
        ] {
            self.disarm(Owner::Dialog(dialog), t);
        }
        if alone {
            self.set_dialog_state(now, dialog, DialogState::Terminated(reason));
        } else if self.is_live(dialog) {
            self.emit(DialogEvent::SessionEnded { dialog, reason });
        }
    }

    // ----- The ACK for a 2xx, UAC side -----

    /// Builds and sends the ACK for the `2xx` with CSeq `cseq` (§13.2.2.4): the dialog's route
    /// set and target, the INVITE's CSeq number, a new branch.
    pub(crate) fn send_ack(
        &mut self,
        _now: Instant,
        dialog: DialogId,
        cseq: u32,
        body: Option<&Body>,
    ) {
        let Ok((ack, hop)) =
            self.build_in_dialog(dialog, Method::Ack, Some(cseq), body, &Vec::new())
        else {
            return;
        };
        let bytes = ack.to_bytes();
        self.tx.send_stateless(hop, ack);
        if let Some(inv) = self
            .dialogs
            .get_mut(dialog.0)
            .and_then(|x| x.invite.as_mut())
        {
            inv.ack_due = None;
            inv.last_ack = Some(SentAck {
                cseq,
                bytes,
                peer: hop,
            });
        }
    }

    /// A `2xx` came again: resend its ACK (§13.2.2.4).
    pub(crate) fn resend_ack(&mut self, response: &Response) {
        let (Ok(call_id), Ok(from), Ok(to), Ok(cseq)) = (
            response.call_id(),
            response.from(),
            response.to(),
            response.cseq(),
        ) else {
            return;
        };
        let (Some(local), Some(remote)) = (from.tag(), to.tag()) else {
            return;
        };
        let seq = cseq.seq();
        let (call_id, local, remote) = (call_id.to_owned(), local.to_owned(), remote.to_owned());
        let Some(d) = self.find_dialog(&call_id, &local, &remote) else {
            return;
        };
        let resend = self
            .dialogs
            .get(d.0)
            .and_then(|x| x.invite.as_ref())
            .and_then(|i| i.last_ack.as_ref())
            .filter(|a| a.cseq == seq)
            .map(|a| (a.peer, a.bytes.clone()));
        if let Some((peer, bytes)) = resend {
            self.out
                .push_back(crate::Output::Transmit(sip_transaction::Transmit {
                    destination: peer,
                    bytes,
                    key: None,
                }));
        }
    }

    // ----- The 2xx until the ACK, UAS side -----

    /// Starts retransmitting a `2xx` to an INVITE until its ACK (§13.3.1.4). Retransmissions
    /// run on unreliable transports only (a reliable one delivers the `2xx`); the 64·T1 ACK
    /// wait runs on every transport.
    pub(crate) fn await_ack(
        &mut self,
        now: Instant,
        dialog: DialogId,
        server: ServerKey,
        response: Response,
        peer: Peer,
    ) {
        let cseq = response.cseq().map(|c| c.seq()).unwrap_or(0);
        let t1 = self.cfg.t1();
        let Some(inv) = self
            .dialogs
            .get_mut(dialog.0)
            .and_then(|x| x.invite.as_mut())
        else {
            return;
        };
        inv.awaiting_ack = Some(AwaitAck {
            server,
            cseq,
            response,
            peer,
            interval: t1,
        });
        if !peer.reliable {
            self.arm(Owner::Dialog(dialog), Timer::Retransmit2xx, now + t1);
        }
        let wait = now + self.cfg.timeout();
        self.arm(Owner::Dialog(dialog), Timer::AckWait, wait);
    }

    pub(crate) fn on_retransmit_2xx(&mut self, now: Instant, dialog: DialogId) {
        let t2 = self.cfg.t2();
        let Some(a) = self
            .dialogs
            .get_mut(dialog.0)
            .and_then(|x| x.invite.as_mut())
            .and_then(|i| i.awaiting_ack.as_mut())
        else {
            return;
        };
        a.interval = (a.interval * 2).min(t2);
        let (server, response, peer, next) = (a.server, a.response.clone(), a.peer, a.interval);
        if self.tx.respond(now, server, response.clone()).is_err() {
            // The server transaction is gone (Timer L); the TU still owns the 2xx.
            self.tx.send_stateless(peer, response);
        }
        self.arm(Owner::Dialog(dialog), Timer::Retransmit2xx, now + next);
    }

    pub(crate) fn on_ack_wait(&mut self, now: Instant, dialog: DialogId) {
        let had = self
            .dialogs
            .get_mut(dialog.0)
            .and_then(|x| x.invite.as_mut())
            .and_then(|i| i.awaiting_ack.take())
            .is_some();
        if !had {
            return;
        }
        self.disarm(Owner::Dialog(dialog), Timer::Retransmit2xx);
        self.emit(DialogEvent::Timeout(TimeoutKind::Ack(dialog)));
        let _ = self.send_bye(now, dialog, TerminationReason::NoAck);
    }

    /// An ACK that the transaction layer passed up: the ACK for a `2xx` we sent.
    pub(crate) fn on_ack(&mut self, _now: Instant, ack: Request) {
        let (Ok(call_id), Ok(from), Ok(to), Ok(cseq)) =
            (ack.call_id(), ack.from(), ack.to(), ack.cseq())
        else {
            return;
        };
        let (Some(remote), Some(local)) = (from.tag(), to.tag()) else {
            return;
        };
        let seq = cseq.seq();
        let (call_id, local, remote) = (call_id.to_owned(), local.to_owned(), remote.to_owned());
        let Some(d) = self.find_dialog(&call_id, &local, &remote) else {
            return;
        };
        let matched = self
            .dialogs
            .get_mut(d.0)
            .and_then(|x| x.invite.as_mut())
            .filter(|i| i.awaiting_ack.as_ref().is_some_and(|a| a.cseq == seq))
            .and_then(|i| i.awaiting_ack.take())
            .is_some();
        if matched {
            self.disarm(Owner::Dialog(d), Timer::Retransmit2xx);
            self.disarm(Owner::Dialog(d), Timer::AckWait);
            self.emit(DialogEvent::Ack {
                dialog: d,
                request: ack,
            });
        }
    }

    // ----- re-INVITE and UPDATE responses -----

    pub(crate) fn on_reinvite_response(
        &mut self,
        now: Instant,
        rid: RequestId,
        response: Response,
    ) {
        let status = response.status();
        let Some(d) = self.requests.get(rid.0).and_then(|o| o.dialog) else {
            return;
        };
        if status < 200 {
            self.report(rid, Some(d), response);
            return;
        }
        if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
            inv.out_invite = None;
        }
        if self.schedule_retry(now, rid, d, &response) {
            return;
        }
        if (200..300).contains(&status) {
            let cseq = response.cseq().map(|c| c.seq()).unwrap_or(0);
            if self.cfg.auto_ack {
                self.send_ack(now, d, cseq, None);
            } else if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
                inv.ack_due = Some(cseq);
            }
            self.refresh_remote_target(d, response.headers());
            self.session_refreshed_uac(now, d, &response);
            self.report(rid, Some(d), response);
            return;
        }
        self.in_dialog_final(now, rid, &response);
        self.report(rid, Some(d), response);
    }

    pub(crate) fn on_update_response(&mut self, now: Instant, rid: RequestId, response: Response) {
        let status = response.status();
        let Some(d) = self.requests.get(rid.0).and_then(|o| o.dialog) else {
            return;
        };
        if status < 200 {
            self.report(rid, Some(d), response);
            return;
        }
        if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
            inv.out_update = None;
        }
        if self.schedule_retry(now, rid, d, &response) {
            return;
        }
        if self.in_dialog_final(now, rid, &response) && (200..300).contains(&status) {
            self.session_refreshed_uac(now, d, &response);
        }
        self.report(rid, Some(d), response);
    }

    /// `491` (glare), `500` with Retry-After, `422` with a Min-SE: arm the Retry timer and
    /// report [`DialogEvent::Retrying`]. Returns whether a retry was scheduled.
    fn schedule_retry(
        &mut self,
        now: Instant,
        rid: RequestId,
        d: DialogId,
        response: &Response,
    ) -> bool {
        let status = response.status();
        let retries = self.requests.get(rid.0).map_or(u8::MAX, |o| o.retries);
        let delay = match status {
            491 if retries < 8 => self.glare_delay(d),
            500 if retries < 2 => match response.headers().typed::<RetryAfter<'_>>() {
                Ok(r) if r.delta_seconds() <= 32 => Duration::from_secs(r.delta_seconds().into()),
                _ => return false,
            },
            422 if retries < 2 && self.raise_session_interval(d, response) => Duration::ZERO,
            _ => return false,
        };
        let at = now + delay;
        self.arm(Owner::Request(rid), Timer::Retry, at);
        self.emit(DialogEvent::Retrying {
            request: rid,
            status,
            at,
        });
        true
    }

    /// The §14.1 delay before retrying after a `491`: 2.1-4 s if we own the Call-ID, 0-2 s
    /// otherwise, in units of 10 ms.
    pub(crate) fn glare_delay(&mut self, d: DialogId) -> Duration {
        let caller = self.dialogs.get(d.0).is_some_and(|x| x.caller);
        let ms = if caller {
            2100 + 10 * self.random_below(191)
        } else {
            10 * self.random_below(201)
        };
        Duration::from_millis(ms)
    }
}
