//! What goes into the layer and what comes out of it.

use std::time::{Duration, Instant};

use sip_message::{Message, Request, Response};
use sip_transaction::{Peer, TransactionKey, Transmit};

use crate::{DialogId, IncomingId, RequestId, SubscriptionId};

/// Something that happened outside the layer, given to
/// [`DialogLayer::handle_input`](crate::DialogLayer::handle_input).
#[derive(Debug)]
#[non_exhaustive]
pub enum Input {
    /// A parsed message arrived from the network.
    Received {
        /// The current time.
        now: Instant,
        /// Who sent it, and over what.
        source: Peer,
        /// The message.
        message: Message,
    },
    /// The transport failed to send a [`Transmit`] that carried this key.
    TransportError {
        /// The current time.
        now: Instant,
        /// The transaction named by the failed [`Transmit`].
        key: TransactionKey,
    },
}

/// Something for the driver to do, from
/// [`DialogLayer::poll_output`](crate::DialogLayer::poll_output).
#[derive(Debug, Clone)]
pub enum Output {
    /// Send bytes.
    Transmit(Transmit),
    /// Tell the application.
    Event(DialogEvent),
}

/// The state of a dialog, as [`DialogEvent::DialogState`] reports it.
///
/// ```text
///                         1xx with To tag
///     (INVITE sent or  -------------------->  +-------+
///      received)                               | Early |----+ 1xx, PRACK, UPDATE
///           |                                  +-------+<---+
///           | 2xx (INVITE, SUBSCRIBE,              |  \
///           |      REFER), NOTIFY                 2xx  \ 3xx-6xx, CANCEL, INVITE
///           V                                      V    \ transaction ended
///     +-----------+ <------------------------------+     \
///     | Confirmed |----+ re-INVITE, UPDATE, INFO,         \
///     +-----------+<---+ SUBSCRIBE, NOTIFY, REFER          V
///           |                                     +------------+
///           +--- BYE, 481, no ACK, session ------>| Terminated |
///                expired, last usage ended        +------------+
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DialogState {
    /// Created by a provisional response with a To tag (RFC 3261 §12.1).
    Early,
    /// Created or confirmed by a `2xx` (or, for a subscription, a NOTIFY).
    Confirmed,
    /// Ended; the handle stays valid a little longer (to absorb retransmissions), then
    /// names nothing.
    Terminated(TerminationReason),
}

/// Why a dialog ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TerminationReason {
    /// We sent BYE and it completed (any final response, or no response).
    LocalBye,
    /// The peer sent BYE (answered `200` by the layer).
    RemoteBye,
    /// The INVITE that created this early dialog got this final non-`2xx` status.
    Rejected(u16),
    /// The INVITE was cancelled (CANCEL sent or received) before a `2xx`.
    Cancelled,
    /// A `2xx` arrived for an INVITE the application had cancelled: it was acknowledged and
    /// ended with BYE (RFC 3261 §9.1, §15).
    CancelledAfterAnswer,
    /// A later `2xx` of a forked INVITE, acknowledged and ended with BYE
    /// ([`ForkPolicy::ByeExtra`](crate::ForkPolicy::ByeExtra)).
    ExtraFork,
    /// The INVITE transaction ended without a `2xx` on this early dialog (another fork
    /// answered, RFC 3261 §13.2.2.4).
    NoAnswer,
    /// We sent a `2xx` and no ACK came within 64·T1; the layer sent BYE (§13.3.1.4).
    NoAck,
    /// We sent a reliable provisional response and no PRACK came within 64·T1; the INVITE
    /// was rejected `500` (RFC 3262 §3).
    NoPrack,
    /// The session timer ran out without a refresh; the layer sent BYE (RFC 4028 §10).
    SessionExpired,
    /// A request in the dialog was answered `481`: the peer no longer knows the dialog.
    Gone,
    /// A request in the dialog was answered `408` or timed out (§12.2.1.2).
    RequestTimeout,
    /// The transport failed.
    TransportError,
    /// The dialog carried only subscriptions, and the last one ended (RFC 6665 §4.5.2).
    UsagesEnded,
}

/// The state of a subscription (RFC 6665 §4.1.2 subscriber, §4.2 notifier).
///
/// ```text
///  SUBSCRIBE / REFER sent          2xx: wait for NOTIFY (64·T1)
///  or received  ----> +------+ -------------------------------+
///                     | Init |                                |
///                     +------+ NOTIFY pending/active          V
///                        |   \  ---------------------> +----------------+  NOTIFY, refresh
///             non-2xx,   |    \                        | Pending/Active |<--+
///             no NOTIFY  |     \ NOTIFY terminated     +----------------+---+
///                        V      V                         |  expiry, NOTIFY terminated,
///                     +------------+ <--------------------+  unsubscribe, 481
///                     | Terminated |
///                     +------------+
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriptionStatus {
    /// Accepted but not yet authorized (`Subscription-State: pending`).
    Pending {
        /// Time left before the subscription expires.
        expires: Duration,
    },
    /// Active (`Subscription-State: active`).
    Active {
        /// Time left before the subscription expires.
        expires: Duration,
    },
    /// Ended.
    Terminated(SubscriptionEnd),
}

/// Why a subscription ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriptionEnd {
    /// A NOTIFY said `terminated` with this reason (`timeout`, `rejected`, `noresource`,
    /// `deactivated`, `giveup`, `probation`, `invariant`...) and `retry-after`, if given.
    Notified {
        /// The `reason` parameter.
        reason: Option<String>,
        /// The `retry-after` parameter, in seconds.
        retry_after: Option<u32>,
    },
    /// The SUBSCRIBE (or REFER) was answered with this final non-`2xx` status, or, on the
    /// notifier side, the application answered it so.
    Rejected(u16),
    /// The subscription ran out without a refresh.
    Expired,
    /// No NOTIFY came within 64·T1 of the `2xx` (RFC 6665 §4.1.2.4).
    NoNotify,
    /// A request of the subscription was answered `481` or `408`, or timed out.
    RequestFailed,
    /// We ended it: unsubscribed (subscriber) or sent `terminated` (notifier).
    Local,
    /// The dialog it lived in ended.
    DialogEnded,
}

/// A timer of the dialog layer that ran out (the application may want to log it; the layer
/// already acted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// A request got no final response (Timer B or F).
    Request(RequestId),
    /// We retransmitted a `2xx` for 64·T1 without an ACK and sent BYE.
    Ack(DialogId),
    /// We retransmitted a reliable provisional response for 64·T1 without a PRACK and
    /// rejected the INVITE `500`.
    Prack(IncomingId),
    /// The session interval ran out without a refresh and we sent BYE.
    Session(DialogId),
}

/// What the application needs to know.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DialogEvent {
    /// A request for the application, to answer with
    /// [`DialogLayer::answer`](crate::DialogLayer::answer): an INVITE (initial or re-), UPDATE,
    /// SUBSCRIBE, REFER, INFO, MESSAGE, OPTIONS... Requests whose answer the protocol decides
    /// (BYE, PRACK, ACK, CANCEL, NOTIFY to a subscription, out-of-order CSeq, glare) are
    /// answered by the layer and reported otherwise.
    Request {
        /// Answer with this.
        id: IncomingId,
        /// The dialog it arrived in, if any.
        dialog: Option<DialogId>,
        /// For SUBSCRIBE and REFER: the subscription the answer will create or refresh.
        subscription: Option<SubscriptionId>,
        /// Who sent it.
        source: Peer,
        /// The request.
        request: Request,
    },
    /// A response to a request the application sent. `100 Trying` is included; responses
    /// the layer acts on alone (a `491` it will retry, a `422` it retries with a larger
    /// interval) are reported as [`DialogEvent::Retrying`] instead.
    Response {
        /// The request.
        request: RequestId,
        /// The dialog the response belongs to (the early or confirmed dialog it created, for
        /// an initial INVITE), if any.
        dialog: Option<DialogId>,
        /// The response.
        response: Response,
    },
    /// The ACK for a `2xx` we sent arrived (it may carry the answer to an offer in the
    /// `2xx`).
    Ack {
        /// The dialog.
        dialog: DialogId,
        /// The ACK.
        request: Request,
    },
    /// A PRACK for a reliable provisional response we sent arrived; the layer answered it
    /// `200`.
    Prack {
        /// The dialog.
        dialog: DialogId,
        /// The PRACK (its body may answer an offer in the provisional response).
        request: Request,
    },
    /// The peer cancelled an INVITE we had not answered finally; the layer answered the
    /// CANCEL `200` and the INVITE `487`.
    Cancelled {
        /// The INVITE.
        id: IncomingId,
        /// Its early dialog, if one existed (now terminated).
        dialog: Option<DialogId>,
    },
    /// A dialog was created or changed state.
    DialogState {
        /// The dialog.
        dialog: DialogId,
        /// Its new state.
        state: DialogState,
    },
    /// A subscription changed state.
    Subscription {
        /// The subscription.
        subscription: SubscriptionId,
        /// Its dialog, once it has one.
        dialog: Option<DialogId>,
        /// Its new state.
        state: SubscriptionStatus,
    },
    /// A NOTIFY arrived for one of our subscriptions; the layer answered it `200`. Its body
    /// is the event state (for REFER, a `message/sipfrag` status line).
    Notify {
        /// The subscription.
        subscription: SubscriptionId,
        /// The dialog.
        dialog: DialogId,
        /// The NOTIFY.
        request: Request,
    },
    /// The INVITE usage (the session) of a dialog ended, while subscriptions keep the
    /// dialog alive (RFC 5057). When the session was the only usage,
    /// [`DialogEvent::DialogState`] reports `Terminated` instead.
    SessionEnded {
        /// The dialog.
        dialog: DialogId,
        /// Why the session ended.
        reason: TerminationReason,
    },
    /// A session refresh succeeded (RFC 4028): the session now expires `interval` from now
    /// unless refreshed again.
    SessionRefreshed {
        /// The dialog.
        dialog: DialogId,
        /// The negotiated session interval.
        interval: Duration,
        /// Whether this side is the refresher.
        local_refresher: bool,
    },
    /// The layer will send the request again at `at`: after a `491` (glare, §14.1), a `422`
    /// (Session-Expires too small), or a `500` with Retry-After (§14.1).
    Retrying {
        /// The request.
        request: RequestId,
        /// The status that caused the retry.
        status: u16,
        /// When.
        at: Instant,
    },
    /// A timer ran out; the layer already acted.
    Timeout(TimeoutKind),
}
