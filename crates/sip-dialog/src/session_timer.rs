//! Session timers (RFC 4028): Session-Expires and Min-SE negotiation, the refresher's
//! refresh at half the interval, and BYE when a session is not refreshed.
//!
//! ```text
//!  UAC asks:   Session-Expires: N [;refresher=...], Min-SE: M, Supported: timer
//!  UAS:        N < its Min-SE                   -> 422 with Min-SE (UAC retries with it)
//!              otherwise 2xx with Session-Expires: N;refresher=uac|uas
//!                        (+ Require: timer when the UAC supports it)
//!
//!  each side, after every 2xx to an INVITE or UPDATE carrying Session-Expires:
//!
//!      +---------+  SessionRefresh (N/2, refresher only): UPDATE or re-INVITE
//!      | Running |----------------------------------------------+
//!      +---------+<---------------- 2xx with Session-Expires ----+
//!           |
//!           | SessionExpiry (non-refresher: N - min(32, N/3); refresher: N):
//!           |   BYE, Terminated(SessionExpired)
//!           V
//! ```

use std::time::{Duration, Instant};

use sip_message::header::{MinSe, Refresher, Require, SessionExpires, Supported};
use sip_message::{HeaderName, Method, Request, Response};

use crate::command::ExtraHeaders;
use crate::request::Purpose;
use crate::timers::{Owner, Timer};
use crate::{DialogEvent, DialogId, DialogLayer, RefreshMethod, TerminationReason, TimeoutKind};

/// The smallest session interval RFC 4028 allows (§4).
const FLOOR: u32 = 90;

/// The running session timer of a dialog.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionTimer {
    /// Seconds.
    pub(crate) interval: u32,
    pub(crate) local_refresher: bool,
}

/// What a UAS agreed to for an INVITE or UPDATE it received.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Negotiated {
    pub(crate) interval: u32,
    pub(crate) uac_refreshes: bool,
    /// The UAC supports `timer`, so the `2xx` carries `Require: timer`.
    pub(crate) require_timer: bool,
}

fn has_tag<'a, H>(request: &'a Request, tag: &str) -> bool
where
    H: sip_message::TypedHeader<'a> + AsTag<'a>,
{
    request
        .headers()
        .typed_all::<H>()
        .filter_map(Result::ok)
        .any(|t| t.tag().eq_ignore_ascii_case(tag))
}

/// Option-tag headers, read alike.
trait AsTag<'a> {
    fn tag(&self) -> &'a str;
}

impl<'a> AsTag<'a> for Supported<'a> {
    fn tag(&self) -> &'a str {
        self.as_str()
    }
}

impl<'a> AsTag<'a> for Require<'a> {
    fn tag(&self) -> &'a str {
        self.as_str()
    }
}

/// Writes the UAS's Session-Expires (and `Require: timer`) into a `2xx`.
pub(crate) fn write_uas_headers(resp: &mut Response, n: &Negotiated) {
    let who = if n.uac_refreshes { "uac" } else { "uas" };
    resp.headers_mut().push(
        HeaderName::SessionExpires,
        format!("{};refresher={who}", n.interval),
    );
    if n.require_timer {
        resp.headers_mut().push(HeaderName::Require, "timer");
    }
}

/// When the non-refresher gives up: the interval minus the lesser of 32 s and a third of it
/// (RFC 4028 §10).
pub(crate) fn expiry_after(interval: u32) -> Duration {
    Duration::from_secs(u64::from(interval - (interval / 3).min(32)))
}

impl DialogLayer {
    /// Checks the Session-Expires of an INVITE or UPDATE received (RFC 4028 §8.1, §9).
    /// `Err(min)` means answer `422` with `Min-SE: min`; `Ok(None)` means no session timer.
    pub(crate) fn check_session_request(&self, req: &Request) -> Result<Option<Negotiated>, u32> {
        let Some(cfg) = &self.cfg.session_timer else {
            return Ok(None);
        };
        let ours = cfg.min_se.max(FLOOR);
        let uac_supports =
            has_tag::<Supported<'_>>(req, "timer") || has_tag::<Require<'_>>(req, "timer");
        let asked_min = req
            .headers()
            .typed::<MinSe<'_>>()
            .map(|m| m.delta_seconds())
            .unwrap_or(FLOOR);
        let (interval, refresher) = match req.headers().typed::<SessionExpires<'_>>() {
            Ok(se) if se.delta_seconds() < ours => return Err(ours),
            Ok(se) => (se.delta_seconds(), se.refresher()),
            Err(_) => (cfg.interval.max(asked_min).max(ours), None),
        };
        let uac_refreshes = match refresher {
            Some(Refresher::Uac) => true,
            Some(Refresher::Uas) => false,
            // §9: without a preference, the UAC refreshes if it can.
            None => uac_supports,
        };
        Ok(Some(Negotiated {
            interval,
            uac_refreshes: uac_refreshes && uac_supports,
            require_timer: uac_supports,
        }))
    }

    /// Session-Expires, Min-SE and `Supported: timer` for a re-INVITE or UPDATE we send in a
    /// dialog with a running session timer (every such request refreshes the session).
    pub(crate) fn session_headers(&self, d: DialogId, mut extra: ExtraHeaders) -> ExtraHeaders {
        let (Some(cfg), Some(s)) = (
            &self.cfg.session_timer,
            self.dialogs.get(d.0).and_then(|x| x.session),
        ) else {
            return extra;
        };
        let who = if s.local_refresher { "uac" } else { "uas" };
        extra.push((
            HeaderName::SessionExpires,
            format!("{};refresher={who}", s.interval),
        ));
        extra.push((HeaderName::MinSe, cfg.min_se.max(FLOOR).to_string()));
        extra.push((HeaderName::Supported, "timer".to_owned()));
        extra
    }

    /// (Re)starts a dialog's session timer and reports it.
    pub(crate) fn start_session_timer(
        &mut self,
        now: Instant,
        d: DialogId,
        interval: u32,
        local_refresher: bool,
        report: bool,
    ) {
        let Some(x) = self.dialogs.get_mut(d.0) else {
            return;
        };
        if x.invite.is_none() {
            return;
        }
        x.session = Some(SessionTimer {
            interval,
            local_refresher,
        });
        let owner = Owner::Dialog(d);
        if local_refresher {
            let half = Duration::from_secs(u64::from(interval / 2));
            self.arm(owner, Timer::SessionRefresh, now + half);
        } else {
            self.disarm(owner, Timer::SessionRefresh);
        }
        // The non-refresher gives up a little before the session would expire (§10); the
        // refresher keeps the session until it actually expires (or its refresh fails).
        let expiry = if local_refresher {
            Duration::from_secs(interval.into())
        } else {
            expiry_after(interval)
        };
        self.arm(owner, Timer::SessionExpiry, now + expiry);
        if report {
            self.emit(DialogEvent::SessionRefreshed {
                dialog: d,
                interval: Duration::from_secs(interval.into()),
                local_refresher,
            });
        }
    }

    /// A `2xx` to the initial INVITE we sent: the session timer the UAS granted, if any.
    pub(crate) fn start_session_timer_uac(
        &mut self,
        now: Instant,
        d: DialogId,
        response: &Response,
    ) {
        if self.cfg.session_timer.is_none() {
            return;
        }
        if let Ok(se) = response.headers().typed::<SessionExpires<'_>>() {
            // §7.2: a 2xx without a refresher parameter is malformed; take the UAC (us).
            let local = se.refresher() != Some(Refresher::Uas);
            self.start_session_timer(now, d, se.delta_seconds(), local, true);
        }
    }

    /// A `2xx` to a re-INVITE or UPDATE we sent: the session was refreshed, or (no
    /// Session-Expires in the answer) session timers are now off (§7.2).
    pub(crate) fn session_refreshed_uac(&mut self, now: Instant, d: DialogId, response: &Response) {
        if self.cfg.session_timer.is_none() {
            return;
        }
        match response.headers().typed::<SessionExpires<'_>>() {
            Ok(se) => {
                let local = se.refresher() != Some(Refresher::Uas);
                self.start_session_timer(now, d, se.delta_seconds(), local, true);
            }
            Err(_) => {
                if let Some(x) = self.dialogs.get_mut(d.0) {
                    x.session = None;
                }
                self.disarm(Owner::Dialog(d), Timer::SessionRefresh);
                self.disarm(Owner::Dialog(d), Timer::SessionExpiry);
            }
        }
    }

    /// A `422` to a refresh: use the Min-SE it asks for. Returns whether to retry.
    pub(crate) fn raise_session_interval(&mut self, d: DialogId, response: &Response) -> bool {
        let Ok(min) = response
            .headers()
            .typed::<MinSe<'_>>()
            .map(|m| m.delta_seconds())
        else {
            return false;
        };
        match self.dialogs.get_mut(d.0).and_then(|x| x.session.as_mut()) {
            Some(s) if s.interval < min => {
                s.interval = min;
                true
            }
            _ => false,
        }
    }

    /// The refresher's timer: refresh with UPDATE or re-INVITE (§7.4, §8.1), unless an INVITE
    /// or UPDATE is already under way (it refreshes the session).
    pub(crate) fn on_session_refresh(&mut self, now: Instant, d: DialogId) {
        let Some(x) = self.dialogs.get(d.0) else {
            return;
        };
        let Some(inv) = &x.invite else {
            return;
        };
        if inv.out_invite.is_some() || inv.out_update.is_some() || inv.bye.is_some() {
            return;
        }
        let method = self
            .cfg
            .session_timer
            .as_ref()
            .map_or(RefreshMethod::UpdateIfAllowed, |c| c.refresh);
        let use_update = method == RefreshMethod::UpdateIfAllowed && x.peer_allows_update;
        if use_update {
            let _ = self.send_update(now, d, None, false);
            return;
        }
        if inv.in_invite.is_some() {
            // The peer's INVITE in progress blocks ours (§14.1): try again shortly.
            let delay = self.glare_delay(d);
            self.arm(Owner::Dialog(d), Timer::SessionRefresh, now + delay);
            return;
        }
        let body = x.last_local_body.clone();
        let extra = self.session_headers(d, Vec::new());
        if let Ok(rid) = self.send_in_dialog(
            now,
            d,
            Method::Invite,
            (body.as_ref(), &extra),
            Purpose::ReInvite,
            false,
        ) {
            if let Some(inv) = self.dialogs.get_mut(d.0).and_then(|x| x.invite.as_mut()) {
                inv.out_invite = Some(rid);
            }
        }
    }

    /// No refresh in time: BYE (§10).
    pub(crate) fn on_session_expiry(&mut self, now: Instant, d: DialogId) {
        if !self.is_live(d) {
            return;
        }
        self.emit(DialogEvent::Timeout(TimeoutKind::Session(d)));
        let _ = self.send_bye(now, d, TerminationReason::SessionExpired);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_interval_minus_the_lesser_of_32_and_a_third() {
        assert_eq!(expiry_after(90), Duration::from_secs(60));
        assert_eq!(expiry_after(1800), Duration::from_secs(1768));
        assert_eq!(expiry_after(120), Duration::from_secs(88));
    }
}
