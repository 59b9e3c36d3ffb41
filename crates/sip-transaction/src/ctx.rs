//! What a state machine may do while it handles an event: send bytes, tell the TU, arm timers.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::timers::{Scheduler, TimerTable};
use crate::{Config, Event, Output, Peer, Timer, TransactionKey, Transmit};

/// The machine's view of the layer during one transition. `K` is the machine's own key type.
pub(crate) struct Ctx<'a, K> {
    pub(crate) now: Instant,
    pub(crate) config: &'a Config,
    pub(crate) key: K,
    pub(crate) out: &'a mut VecDeque<Output>,
    pub(crate) sched: &'a mut Scheduler,
}

impl<K: Copy + Into<TransactionKey>> Ctx<'_, K> {
    /// Queues `bytes` for sending to `to` on behalf of this transaction.
    pub(crate) fn transmit(&mut self, to: Peer, bytes: Bytes) {
        self.out.push_back(Output::Transmit(Transmit {
            destination: to,
            bytes,
            key: Some(self.key.into()),
        }));
    }

    /// Queues an event for the TU.
    pub(crate) fn event(&mut self, event: Event) {
        self.out.push_back(Output::Event(event));
    }

    /// Arms `timer` to fire `after` from now.
    pub(crate) fn arm(&mut self, timers: &mut TimerTable, timer: Timer, after: Duration) {
        let at = self.now + after;
        timers.set(timer, at);
        self.sched.push(at, self.key.into(), timer);
    }
}
