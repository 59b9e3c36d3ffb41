//! The INVITE server transaction (RFC 3261 §17.2.1, corrected by RFC 6026 §7.1).

use std::time::Duration;

use bytes::Bytes;
use sip_message::{Request, Response};

use crate::ctx::Ctx;
use crate::timers::TimerTable;
use crate::{ApiError, Event, Peer, ServerKey, Timer, TransactionState};

/// An INVITE server transaction.
///
/// ```text
///                               |INVITE
///                               |pass INV to TU
///            INVITE             V send 100 (Config::send_100_trying)
///            send response+-----------+
///                +--------|           |--------+ 101-199 from TU
///                |        | Proceeding|        | send response
///                +------->|           |<-------+
///                         +-----------+
///            300-699 from TU |     |2xx from TU
///            send response   |     |send response
///                            |     +------------------+
///                            |                        |
///            INVITE          V          Timer G fires |
///            send response+-----------+ send response |
///               +---------|           |---------+     |
///               |         | Completed |         |     |
///               +-------->|           |<--------+     |
///                         +-----------+               |
///                            |     |                  |
///                        ACK |     | Timer H fires    |
///                        -   |     | inform TU        |
///                            V     +-----------------------------------+
///                         +-----------+               V                |
///                         |           |         +------------+  INVITE |
///                         | Confirmed |         |            |---+ -   |
///                         |           |         |            |<--+     |
///                         +-----------+         |  Accepted  |---+ ACK |
///                               |               |            |<--+ to TU
///                  Timer I fires|               |            |---+ 2xx from TU
///                  -            |               |            |<--+ send response
///                               |               +------------+         |
///                               |                     | Timer L fires  |
///                               |                     | -              |
///                               V                     V                |
///                         +-------------------------------------+      |
///                         |              Terminated             |<-----+
///                         +-------------------------------------+
///
///   Transport Err. in any other state: inform TU, go to Terminated.
/// ```
///
/// Timer G runs on unreliable transports only (T1, doubling up to T2); Timer I is T4 on
/// unreliable transports and zero on reliable ones. The transaction never retransmits a 2xx
/// itself: the TU does, through [`TransactionLayer::respond`](crate::TransactionLayer::respond),
/// while the transaction is Accepted.
pub(crate) struct ServerInvite {
    state: State,
    timers: TimerTable,
    peer: Peer,
}

enum State {
    /// Waiting for the TU's final response.
    Proceeding {
        /// The last provisional response sent, resent when the INVITE is retransmitted.
        last: Option<Bytes>,
    },
    /// A 300-699 was sent; waiting for the ACK.
    Completed {
        /// The final response, for Timer G and INVITE retransmissions.
        response: Bytes,
        /// The current Timer G interval.
        interval: Duration,
    },
    /// The ACK came; absorbing its retransmissions until Timer I.
    Confirmed,
    /// A 2xx was sent (RFC 6026): INVITE retransmissions are absorbed, ACKs go to the TU, 2xx
    /// retransmissions from the TU go out, until Timer L.
    Accepted,
    Terminated,
}

impl ServerInvite {
    /// Creates the transaction for a new INVITE, sending `trying` (a `100`) if given.
    pub(crate) fn start(ctx: &mut Ctx<'_, ServerKey>, peer: Peer, trying: Option<Bytes>) -> Self {
        if let Some(bytes) = &trying {
            ctx.transmit(peer, bytes.clone());
        }
        ServerInvite {
            state: State::Proceeding { last: trying },
            timers: TimerTable::default(),
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
            State::Proceeding { .. } => TransactionState::Proceeding,
            State::Completed { .. } => TransactionState::Completed,
            State::Confirmed => TransactionState::Confirmed,
            State::Accepted => TransactionState::Accepted,
            State::Terminated => return None,
        })
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    /// The INVITE came again: resend the last response (Proceeding, Completed) or absorb it.
    pub(crate) fn on_retransmission(&mut self, ctx: &mut Ctx<'_, ServerKey>) {
        match &self.state {
            State::Proceeding { last: Some(bytes) }
            | State::Completed {
                response: bytes, ..
            } => {
                ctx.transmit(self.peer, bytes.clone());
            }
            _ => {}
        }
    }

    /// An ACK matched this transaction.
    pub(crate) fn on_ack(&mut self, ctx: &mut Ctx<'_, ServerKey>, source: Peer, ack: Request) {
        match self.state {
            State::Completed { .. } => {
                self.timers.clear(Timer::G);
                self.timers.clear(Timer::H);
                if self.peer.reliable {
                    self.state = State::Terminated;
                } else {
                    ctx.arm(&mut self.timers, Timer::I, ctx.config.t4);
                    self.state = State::Confirmed;
                }
            }
            State::Accepted => ctx.event(Event::Ack {
                key: Some(ctx.key),
                source,
                request: ack,
            }),
            // Absorbed in Confirmed; meaningless before a final response.
            _ => {}
        }
    }

    /// A response from the TU.
    pub(crate) fn respond(
        &mut self,
        ctx: &mut Ctx<'_, ServerKey>,
        response: &Response,
    ) -> Result<(), ApiError> {
        let status = response.status();
        match (&self.state, status) {
            (State::Proceeding { .. }, 100..=199) => {
                let bytes = response.to_bytes();
                ctx.transmit(self.peer, bytes.clone());
                self.state = State::Proceeding { last: Some(bytes) };
            }
            (State::Proceeding { .. }, 200..=299) => {
                ctx.transmit(self.peer, response.to_bytes());
                ctx.arm(&mut self.timers, Timer::L, ctx.config.timeout());
                self.state = State::Accepted;
            }
            (State::Proceeding { .. }, _) => {
                let bytes = response.to_bytes();
                ctx.transmit(self.peer, bytes.clone());
                ctx.arm(&mut self.timers, Timer::H, ctx.config.timeout());
                if !self.peer.reliable {
                    ctx.arm(&mut self.timers, Timer::G, ctx.config.t1);
                }
                self.state = State::Completed {
                    response: bytes,
                    interval: ctx.config.t1,
                };
            }
            (State::Accepted, 200..=299) => ctx.transmit(self.peer, response.to_bytes()),
            (State::Terminated, _) => return Err(ApiError::UnknownTransaction(ctx.key.into())),
            _ => return Err(ApiError::FinalAlreadySent(ctx.key)),
        }
        Ok(())
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ServerKey>, timer: Timer) {
        match (&mut self.state, timer) {
            (State::Completed { response, interval }, Timer::G) => {
                ctx.transmit(self.peer, response.clone());
                *interval = ctx.config.backoff(*interval);
                let next = *interval;
                ctx.arm(&mut self.timers, Timer::G, next);
            }
            (State::Completed { .. }, Timer::H) => {
                self.timers.clear(Timer::G);
                ctx.event(Event::Timeout {
                    key: ctx.key.into(),
                    timer,
                });
                self.state = State::Terminated;
            }
            (State::Confirmed, Timer::I) | (State::Accepted, Timer::L) => {
                self.state = State::Terminated;
            }
            _ => {}
        }
    }

    pub(crate) fn on_transport_error(&mut self, ctx: &mut Ctx<'_, ServerKey>) {
        if !self.is_terminated() {
            ctx.event(Event::TransportError {
                key: ctx.key.into(),
            });
            self.state = State::Terminated;
        }
    }
}
