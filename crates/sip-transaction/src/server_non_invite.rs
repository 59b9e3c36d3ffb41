//! The non-INVITE server transaction (RFC 3261 §17.2.2).

use bytes::Bytes;
use sip_message::Response;

use crate::ctx::Ctx;
use crate::timers::TimerTable;
use crate::{ApiError, Event, Peer, ServerKey, Timer, TransactionState};

/// A non-INVITE server transaction.
///
/// ```text
///                                   |Request received
///                                   |pass to TU
///                                   V
///                             +-----------+
///                             |           |
///                             | Trying    |-------------+
///                             |           |             |
///                             +-----------+             |200-699 from TU
///                                   |                   |send response
///                                   |1xx from TU        |
///                                   |send response      |
///                                   |                   |
///                Request            V      1xx from TU  |
///                send response+-----------+send response|
///                    +--------|           |--------+    |
///                    |        | Proceeding|        |    |
///                    +------->|           |<-------+    |
///             +<--------------|           |             |
///             |Trnsprt Err    +-----------+             |
///             |Inform TU            |                   |
///             |                     |                   |
///             |                     |200-699 from TU    |
///             |                     |send response      |
///             |  Request            V                   |
///             |  send response+-----------+             |
///             |      +--------|           |             |
///             |      |        | Completed |<------------+
///             |      +------->|           |
///             +<--------------|           |
///             |Trnsprt Err    +-----------+
///             |Inform TU            |
///             |                     |Timer J fires
///             |                     |-
///             |                     |
///             |                     V
///             |               +-----------+
///             |               |           |
///             +-------------->| Terminated|
///                             |           |
///                             +-----------+
/// ```
///
/// Retransmissions of the request are absorbed in Trying and answered with the last response
/// afterwards. Timer J is 64·T1 on unreliable transports and zero on reliable ones.
pub(crate) struct ServerNonInvite {
    state: State,
    timers: TimerTable,
    peer: Peer,
}

enum State {
    /// Waiting for the TU; retransmissions are discarded.
    Trying,
    /// A provisional response was sent.
    Proceeding {
        /// The last provisional response, resent on retransmissions.
        last: Bytes,
    },
    /// The final response was sent; it is resent on retransmissions until Timer J.
    Completed {
        /// The final response.
        last: Bytes,
    },
    Terminated,
}

impl ServerNonInvite {
    pub(crate) fn start(peer: Peer) -> Self {
        ServerNonInvite {
            state: State::Trying,
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
            State::Trying => TransactionState::Trying,
            State::Proceeding { .. } => TransactionState::Proceeding,
            State::Completed { .. } => TransactionState::Completed,
            State::Terminated => return None,
        })
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    pub(crate) fn on_retransmission(&mut self, ctx: &mut Ctx<'_, ServerKey>) {
        if let State::Proceeding { last } | State::Completed { last } = &self.state {
            ctx.transmit(self.peer, last.clone());
        }
    }

    pub(crate) fn respond(
        &mut self,
        ctx: &mut Ctx<'_, ServerKey>,
        response: &Response,
    ) -> Result<(), ApiError> {
        match self.state {
            State::Trying | State::Proceeding { .. } => {
                let last = response.to_bytes();
                ctx.transmit(self.peer, last.clone());
                self.state = if response.status() < 200 {
                    State::Proceeding { last }
                } else if self.peer.reliable {
                    State::Terminated
                } else {
                    ctx.arm(&mut self.timers, Timer::J, ctx.config.timeout());
                    State::Completed { last }
                };
                Ok(())
            }
            State::Completed { .. } => Err(ApiError::FinalAlreadySent(ctx.key)),
            State::Terminated => Err(ApiError::UnknownTransaction(ctx.key.into())),
        }
    }

    pub(crate) fn on_timer(&mut self, _ctx: &mut Ctx<'_, ServerKey>, timer: Timer) {
        if let (State::Completed { .. }, Timer::J) = (&self.state, timer) {
            self.state = State::Terminated;
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
