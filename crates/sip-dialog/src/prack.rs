//! Reliable provisional responses (RFC 3262): RSeq, retransmission of the `1xx` until its
//! PRACK on the UAS side, PRACK generation with RAck on the UAC side.
//!
//! ```text
//!  UAS (RFC 3262 §3):
//!
//!     reliable 1xx sent      RetransmitReliable fires (T1, 2·T1, 4·T1, ...)
//!   -------------------> +-------------+ ---+ resend the 1xx
//!                        | Unacked 1xx |<---+   (another reliable 1xx, or a 2xx after a
//!                        +-------------+         1xx with a body, waits in a queue)
//!              PRACK with   |       | PrackWait fires (64·T1)
//!              matching     |       |
//!              RAck: 200    V       V
//!                      (next queued)   INVITE rejected 500, Terminated(NoPrack)
//!
//!  UAC (RFC 3262 §4): RSeq = last + 1 -> accept, PRACK with RAck "rseq cseq INVITE";
//!                     RSeq <= last -> retransmission, dropped; RSeq > last + 1 -> dropped.
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sip_message::header::{RAck, RSeq, Require, Supported};
use sip_message::{HeaderName, Method, Request, Response};
use sip_transaction::ServerKey;

use crate::command::{Answer, Body};
use crate::request::Purpose;
use crate::timers::{Owner, Timer};
use crate::{ApiError, DialogEvent, DialogId, DialogLayer, IncomingId, TimeoutKind};

/// The reliable provisional responses of one INVITE we received.
#[derive(Debug, Default)]
pub(crate) struct Reliable {
    /// The RSeq of the next reliable provisional response.
    next_rseq: Option<u32>,
    /// The one not yet acknowledged.
    outstanding: Option<Outstanding>,
    /// Answers that wait for the outstanding one's PRACK.
    pub(crate) queue: VecDeque<Answer>,
    /// No PRACK came: the INVITE was rejected.
    pub(crate) gave_up: bool,
}

#[derive(Debug)]
struct Outstanding {
    rseq: u32,
    cseq: u32,
    response: Response,
    interval: Duration,
    has_body: bool,
}

impl Reliable {
    /// Whether `answer` must wait for a PRACK: a second reliable provisional response, or a
    /// `2xx` while the unacknowledged one carried a session description (RFC 3262 §3).
    pub(crate) fn must_wait(&self, answer: &Answer) -> bool {
        if answer.status >= 300 {
            return false;
        }
        if !self.queue.is_empty() {
            return true;
        }
        match &self.outstanding {
            None => false,
            Some(o) => answer.reliable || (answer.status >= 200 && o.has_body),
        }
    }
}

/// Whether a request offers or requires `100rel`.
pub(crate) fn offers_100rel(request: &Request) -> bool {
    let h = request.headers();
    h.typed_all::<Supported<'_>>()
        .filter_map(Result::ok)
        .any(|t| t.as_str().eq_ignore_ascii_case("100rel"))
        || h.typed_all::<Require<'_>>()
            .filter_map(Result::ok)
            .any(|t| t.as_str().eq_ignore_ascii_case("100rel"))
}

/// Whether a request requires `100rel`.
pub(crate) fn requires_100rel(request: &Request) -> bool {
    request
        .headers()
        .typed_all::<Require<'_>>()
        .filter_map(Result::ok)
        .any(|t| t.as_str().eq_ignore_ascii_case("100rel"))
}

/// The RSeq of a response sent reliably (`Require: 100rel` and RSeq), if it is one.
fn reliable_rseq(response: &Response) -> Option<u32> {
    let required = response
        .headers()
        .typed_all::<Require<'_>>()
        .filter_map(Result::ok)
        .any(|t| t.as_str().eq_ignore_ascii_case("100rel"));
    if !required {
        return None;
    }
    response.headers().typed::<RSeq>().ok().map(|r| r.0)
}

impl DialogLayer {
    /// Sends the PRACK for the last reliable provisional response, with an optional body.
    /// Only needed when [`Config::auto_prack`](crate::Config::auto_prack) is off.
    pub fn prack(
        &mut self,
        now: Instant,
        dialog: DialogId,
        body: Option<Body>,
    ) -> Result<(), ApiError> {
        let (rseq, cseq) = self
            .live_dialog(dialog)?
            .invite
            .as_ref()
            .and_then(|i| i.prack_due)
            .ok_or(ApiError::InvalidState(
                "no reliable provisional response to PRACK",
            ))?;
        self.send_prack(now, dialog, rseq, cseq, body.as_ref())?;
        self.pump(now);
        Ok(())
    }

    fn send_prack(
        &mut self,
        now: Instant,
        dialog: DialogId,
        rseq: u32,
        cseq: u32,
        body: Option<&Body>,
    ) -> Result<(), ApiError> {
        let extra = vec![(HeaderName::RAck, format!("{rseq} {cseq} INVITE"))];
        self.send_in_dialog(
            now,
            dialog,
            Method::Prack,
            (body, &extra),
            Purpose::Prack,
            false,
        )?;
        if let Some(inv) = self
            .dialogs
            .get_mut(dialog.0)
            .and_then(|x| x.invite.as_mut())
        {
            inv.prack_due = None;
        }
        Ok(())
    }

    // ----- UAC -----

    /// A provisional response in an early dialog. Returns whether it is new (to report): a
    /// reliable one is accepted only in RSeq order, and PRACKed.
    pub(crate) fn on_reliable_provisional(
        &mut self,
        now: Instant,
        dialog: DialogId,
        response: &Response,
    ) -> bool {
        let Some(rseq) = reliable_rseq(response) else {
            return true;
        };
        let cseq = response.cseq().map(|c| c.seq()).unwrap_or(0);
        let Some(inv) = self
            .dialogs
            .get_mut(dialog.0)
            .and_then(|x| x.invite.as_mut())
        else {
            return true;
        };
        if let Some(last) = inv.rseq {
            if rseq <= last || rseq > last.wrapping_add(1) {
                return false;
            }
        }
        inv.rseq = Some(rseq);
        if self.cfg.auto_prack {
            let _ = self.send_prack(now, dialog, rseq, cseq, None);
        } else {
            inv.prack_due = Some((rseq, cseq));
        }
        true
    }

    // ----- UAS -----

    /// Adds `Require: 100rel` and the next RSeq to a provisional response.
    pub(crate) fn make_reliable(&mut self, id: IncomingId, resp: &mut Response, has_body: bool) {
        let first = self.random_below(1 << 31) as u32 + 1;
        let Some(inc) = self.incoming.get_mut(id.0) else {
            return;
        };
        let rseq = *inc.reliable.next_rseq.get_or_insert(first);
        inc.reliable.next_rseq = Some(rseq.wrapping_add(1));
        resp.headers_mut().push(HeaderName::Require, "100rel");
        resp.headers_mut().push(HeaderName::RSeq, rseq.to_string());
        let cseq = inc.request.cseq().map(|c| c.seq()).unwrap_or(0);
        inc.reliable.outstanding = Some(Outstanding {
            rseq,
            cseq,
            response: Response::new(100), // replaced by start_reliable once sent
            interval: self.cfg.t1(),
            has_body,
        });
    }

    /// Starts retransmitting a reliable provisional response until its PRACK.
    pub(crate) fn start_reliable(&mut self, now: Instant, id: IncomingId, resp: Response) {
        let t1 = self.cfg.t1();
        let Some(inc) = self.incoming.get_mut(id.0) else {
            return;
        };
        let unreliable = !inc.source.reliable;
        if let Some(o) = &mut inc.reliable.outstanding {
            o.response = resp;
        }
        if unreliable {
            self.arm(Owner::Incoming(id), Timer::RetransmitReliable, now + t1);
        }
        let wait = now + self.cfg.timeout();
        self.arm(Owner::Incoming(id), Timer::PrackWait, wait);
    }

    pub(crate) fn on_retransmit_reliable(&mut self, now: Instant, id: IncomingId) {
        let Some(inc) = self.incoming.get_mut(id.0) else {
            return;
        };
        let server: ServerKey = inc.server;
        let Some(o) = &mut inc.reliable.outstanding else {
            return;
        };
        o.interval *= 2;
        let (resp, next) = (o.response.clone(), o.interval);
        let _ = self.tx.respond(now, server, resp);
        self.arm(Owner::Incoming(id), Timer::RetransmitReliable, now + next);
    }

    pub(crate) fn on_prack_wait(&mut self, now: Instant, id: IncomingId) {
        let Some(inc) = self.incoming.get_mut(id.0) else {
            return;
        };
        if inc.reliable.outstanding.take().is_none() {
            return;
        }
        inc.reliable.gave_up = true;
        inc.reliable.queue.clear();
        self.disarm(Owner::Incoming(id), Timer::RetransmitReliable);
        self.emit(DialogEvent::Timeout(TimeoutKind::Prack(id)));
        let _ = self.send_answer(now, id, Answer::new(500));
    }

    /// A PRACK (RFC 3262 §3): `200` if its RAck names the unacknowledged reliable provisional
    /// response of the dialog's pending INVITE, else `481`.
    pub(crate) fn on_prack(&mut self, now: Instant, key: ServerKey, request: Request, d: DialogId) {
        let rack = request
            .headers()
            .typed::<RAck<'_>>()
            .ok()
            .map(|r| (r.rseq(), r.cseq(), r.method() == "INVITE"));
        let pending = self
            .dialogs
            .get(d.0)
            .and_then(|x| x.invite.as_ref())
            .and_then(|i| i.in_invite);
        let matched = match (rack, pending) {
            (Some((rseq, cseq, true)), Some(id)) => self
                .incoming
                .get(id.0)
                .and_then(|inc| inc.reliable.outstanding.as_ref())
                .is_some_and(|o| o.rseq == rseq && o.cseq == cseq)
                .then_some(id),
            _ => None,
        };
        let Some(id) = matched else {
            self.reply(now, key, &request, 481, &[]);
            return;
        };
        self.reply(now, key, &request, 200, &[]);
        if let Some(inc) = self.incoming.get_mut(id.0) {
            inc.reliable.outstanding = None;
        }
        self.disarm(Owner::Incoming(id), Timer::RetransmitReliable);
        self.disarm(Owner::Incoming(id), Timer::PrackWait);
        self.emit(DialogEvent::Prack { dialog: d, request });
        // Send what waited for this PRACK, until one must wait again.
        while let Some(next) = self
            .incoming
            .get_mut(id.0)
            .filter(|inc| inc.reliable.outstanding.is_none())
            .and_then(|inc| inc.reliable.queue.pop_front())
        {
            let _ = self.send_answer(now, id, next);
        }
    }
}
