//! Dialogs (RFC 3261 §12): their identity and state, the in-dialog request builder, and the
//! life cycle shared by every usage.

use std::time::Instant;

use sip_message::{HeaderName, Method, Request, Uri};
use sip_transaction::Peer;

use crate::command::{Body, ExtraHeaders};
use crate::invite::InviteUsage;
use crate::route;
use crate::session_timer::SessionTimer;
use crate::timers::{Owner, Timer, TimerTable};
use crate::{
    ApiError, DialogEvent, DialogId, DialogLayer, DialogState, RequestId, SubscriptionId,
    TerminationReason,
};

/// The methods this layer answers; sent in Allow.
pub(crate) const ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, SUBSCRIBE, NOTIFY, REFER, INFO, OPTIONS, MESSAGE";

/// One dialog and the usages sharing it.
pub(crate) struct Dialog {
    pub(crate) call_id: Box<str>,
    pub(crate) local_tag: Box<str>,
    pub(crate) remote_tag: Box<str>,
    /// Our From (requests we send) / To (responses), without tag.
    pub(crate) local_uri: Box<str>,
    /// The peer's, without tag.
    pub(crate) remote_uri: Box<str>,
    /// The last CSeq number we used; `None` until our first request (§12.1.1).
    pub(crate) local_seq: Option<u32>,
    /// The last CSeq number the peer used; `None` until its first request (§12.1.2).
    pub(crate) remote_seq: Option<u32>,
    pub(crate) remote_target: Box<str>,
    pub(crate) route_set: Vec<Box<str>>,
    pub(crate) secure: bool,
    /// We sent the request that created the dialog, so we own the Call-ID (§14.1).
    pub(crate) caller: bool,
    pub(crate) state: DialogState,
    /// Where the dialog-creating message came from or went to: the fallback next hop.
    pub(crate) peer: Peer,
    pub(crate) invite: Option<InviteUsage>,
    pub(crate) subscriptions: Vec<SubscriptionId>,
    pub(crate) session: Option<SessionTimer>,
    pub(crate) peer_allows_update: bool,
    /// The last session description we sent, for refresh re-INVITEs (RFC 4028).
    pub(crate) last_local_body: Option<Body>,
    pub(crate) timers: TimerTable,
}

/// The identifying fields a new dialog starts from.
pub(crate) struct DialogSeed {
    pub(crate) call_id: Box<str>,
    pub(crate) local_tag: Box<str>,
    pub(crate) remote_tag: Box<str>,
    pub(crate) local_uri: Box<str>,
    pub(crate) remote_uri: Box<str>,
    pub(crate) local_seq: Option<u32>,
    pub(crate) remote_seq: Option<u32>,
    pub(crate) remote_target: Box<str>,
    pub(crate) route_set: Vec<Box<str>>,
    pub(crate) secure: bool,
    pub(crate) caller: bool,
    pub(crate) peer: Peer,
    pub(crate) state: DialogState,
    pub(crate) invite: bool,
    /// Report the new dialog's state.
    pub(crate) report: bool,
}

/// Writes the dialog index key.
pub(crate) fn index_key(buf: &mut String, call_id: &str, local_tag: &str, remote_tag: &str) {
    buf.clear();
    buf.push_str(call_id);
    buf.push('\0');
    buf.push_str(local_tag);
    buf.push('\0');
    buf.push_str(remote_tag);
}

/// A read-only view of a dialog, from [`DialogLayer::dialog`].
#[derive(Debug, Clone, Copy)]
pub struct DialogView<'a> {
    d: &'a Dialog,
}

impl std::fmt::Debug for Dialog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialog")
            .field("call_id", &self.call_id)
            .field("local_tag", &self.local_tag)
            .field("remote_tag", &self.remote_tag)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<'a> DialogView<'a> {
    /// The dialog's state.
    pub fn state(&self) -> DialogState {
        self.d.state
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &'a str {
        &self.d.call_id
    }

    /// Our tag.
    pub fn local_tag(&self) -> &'a str {
        &self.d.local_tag
    }

    /// The peer's tag.
    pub fn remote_tag(&self) -> &'a str {
        &self.d.remote_tag
    }

    /// Our URI (name-addr, without tag).
    pub fn local_uri(&self) -> &'a str {
        &self.d.local_uri
    }

    /// The peer's URI (name-addr, without tag).
    pub fn remote_uri(&self) -> &'a str {
        &self.d.remote_uri
    }

    /// The last CSeq number we sent, if any.
    pub fn local_seq(&self) -> Option<u32> {
        self.d.local_seq
    }

    /// The last CSeq number the peer sent, if any.
    pub fn remote_seq(&self) -> Option<u32> {
        self.d.remote_seq
    }

    /// Where in-dialog requests go (the peer's Contact).
    pub fn remote_target(&self) -> &'a str {
        &self.d.remote_target
    }

    /// The route set, in the order Route headers are written.
    pub fn route_set(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.d.route_set.iter().map(|r| &**r)
    }

    /// Whether the dialog is secure (created over TLS with a `sips:` Request-URI, §12.1).
    pub fn secure(&self) -> bool {
        self.d.secure
    }

    /// Whether we sent the request that created the dialog (and own its Call-ID).
    pub fn is_caller(&self) -> bool {
        self.d.caller
    }

    /// Whether an INVITE usage (a session) lives in the dialog.
    pub fn has_session(&self) -> bool {
        self.d.invite.is_some()
    }

    /// The subscriptions living in the dialog.
    pub fn subscriptions(&self) -> impl Iterator<Item = SubscriptionId> + 'a {
        self.d.subscriptions.iter().copied()
    }

    /// The negotiated session interval (RFC 4028) in seconds and whether we refresh it.
    pub fn session_timer(&self) -> Option<(u32, bool)> {
        self.d
            .session
            .as_ref()
            .map(|s| (s.interval, s.local_refresher))
    }
}

/// Whether a method refreshes the remote target (§12.2, RFC 6665 §4.1.2, RFC 3311).
pub(crate) fn is_target_refresh(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
    )
}

impl DialogLayer {
    /// A view of a dialog, or `None` if the handle names nothing (never existed, or forgotten
    /// after termination).
    pub fn dialog(&self, id: DialogId) -> Option<DialogView<'_>> {
        self.dialogs.get(id.0).map(|d| DialogView { d })
    }

    pub(crate) fn find_dialog(
        &mut self,
        call_id: &str,
        local_tag: &str,
        remote_tag: &str,
    ) -> Option<DialogId> {
        index_key(&mut self.scratch, call_id, local_tag, remote_tag);
        self.dialog_index.get(self.scratch.as_str()).copied()
    }

    /// Creates a dialog and reports its state.
    pub(crate) fn create_dialog(&mut self, seed: DialogSeed) -> DialogId {
        let mut key = String::new();
        index_key(&mut key, &seed.call_id, &seed.local_tag, &seed.remote_tag);
        let state = seed.state;
        let h = self.dialogs.insert(Dialog {
            call_id: seed.call_id,
            local_tag: seed.local_tag,
            remote_tag: seed.remote_tag,
            local_uri: seed.local_uri,
            remote_uri: seed.remote_uri,
            local_seq: seed.local_seq,
            remote_seq: seed.remote_seq,
            remote_target: seed.remote_target,
            route_set: seed.route_set,
            secure: seed.secure,
            caller: seed.caller,
            state,
            peer: seed.peer,
            invite: seed.invite.then(InviteUsage::default),
            subscriptions: Vec::new(),
            session: None,
            peer_allows_update: false,
            last_local_body: None,
            timers: TimerTable::default(),
        });
        let id = DialogId(h);
        self.dialog_index.insert(key.into_boxed_str(), id);
        if seed.report {
            self.emit(DialogEvent::DialogState { dialog: id, state });
        }
        id
    }

    /// Moves a dialog to `state` and reports it. Terminating a dialog stops its timers, ends
    /// its subscriptions, and forgets it after 64·T1 (so that late retransmissions still find
    /// it).
    pub(crate) fn set_dialog_state(&mut self, now: Instant, id: DialogId, state: DialogState) {
        let Some(d) = self.dialogs.get_mut(id.0) else {
            return;
        };
        if d.state == state || matches!(d.state, DialogState::Terminated(_)) {
            return;
        }
        d.state = state;
        self.emit(DialogEvent::DialogState { dialog: id, state });
        if let DialogState::Terminated(_) = state {
            let subs = self
                .dialogs
                .get_mut(id.0)
                .map(|d| {
                    d.timers = TimerTable::default();
                    d.session = None;
                    if let Some(inv) = &mut d.invite {
                        inv.awaiting_ack = None;
                    }
                    std::mem::take(&mut d.subscriptions)
                })
                .unwrap_or_default();
            for s in subs {
                self.terminate_subscription(now, s, crate::SubscriptionEnd::DialogEnded);
            }
            let purge = now + self.cfg.timeout();
            self.arm(Owner::Dialog(id), Timer::Purge, purge);
        }
    }

    /// Whether the dialog exists and is not terminated.
    pub(crate) fn is_live(&self, id: DialogId) -> bool {
        self.dialogs
            .get(id.0)
            .is_some_and(|d| !matches!(d.state, DialogState::Terminated(_)))
    }

    pub(crate) fn live_dialog(&self, id: DialogId) -> Result<&Dialog, ApiError> {
        self.dialogs
            .get(id.0)
            .filter(|d| !matches!(d.state, DialogState::Terminated(_)))
            .ok_or(ApiError::UnknownDialog(id))
    }

    /// Forgets a terminated dialog.
    pub(crate) fn purge_dialog(&mut self, id: DialogId) {
        if let Some(d) = self.dialogs.remove(id.0) {
            index_key(&mut self.scratch, &d.call_id, &d.local_tag, &d.remote_tag);
            if self.dialog_index.get(self.scratch.as_str()) == Some(&id) {
                self.dialog_index.remove(self.scratch.as_str());
            }
        }
    }

    /// Ends a subscription usage; the dialog ends with it if it was the last usage.
    pub(crate) fn remove_subscription_usage(
        &mut self,
        now: Instant,
        id: DialogId,
        sub: SubscriptionId,
    ) {
        let Some(d) = self.dialogs.get_mut(id.0) else {
            return;
        };
        d.subscriptions.retain(|s| *s != sub);
        if d.invite.is_none() && d.subscriptions.is_empty() {
            self.set_dialog_state(
                now,
                id,
                DialogState::Terminated(TerminationReason::UsagesEnded),
            );
        }
    }

    /// Builds a request within a dialog (§12.2.1.1) and picks its next hop. `cseq` is the
    /// CSeq number to use (ACK and CANCEL reuse the INVITE's); without it the local sequence
    /// number is incremented.
    pub(crate) fn build_in_dialog(
        &mut self,
        id: DialogId,
        method: Method,
        cseq: Option<u32>,
        body: Option<&Body>,
        extra: &ExtraHeaders,
    ) -> Result<(Request, Peer), ApiError> {
        let branch = self.branch();
        let d = self
            .dialogs
            .get_mut(id.0)
            .ok_or(ApiError::UnknownDialog(id))?;
        let seq = match cseq {
            Some(n) => n,
            None => {
                let n = d.local_seq.map_or(1, |s| s.wrapping_add(1));
                d.local_seq = Some(n);
                n
            }
        };
        let target = route::target(&d.route_set, &d.remote_target);
        let hop = Uri::parse(&target.next_hop)
            .ok()
            .and_then(|u| self.resolver.next_hop(&u))
            .unwrap_or(d.peer);
        let mut b = Request::builder(method.clone(), target.request_uri)
            .via(hop.transport.as_str(), &self.cfg.sent_by, &branch)
            .max_forwards(self.cfg.max_forwards);
        for r in &target.routes {
            b = b.header(HeaderName::Route, r.clone());
        }
        b = b
            .from(&d.local_uri, &d.local_tag)
            .to_with_tag(&d.remote_uri, &d.remote_tag)
            .call_id(&d.call_id)
            .header(HeaderName::CSeq, format!("{seq} {method}"));
        if is_target_refresh(&method) {
            b = b.contact(&contact(&self.cfg.contact, d.secure));
        }
        for (name, value) in extra {
            b = b.header(*name, value.clone());
        }
        if let Some(body) = body {
            b = b.body(body.content_type(), body.bytes().clone());
        }
        Ok((b.build(), hop))
    }

    /// Builds and sends a request within a dialog as a new client transaction.
    pub(crate) fn send_in_dialog(
        &mut self,
        now: Instant,
        id: DialogId,
        method: Method,
        (body, extra): (Option<&Body>, &ExtraHeaders),
        purpose: crate::request::Purpose,
        visible: bool,
    ) -> Result<RequestId, ApiError> {
        let (req, hop) = self.build_in_dialog(id, method, None, body, extra)?;
        if let Some(b) = body {
            if b.content_type().eq_ignore_ascii_case("application/sdp") {
                if let Some(d) = self.dialogs.get_mut(id.0) {
                    d.last_local_body = Some(b.clone());
                }
            }
        }
        let spec = crate::request::Spec {
            body: body.cloned(),
            extra: extra.clone(),
        };
        let rid = self.start_request(now, req, hop, purpose, Some(id), visible)?;
        if let Some(o) = self.requests.get_mut(rid.0) {
            o.spec = Some(spec);
        }
        Ok(rid)
    }
}

/// The Contact value for our URI, `sips:` in a secure dialog.
pub(crate) fn contact(uri: &str, secure: bool) -> String {
    if secure {
        if let Some(rest) = uri.strip_prefix("sip:") {
            return format!("<sips:{rest}>");
        }
    }
    format!("<{uri}>")
}
