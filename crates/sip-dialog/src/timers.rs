//! Timers as data: the dialog layer's timers, a table of deadlines per owner, and the
//! layer-wide queue of wake-ups (the transaction layer keeps its own timers A-M).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::{DialogId, IncomingId, RequestId, SubscriptionId};

/// The dialog layer's timers.
///
/// | Timer                  | Owner        | Meaning                                        | Value                      |
/// |------------------------|--------------|------------------------------------------------|----------------------------|
/// | `Retransmit2xx`        | dialog       | UAS resends its `2xx` to an INVITE (§13.3.1.4) | T1, doubling up to T2      |
/// | `AckWait`              | dialog       | UAS gives up on the ACK and sends BYE          | 64·T1                      |
/// | `SessionRefresh`       | dialog       | the refresher refreshes (RFC 4028 §10)         | SE/2                       |
/// | `SessionExpiry`        | dialog       | no refresh: BYE (RFC 4028 §10)                 | SE − min(32 s, SE/3)       |
/// | `Purge`                | dialog       | a terminated dialog is forgotten               | 64·T1 (0 on reliable)      |
/// | `RetransmitReliable`   | incoming     | UAS resends a reliable `1xx` (RFC 3262 §3)     | T1, doubling               |
/// | `PrackWait`            | incoming     | no PRACK: the INVITE is rejected `5xx`         | 64·T1                      |
/// | `Retry`                | request      | re-send after `491` (§14.1) or Retry-After     | 2.1-4 s / 0-2 s / as asked |
/// | `SubscriptionRefresh`  | subscription | subscriber refreshes before expiry             | expiry − min(32 s, exp/3)  |
/// | `SubscriptionExpiry`   | subscription | the subscription runs out                      | Expires                    |
/// | `NotifyWait`           | subscription | no NOTIFY after the `2xx` (RFC 6665 §4.1.2.4)  | 64·T1                      |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Timer {
    Retransmit2xx,
    AckWait,
    SessionRefresh,
    SessionExpiry,
    Purge,
    RetransmitReliable,
    PrackWait,
    Retry,
    SubscriptionRefresh,
    SubscriptionExpiry,
    NotifyWait,
}

impl Timer {
    const COUNT: usize = 11;
}

/// What a timer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Owner {
    Dialog(DialogId),
    Incoming(IncomingId),
    Request(RequestId),
    Subscription(SubscriptionId),
}

/// The deadlines of one owner, indexed by [`Timer`]. Unset timers are `None`.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable([Option<Instant>; Timer::COUNT]);

impl TimerTable {
    pub(crate) fn get(&self, t: Timer) -> Option<Instant> {
        self.0[t as usize]
    }

    pub(crate) fn set(&mut self, t: Timer, at: Instant) {
        self.0[t as usize] = Some(at);
    }

    pub(crate) fn clear(&mut self, t: Timer) {
        self.0[t as usize] = None;
    }
}

type Entry = Reverse<(Instant, Owner, Timer)>;

/// The layer-wide queue of deadlines. Entries are never removed early: a cleared or re-armed
/// timer's entry stays until it comes due and is then found stale (the owner's table no
/// longer holds that deadline) and skipped.
#[derive(Debug, Default)]
pub(crate) struct Scheduler {
    heap: BinaryHeap<Entry>,
}

impl Scheduler {
    pub(crate) fn push(&mut self, at: Instant, owner: Owner, timer: Timer) {
        self.heap.push(Reverse((at, owner, timer)));
    }

    pub(crate) fn peek(&self) -> Option<(Instant, Owner, Timer)> {
        self.heap.peek().map(|Reverse(e)| *e)
    }

    pub(crate) fn pop(&mut self) -> Option<(Instant, Owner, Timer)> {
        self.heap.pop().map(|Reverse(e)| e)
    }
}
