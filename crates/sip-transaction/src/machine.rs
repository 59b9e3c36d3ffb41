//! The two kinds of client and server machine behind one interface each, for the layer.

use sip_message::{Request, Response};

use crate::client_invite::ClientInvite;
use crate::client_non_invite::ClientNonInvite;
use crate::ctx::Ctx;
use crate::server_invite::ServerInvite;
use crate::server_non_invite::ServerNonInvite;
use crate::timers::TimerTable;
use crate::{ApiError, ClientKey, Peer, ServerKey, Timer, TransactionState};

pub(crate) enum ClientMachine {
    Invite(ClientInvite),
    NonInvite(ClientNonInvite),
}

pub(crate) enum ServerMachine {
    Invite(ServerInvite),
    NonInvite(ServerNonInvite),
}

macro_rules! both {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            Self::Invite($m) => $e,
            Self::NonInvite($m) => $e,
        }
    };
}

impl ClientMachine {
    pub(crate) fn timers(&self) -> &TimerTable {
        both!(self, m => m.timers())
    }

    pub(crate) fn timers_mut(&mut self) -> &mut TimerTable {
        both!(self, m => m.timers_mut())
    }

    pub(crate) fn state(&self) -> Option<TransactionState> {
        both!(self, m => m.state())
    }

    pub(crate) fn is_terminated(&self) -> bool {
        both!(self, m => m.is_terminated())
    }

    pub(crate) fn on_response(&mut self, ctx: &mut Ctx<'_, ClientKey>, response: Response) {
        both!(self, m => m.on_response(ctx, response))
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ClientKey>, timer: Timer) {
        both!(self, m => m.on_timer(ctx, timer))
    }

    pub(crate) fn on_transport_error(&mut self, ctx: &mut Ctx<'_, ClientKey>) {
        both!(self, m => m.on_transport_error(ctx))
    }
}

impl ServerMachine {
    pub(crate) fn timers(&self) -> &TimerTable {
        both!(self, m => m.timers())
    }

    pub(crate) fn timers_mut(&mut self) -> &mut TimerTable {
        both!(self, m => m.timers_mut())
    }

    pub(crate) fn state(&self) -> Option<TransactionState> {
        both!(self, m => m.state())
    }

    pub(crate) fn is_terminated(&self) -> bool {
        both!(self, m => m.is_terminated())
    }

    pub(crate) fn on_retransmission(&mut self, ctx: &mut Ctx<'_, ServerKey>) {
        both!(self, m => m.on_retransmission(ctx))
    }

    pub(crate) fn on_ack(&mut self, ctx: &mut Ctx<'_, ServerKey>, source: Peer, ack: Request) {
        // An ACK is only ever matched to an INVITE transaction (its key says INVITE).
        if let Self::Invite(m) = self {
            m.on_ack(ctx, source, ack);
        }
    }

    pub(crate) fn respond(
        &mut self,
        ctx: &mut Ctx<'_, ServerKey>,
        response: &Response,
    ) -> Result<(), ApiError> {
        both!(self, m => m.respond(ctx, response))
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ServerKey>, timer: Timer) {
        both!(self, m => m.on_timer(ctx, timer))
    }

    pub(crate) fn on_transport_error(&mut self, ctx: &mut Ctx<'_, ServerKey>) {
        both!(self, m => m.on_transport_error(ctx))
    }
}
