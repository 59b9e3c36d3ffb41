//! The non-INVITE client transaction (RFC 3261 §17.1.2).

use std::time::Duration;

use bytes::Bytes;
use sip_message::Response;

use crate::ctx::Ctx;
use crate::timers::TimerTable;
use crate::{ClientKey, Event, Peer, Timer, TransactionState};

/// A non-INVITE client transaction.
///
/// ```text
///                                |Request from TU
///                                |send request
///            Timer E             V
///            send request  +-----------+
///                +---------|           |-------------------+
///                |         |  Trying   |  Timer F          |
///                +-------->|           |  or Transport Err.|
///                          +-----------+  inform TU        |
///             200-699         |  |                         |
///             resp. to TU     |  |1xx                      |
///             +---------------+  |resp. to TU              |
///             |                  |                         |
///             |   Timer E        V       Timer F           |
///             |   send req +-----------+ or Transport Err. |
///             |  +---------|           | inform TU         |
///             |  |         |Proceeding |------------------>|
///             |  +-------->|           |-----+             |
///             |            +-----------+     |1xx          |
///             |              |      ^        |resp to TU   |
///             | 200-699      |      +--------+             |
///             | resp. to TU  |                             |
///             |              V                             |
///             |            +-----------+                   |
///             |            |           |                   |
///             |            | Completed |                   |
///             |            |           |                   |
///             |            +-----------+                   |
///             |              ^   |                         |
///             |              |   | Timer K                 |
///             +--------------+   | -                       |
///                                V                         |
///                          +-----------+                   |
///                          | Terminated|<------------------+
///                          +-----------+
/// ```
///
/// Timer E runs on unreliable transports only: T1, doubling up to T2 in Trying, T2 in
/// Proceeding. Timer K is T4 on unreliable transports and zero on reliable ones.
pub(crate) struct ClientNonInvite {
    state: State,
    timers: TimerTable,
    peer: Peer,
}

enum State {
    /// The request was sent and nothing came back yet.
    Trying {
        /// The request as sent, for Timer E retransmissions.
        wire: Bytes,
        /// The current Timer E interval.
        interval: Duration,
    },
    /// A provisional response came back; retransmissions continue every T2.
    Proceeding {
        /// The request as sent.
        wire: Bytes,
    },
    /// A final response came back; its retransmissions are absorbed until Timer K.
    Completed,
    Terminated,
}

impl ClientNonInvite {
    /// Sends the request and arms Timers E (unreliable only) and F.
    pub(crate) fn start(ctx: &mut Ctx<'_, ClientKey>, wire: Bytes, peer: Peer) -> Self {
        ctx.transmit(peer, wire.clone());
        let mut timers = TimerTable::default();
        ctx.arm(&mut timers, Timer::F, ctx.config.timeout());
        if !peer.reliable {
            ctx.arm(&mut timers, Timer::E, ctx.config.t1);
        }
        ClientNonInvite {
            state: State::Trying {
                wire,
                interval: ctx.config.t1,
            },
            timers,
            peer,
        }
    }

    pub(crate) fn timers(&self) -> &TimerTable {
        &self.timers
    }

    pub(crate) fn timers_mut(&mut self) -> &mut TimerTable {
        &mut self.timers
    }

    pub(crate) fn state(&self) -> Option<TransactionState> {
        Some(match self.state {
            State::Trying { .. } => TransactionState::Trying,
            State::Proceeding { .. } => TransactionState::Proceeding,
            State::Completed => TransactionState::Completed,
            State::Terminated => return None,
        })
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    pub(crate) fn on_response(&mut self, ctx: &mut Ctx<'_, ClientKey>, response: Response) {
        let key = ctx.key;
        let provisional = response.status() < 200;
        self.state = match std::mem::replace(&mut self.state, State::Terminated) {
            State::Trying { wire, .. } | State::Proceeding { wire } if provisional => {
                ctx.event(Event::Response { key, response });
                State::Proceeding { wire }
            }
            State::Trying { .. } | State::Proceeding { .. } => {
                self.timers.clear(Timer::E);
                self.timers.clear(Timer::F);
                ctx.event(Event::Response { key, response });
                if self.peer.reliable {
                    State::Terminated
                } else {
                    ctx.arm(&mut self.timers, Timer::K, ctx.config.t4);
                    State::Completed
                }
            }
            State::Completed => State::Completed,
            State::Terminated => State::Terminated,
        };
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ClientKey>, timer: Timer) {
        match (&mut self.state, timer) {
            (State::Trying { wire, interval }, Timer::E) => {
                ctx.transmit(self.peer, wire.clone());
                *interval = ctx.config.backoff(*interval);
                let next = *interval;
                ctx.arm(&mut self.timers, Timer::E, next);
            }
            (State::Proceeding { wire }, Timer::E) => {
                ctx.transmit(self.peer, wire.clone());
                ctx.arm(&mut self.timers, Timer::E, ctx.config.t2);
            }
            (State::Trying { .. } | State::Proceeding { .. }, Timer::F) => {
                ctx.event(Event::Timeout {
                    key: ctx.key.into(),
                    timer,
                });
                self.state = State::Terminated;
            }
            (State::Completed, Timer::K) => self.state = State::Terminated,
            _ => {}
        }
    }

    pub(crate) fn on_transport_error(&mut self, ctx: &mut Ctx<'_, ClientKey>) {
        if !self.is_terminated() {
            ctx.event(Event::TransportError {
                key: ctx.key.into(),
            });
            self.state = State::Terminated;
        }
    }
}
