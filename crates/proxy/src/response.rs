//! Responses coming back (RFC 3261 §16.7), best-response selection, CANCEL of branches
//! (§9.1, §16.10) and Timer C (§16.6 step 11).

use std::cmp::Reverse;
use std::time::Instant;

use sip_message::{HeaderName, Method, Response};
use sip_transaction::{ClientKey, build_cancel};

use crate::context::{CancelState, Entry};
use crate::proxy::ProxyTimer;
use crate::wire;
use crate::{Proxy, RequestId};

impl Proxy {
    /// §16.7 steps 1-10 for a response on one of our branches.
    pub(crate) fn on_response(&mut self, now: Instant, key: ClientKey, mut response: Response) {
        if self.cancels.contains(&key) {
            return; // The 200 to our own CANCEL ends there (§16.10).
        }
        let Some(&(id, b)) = self.by_client.get(&key) else {
            self.forward_stray(response);
            return;
        };
        // Step 3: our Via off. A response with no Via left was meant for us alone.
        wire::pop_first(response.headers_mut(), HeaderName::Via);
        if !response.headers().contains(HeaderName::Via) {
            return;
        }
        let status = response.status();
        let timer_c = self.config.timer_c;
        let Some(Entry::Stateful(ctx)) = self.entries.get_mut(id.0) else {
            return;
        };
        let invite = ctx.method == Method::Invite;
        let (server, upstream_local, gone) = (ctx.server, ctx.local, ctx.server_gone);
        let Some(branch) = ctx.branches.get_mut(b) else {
            return;
        };
        match status {
            100..=199 => {
                branch.provisional = true;
                // Timer C restarts on every provisional but 100 (§16.7 step 2 ... §16.6 step 11).
                if status > 100 && invite && !branch.done && branch.cancel == CancelState::None {
                    let at = now + timer_c;
                    branch.timer_c = Some(at);
                    self.timers.push(Reverse((at, ProxyTimer::C(id, b))));
                }
                let wants_cancel = branch.cancel == CancelState::Wanted;
                // Step 5: 100 is absorbed; other provisionals go upstream at once.
                let forward = status > 100 && ctx.final_status.is_none() && !gone;
                if wants_cancel {
                    self.send_cancel(now, id, b);
                }
                if forward {
                    let _ = self.tl.respond(now, server, response);
                }
            }
            200..=299 => {
                branch.done = true;
                branch.timer_c = None;
                let first = ctx.final_status.is_none();
                // Step 5: every 2xx goes upstream, each fork's, at once. When the server
                // transaction no longer takes one (it sent a non-2xx, or is gone), the 2xx
                // still travels, by the Via.
                let sent = !gone && self.tl.respond(now, server, response.clone()).is_ok();
                if !sent {
                    self.send_by_via(response, upstream_local);
                }
                if first {
                    self.finish(now, id, status);
                    // §16.7 step 10: a 2xx ends the other branches.
                    self.close(now, id);
                }
            }
            _ => {
                if branch.done {
                    return; // Given up on (Timer C) before it answered.
                }
                branch.done = true;
                branch.timer_c = None;
                if ctx.final_status.is_none() {
                    // Step 4: kept for the selection.
                    ctx.responses.push((response, false));
                }
                if status >= 600 {
                    // Step 10: a 6xx ends the other branches and allows no new one.
                    self.close(now, id);
                }
                self.advance(now, id);
            }
        }
    }

    /// A branch ended without a response: Timer B or F (treated as 408, §16.7 step 6 / §16.8)
    /// or a transport error (treated as 503, §16.9).
    pub(crate) fn branch_failed(&mut self, now: Instant, key: ClientKey, status: u16) {
        if self.cancels.contains(&key) {
            return;
        }
        let Some(&(id, b)) = self.by_client.get(&key) else {
            return;
        };
        let response = self.synthetic(id, status);
        let Some(ctx) = self.ctx_mut(id) else { return };
        let Some(branch) = ctx.branches.get_mut(b) else {
            return;
        };
        if branch.done {
            return;
        }
        branch.done = true;
        branch.timer_c = None;
        if ctx.final_status.is_none() {
            ctx.responses.push((response, true));
        }
        self.advance(now, id);
    }

    /// Timer C fired for a branch (§16.6 step 11): with a provisional response, CANCEL it;
    /// without one, count it as 408 (a CANCEL may not be sent yet, §9.1; it goes out if a
    /// provisional comes later). When it fires again after the CANCEL (64·T1 without a final
    /// response, §9.1) the branch is given up as 408.
    pub(crate) fn on_timer_c(&mut self, now: Instant, id: RequestId, b: usize, at: Instant) {
        let response = self.synthetic(id, 408);
        // No final response 64·T1 after the CANCEL: the INVITE client transaction is
        // dropped too, or it would stay in Proceeding forever.
        let give_up = self.ctx_mut(id).and_then(|ctx| {
            let branch = ctx.branches.get(b)?;
            (branch.timer_c == Some(at) && matches!(branch.cancel, CancelState::Sent))
                .then_some(branch.client)
                .flatten()
        });
        if let Some(key) = give_up {
            self.tl.abandon(key);
        }
        let Some(ctx) = self.ctx_mut(id) else { return };
        let Some(branch) = ctx.branches.get_mut(b) else {
            return;
        };
        if branch.timer_c != Some(at) {
            return;
        }
        branch.timer_c = None;
        match branch.cancel {
            CancelState::Sent => {
                branch.abandoned = true;

                let was_done = std::mem::replace(&mut branch.done, true);
                if !was_done && ctx.final_status.is_none() {
                    ctx.responses.push((response, true));
                }
                if ctx.finished_with() {
                    self.entries.remove(id.0);
                    return;
                }
            }
            _ if branch.done => return,
            _ if branch.provisional => {
                self.send_cancel(now, id, b);
                return;
            }
            _ => {
                branch.done = true;
                branch.cancel = CancelState::Wanted;
                if ctx.final_status.is_none() {
                    ctx.responses.push((response, true));
                }
            }
        }
        self.advance(now, id);
    }

    /// No new branch may start, and every pending INVITE branch is cancelled (after a 2xx or
    /// 6xx, a CANCEL from upstream, or the server's own final answer).
    pub(crate) fn close(&mut self, now: Instant, id: RequestId) {
        let Some(ctx) = self.ctx_mut(id) else { return };
        ctx.closed = true;
        ctx.groups.clear();
        if ctx.method != Method::Invite {
            return; // Only INVITE is cancelled (§9.1); other branches just finish.
        }
        let mut now_cancel = Vec::new();
        for (i, br) in ctx.branches.iter_mut().enumerate() {
            if br.done || br.cancel != CancelState::None {
                continue;
            }
            if br.provisional {
                now_cancel.push(i);
            } else {
                br.cancel = CancelState::Wanted;
            }
        }
        for b in now_cancel {
            self.send_cancel(now, id, b);
        }
    }

    /// Sends the CANCEL of one branch (§9.1: same Request-URI, Via branch, Route set as the
    /// branch's INVITE, to the same destination), and waits 64·T1 for the branch's final
    /// response.
    fn send_cancel(&mut self, now: Instant, id: RequestId, b: usize) {
        let wait = self.config.transaction.timeout();
        let Some(branch) = self.ctx_mut(id).and_then(|c| c.branches.get_mut(b)) else {
            return;
        };
        if branch.cancel == CancelState::Sent || branch.client.is_none() {
            return;
        }
        branch.cancel = CancelState::Sent;
        let at = now + wait;
        branch.timer_c = Some(at);
        let (destination, local) = (branch.destination, branch.local);
        let Ok(cancel) = build_cancel(&branch.request) else {
            return;
        };
        self.timers.push(Reverse((at, ProxyTimer::C(id, b))));
        if let Ok(key) = self.tl.start_client(now, cancel, destination) {
            self.cancels.insert(key);
            self.key_local.insert(key.into(), local);
        }
    }

    /// Answers the request with a response the proxy makes itself, and closes it.
    pub(crate) fn answer_synthetic(&mut self, now: Instant, id: RequestId, status: u16) {
        let response = self.synthetic(id, status);
        let Some(ctx) = self.ctx(id) else { return };
        let server = ctx.server;
        if self.tl.respond(now, server, response).is_ok() {
            self.finish(now, id, status);
        }
        self.close(now, id);
    }

    /// A response of the proxy's own to the request, with a fresh To tag.
    pub(crate) fn synthetic(&mut self, id: RequestId, status: u16) -> Response {
        let tag = self.tag();
        match self.ctx(id) {
            Some(ctx) => {
                let mut r = Response::from_request(&ctx.request, status);
                r.set_to_tag(&tag);
                r
            }
            None => Response::new(status),
        }
    }

    /// §16.7 step 6-8: every branch is done and none answered 2xx: choose the best response,
    /// merge the challenges of every 401/407 into it, turn 503 into 500, and send it.
    pub(crate) fn send_best(&mut self, now: Instant, id: RequestId) {
        let Some(ctx) = self.ctx(id) else { return };
        let server = ctx.server;
        let chosen = ctx
            .responses
            .iter()
            .enumerate()
            .min_by_key(|(i, (r, synthetic))| (rank(r.status(), *synthetic), *i))
            .map(|(i, _)| i);
        let Some(i) = chosen else {
            self.answer_synthetic(now, id, 408);
            return;
        };
        let mut best = ctx.responses[i].0.clone();
        let status = best.status();
        if matches!(status, 401 | 407) {
            // Step 7: the caller answers every challenge at once.
            for (j, (r, _)) in ctx.responses.iter().enumerate() {
                if j == i || !matches!(r.status(), 401 | 407) {
                    continue;
                }
                for name in [HeaderName::WwwAuthenticate, HeaderName::ProxyAuthenticate] {
                    for v in r.headers().get_all(name) {
                        best.headers_mut()
                            .push(name, bytes::Bytes::copy_from_slice(v));
                    }
                }
            }
        }
        if status == 503 {
            // Step 6: a 503 upstream would make the caller think this proxy is overloaded.
            self.answer_synthetic(now, id, 500);
            return;
        }
        if self.tl.respond(now, server, best).is_ok() {
            self.finish(now, id, status);
        }
    }
}

/// How good a final non-2xx response is for the caller (§16.7 step 6), smaller is better:
/// any 6xx first; else the lowest class; within a class, responses from the network before
/// the proxy's own (timeouts, errors), then those that let the caller retry (401, 407, 415,
/// 420, 484, as the RFC suggests), then Busy Here and Temporarily Unavailable, which say more
/// about the callee than the rest.
fn rank(status: u16, synthetic: bool) -> (u16, bool, u8) {
    let class = if status >= 600 { 0 } else { status / 100 };
    let preference = match status {
        401 | 407 => 0,
        415 | 420 | 484 => 1,
        486 | 600 => 2,
        480 => 3,
        _ => 4,
    };
    (class, synthetic, preference)
}

#[cfg(test)]
mod tests {
    use super::rank;

    fn best(statuses: &[(u16, bool)]) -> u16 {
        statuses
            .iter()
            .enumerate()
            .min_by_key(|(i, (s, syn))| (rank(*s, *syn), *i))
            .map_or(0, |(_, (s, _))| *s)
    }

    #[test]
    fn selection_follows_16_7_step_6() {
        assert_eq!(best(&[(486, false), (404, false), (503, false)]), 486);
        assert_eq!(best(&[(404, false), (302, false)]), 302);
        assert_eq!(best(&[(404, false), (603, false), (302, false)]), 603);
        assert_eq!(best(&[(408, true), (404, false)]), 404);
        assert_eq!(best(&[(404, false), (407, false)]), 407);
        assert_eq!(best(&[(500, false), (503, true)]), 500);
    }
}
