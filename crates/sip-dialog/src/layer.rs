//! The dialog layer: owns the transaction layer, every dialog, request and subscription, and
//! is the one door in and one door out.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use sip_transaction::{
    ClientKey, Event as TxEvent, Output as TxOutput, ServerKey, TransactionKey, TransactionLayer,
};

use crate::dialog::Dialog;
use crate::handle::Arena;
use crate::request::Outgoing;
use crate::subscription::Subscription;
use crate::timers::{Owner, Scheduler, Timer, TimerTable};
use crate::uas::Incoming;
use crate::{
    Config, DialogEvent, DialogId, IncomingId, Input, IpLiteral, NextHop, Output, PeerError,
    RandomSource, RequestId, SubscriptionId,
};

/// The sans-IO SIP dialog layer: the UA core of RFC 3261 §12-14 with reliable provisional
/// responses (RFC 3262), UPDATE (RFC 3311), session timers (RFC 4028), subscriptions
/// (RFC 6665) and REFER (RFC 3515).
///
/// It owns a [`TransactionLayer`] rather than sitting beside it. The dialog layer must see
/// every transaction event (the ACK for a `2xx`, `2xx` retransmissions that outlive the
/// client transaction, CANCELs, timeouts) and must itself send stateless messages (the ACK
/// for a `2xx`) and retransmit responses through the transaction layer; owning it keeps one
/// door in and one door out for the driver, one output queue in the order things happened,
/// and one place that knows the time of the next wake-up. A proxy, which needs transactions
/// but no dialogs, uses the transaction layer alone.
///
/// # Methods, by kind
///
/// - **Inputs**: [`handle_input`](Self::handle_input) for a received message or a transport
///   failure, [`handle_timeout`](Self::handle_timeout) when the time from
///   [`poll_timeout`](Self::poll_timeout) has come.
/// - **Commands** from the application: [`invite`](Self::invite), [`cancel`](Self::cancel),
///   [`answer`](Self::answer), [`ack`](Self::ack), [`prack`](Self::prack), [`bye`](Self::bye),
///   [`reinvite`](Self::reinvite), [`update`](Self::update), [`request`](Self::request),
///   [`subscribe`](Self::subscribe), [`subscribe_in_dialog`](Self::subscribe_in_dialog),
///   [`refresh_subscription`](Self::refresh_subscription),
///   [`unsubscribe`](Self::unsubscribe), [`notify`](Self::notify), [`refer`](Self::refer),
///   [`notify_refer`](Self::notify_refer).
/// - **Outputs**: [`poll_output`](Self::poll_output) and [`poll_timeout`](Self::poll_timeout).
/// - **Getters**: [`dialog`](Self::dialog), [`subscription`](Self::subscription),
///   [`dialog_count`](Self::dialog_count), [`transactions`](Self::transactions),
///   [`config`](Self::config).
///
/// # Call order
///
/// After every input or command, drain [`poll_output`](Self::poll_output) until it returns
/// `None` (send each transmit, hand each event to the application, which may issue commands
/// while draining), then sleep until [`poll_timeout`](Self::poll_timeout) and call
/// [`handle_timeout`](Self::handle_timeout) with the time then. The layer never reads a
/// clock: every method that can act takes `now`.
pub struct DialogLayer {
    pub(crate) cfg: Config,
    pub(crate) tx: TransactionLayer,
    pub(crate) rng: Box<dyn RandomSource>,
    pub(crate) resolver: Box<dyn NextHop>,
    pub(crate) dialogs: Arena<Dialog>,
    /// Call-ID, local tag, remote tag -> dialog.
    pub(crate) dialog_index: HashMap<Box<str>, DialogId>,
    pub(crate) requests: Arena<Outgoing>,
    pub(crate) by_client: HashMap<ClientKey, RequestId>,
    pub(crate) incoming: Arena<Incoming>,
    pub(crate) by_server: HashMap<ServerKey, IncomingId>,
    pub(crate) subs: Arena<Subscription>,
    /// Call-ID and local tag of SUBSCRIBEs and REFERs sent outside a dialog, so that a NOTIFY
    /// arriving before the `2xx` finds its subscription (RFC 6665 §4.1.2.4).
    pub(crate) pending_subs: HashMap<Box<str>, SubscriptionId>,
    /// Call-ID, From tag and CSeq of requests received outside a dialog and not yet answered,
    /// to detect merged requests (§8.2.2.2).
    pub(crate) merged: HashMap<Box<str>, IncomingId>,
    pub(crate) sched: Scheduler,
    pub(crate) out: VecDeque<Output>,
    pub(crate) counter: u64,
    pub(crate) scratch: String,
}

impl std::fmt::Debug for DialogLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialogLayer")
            .field("dialogs", &self.dialogs.len())
            .field("requests", &self.requests.len())
            .field("incoming", &self.incoming.len())
            .field("subscriptions", &self.subs.len())
            .field("transactions", &self.tx)
            .finish_non_exhaustive()
    }
}

impl DialogLayer {
    /// An empty layer. `random` supplies tags, branches, Call-IDs and the glare retry delays.
    /// Next hops are resolved with [`IpLiteral`] until [`set_next_hop`](Self::set_next_hop).
    pub fn new(config: Config, random: Box<dyn RandomSource>) -> Self {
        DialogLayer {
            tx: TransactionLayer::new(config.transaction.clone()),
            cfg: config,
            rng: random,
            resolver: Box::new(IpLiteral),
            dialogs: Arena::default(),
            dialog_index: HashMap::new(),
            requests: Arena::default(),
            by_client: HashMap::new(),
            incoming: Arena::default(),
            by_server: HashMap::new(),
            subs: Arena::default(),
            pending_subs: HashMap::new(),
            merged: HashMap::new(),
            sched: Scheduler::default(),
            out: VecDeque::new(),
            counter: 0,
            scratch: String::with_capacity(128),
        }
    }

    /// Replaces the next-hop resolver.
    pub fn set_next_hop(&mut self, resolver: Box<dyn NextHop>) {
        self.resolver = resolver;
    }

    // ----- Getters -----

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The transaction layer underneath (read-only: for statistics and tests).
    pub fn transactions(&self) -> &TransactionLayer {
        &self.tx
    }

    /// The number of dialogs held, terminated ones included until they are forgotten.
    pub fn dialog_count(&self) -> usize {
        self.dialogs.len()
    }

    // ----- Inputs -----

    /// Takes a received message or a transport failure.
    ///
    /// Returns an error, and changes nothing, if the transaction layer cannot match the
    /// message (no top Via, a CSeq that does not name the method...).
    pub fn handle_input(&mut self, input: Input) -> Result<(), PeerError> {
        let now = match &input {
            Input::Received { now, .. } | Input::TransportError { now, .. } => *now,
        };
        let tx_input = match input {
            Input::Received {
                now,
                source,
                message,
            } => sip_transaction::Input::Received {
                now,
                source,
                message,
            },
            Input::TransportError { now, key } => {
                sip_transaction::Input::TransportError { now, key }
            }
        };
        let result = self.tx.handle_input(tx_input);
        self.pump(now);
        result.map_err(PeerError::from)
    }

    /// Fires every timer due at `now`, the transaction layer's and the dialog layer's. Call it
    /// when the time from [`poll_timeout`](Self::poll_timeout) has come (early or late is
    /// harmless).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tx.handle_timeout(now);
        self.pump(now);
        while let Some((at, owner, timer)) = self.sched.peek() {
            if at > now {
                break;
            }
            self.sched.pop();
            if self.timer_table(owner).and_then(|t| t.get(timer)) != Some(at) {
                continue; // Cleared or re-armed since.
            }
            if let Some(t) = self.timer_table_mut(owner) {
                t.clear(timer);
            }
            self.fire(now, owner, timer);
            self.pump(now);
        }
    }

    // ----- Outputs -----

    /// The next thing to do, in the order it happened; `None` when there is nothing left.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called, if any timer runs.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let own = loop {
            let Some((at, owner, timer)) = self.sched.peek() else {
                break None;
            };
            if self.timer_table(owner).and_then(|t| t.get(timer)) == Some(at) {
                break Some(at);
            }
            self.sched.pop();
        };
        match (own, self.tx.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ----- Internals -----

    pub(crate) fn emit(&mut self, event: DialogEvent) {
        self.out.push_back(Output::Event(event));
    }

    /// Moves the transaction layer's outputs to ours, acting on its events.
    pub(crate) fn pump(&mut self, now: Instant) {
        while let Some(o) = self.tx.poll_output() {
            match o {
                TxOutput::Transmit(t) => self.out.push_back(Output::Transmit(t)),
                TxOutput::Event(e) => self.on_tx_event(now, e),
            }
        }
    }

    fn on_tx_event(&mut self, now: Instant, event: TxEvent) {
        match event {
            TxEvent::NewRequest {
                key,
                source,
                request,
            } => self.on_request(now, key, source, request),
            TxEvent::CancelRequest {
                cancel_key,
                invite_key,
                request,
                ..
            } => self.on_cancel(now, cancel_key, invite_key, &request),
            TxEvent::Ack { request, .. } => self.on_ack(now, request),
            TxEvent::Response { key, response } => {
                if let Some(&rid) = self.by_client.get(&key) {
                    self.on_response(now, rid, response);
                }
            }
            TxEvent::StrayResponse { response, .. } => self.on_stray_response(now, &response),
            TxEvent::Timeout {
                key: TransactionKey::Client(key),
                ..
            }
            | TxEvent::TransportError {
                key: TransactionKey::Client(key),
            } => {
                if let Some(&rid) = self.by_client.get(&key) {
                    self.on_request_failed(now, rid);
                }
            }
            TxEvent::Terminated {
                key: TransactionKey::Client(key),
            } => self.on_client_terminated(now, key),
            TxEvent::Terminated {
                key: TransactionKey::Server(key),
            } => self.on_server_terminated(key),
            // A server transaction timing out (Timer H: no ACK for a non-2xx) or failing to
            // send needs nothing from the UA core.
            _ => {}
        }
    }

    // ----- Timers -----

    fn timer_table(&self, owner: Owner) -> Option<&TimerTable> {
        match owner {
            Owner::Dialog(d) => self.dialogs.get(d.0).map(|d| &d.timers),
            Owner::Incoming(i) => self.incoming.get(i.0).map(|i| &i.timers),
            Owner::Request(r) => self.requests.get(r.0).map(|r| &r.timers),
            Owner::Subscription(s) => self.subs.get(s.0).map(|s| &s.timers),
        }
    }

    fn timer_table_mut(&mut self, owner: Owner) -> Option<&mut TimerTable> {
        match owner {
            Owner::Dialog(d) => self.dialogs.get_mut(d.0).map(|d| &mut d.timers),
            Owner::Incoming(i) => self.incoming.get_mut(i.0).map(|i| &mut i.timers),
            Owner::Request(r) => self.requests.get_mut(r.0).map(|r| &mut r.timers),
            Owner::Subscription(s) => self.subs.get_mut(s.0).map(|s| &mut s.timers),
        }
    }

    /// Arms `timer` of `owner` to fire at `at`.
    pub(crate) fn arm(&mut self, owner: Owner, timer: Timer, at: Instant) {
        if let Some(t) = self.timer_table_mut(owner) {
            t.set(timer, at);
            self.sched.push(at, owner, timer);
        }
    }

    /// Stops `timer` of `owner`.
    pub(crate) fn disarm(&mut self, owner: Owner, timer: Timer) {
        if let Some(t) = self.timer_table_mut(owner) {
            t.clear(timer);
        }
    }

    fn fire(&mut self, now: Instant, owner: Owner, timer: Timer) {
        match (owner, timer) {
            (Owner::Dialog(d), Timer::Retransmit2xx) => self.on_retransmit_2xx(now, d),
            (Owner::Dialog(d), Timer::AckWait) => self.on_ack_wait(now, d),
            (Owner::Dialog(d), Timer::SessionRefresh) => self.on_session_refresh(now, d),
            (Owner::Dialog(d), Timer::SessionExpiry) => self.on_session_expiry(now, d),
            (Owner::Dialog(d), Timer::Purge) => self.purge_dialog(d),
            (Owner::Incoming(i), Timer::RetransmitReliable) => self.on_retransmit_reliable(now, i),
            (Owner::Incoming(i), Timer::PrackWait) => self.on_prack_wait(now, i),
            (Owner::Request(r), Timer::Retry) => self.on_retry(now, r),
            (Owner::Subscription(s), Timer::SubscriptionRefresh) => {
                self.on_subscription_refresh(now, s)
            }
            (Owner::Subscription(s), Timer::SubscriptionExpiry) => {
                self.on_subscription_expiry(now, s)
            }
            (Owner::Subscription(s), Timer::NotifyWait) => self.on_notify_wait(now, s),
            _ => {}
        }
    }

    // ----- Identifiers -----

    /// A fresh token: 64 random bits and a counter, so that even a constant random source
    /// (in tests) gives distinct tags and branches.
    pub(crate) fn token(&mut self) -> String {
        self.counter += 1;
        format!("{:x}{:x}", self.rng.next_u64() & 0xffff_ffff, self.counter)
    }

    /// A Via branch with the RFC 3261 magic cookie.
    pub(crate) fn branch(&mut self) -> String {
        format!("{}{}", sip_message::header::BRANCH_MAGIC, self.token())
    }

    /// A random number in `0..n` (`n` > 0).
    pub(crate) fn random_below(&mut self, n: u64) -> u64 {
        self.rng.next_u64() % n.max(1)
    }
}
