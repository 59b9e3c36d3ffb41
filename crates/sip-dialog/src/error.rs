//! Errors, split by who is to blame: the application misusing the API, or a peer sending
//! something the layer cannot act on.

use crate::{DialogId, IncomingId, RequestId, SubscriptionId};

/// Misuse of the API by the application.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The handle names no live dialog.
    #[error("{0} does not name a live dialog")]
    UnknownDialog(DialogId),
    /// The handle names no request in progress.
    #[error("{0} does not name a request in progress")]
    UnknownRequest(RequestId),
    /// The handle names no request awaiting an answer.
    #[error("{0} does not name a request awaiting an answer")]
    UnknownIncoming(IncomingId),
    /// The handle names no live subscription.
    #[error("{0} does not name a live subscription")]
    UnknownSubscription(SubscriptionId),
    /// The request already received its final response.
    #[error("a final response was already sent")]
    AlreadyAnswered,
    /// A status outside 100..=699, or one that makes no sense here (a `1xx` to a non-INVITE
    /// request, a reliable `100`).
    #[error("status {0} cannot be sent here")]
    InvalidStatus(u16),
    /// A reliable provisional response was asked for but the INVITE did not offer `100rel`.
    #[error("the peer does not support reliable provisional responses")]
    ReliableNotSupported,
    /// The command does not fit the dialog's state (a re-INVITE in an early dialog, an ACK
    /// with no `2xx` to acknowledge, a CANCEL after the final response...).
    #[error("not allowed now: {0}")]
    InvalidState(&'static str),
    /// RFC 3261 §14.1: a UA must not start an INVITE transaction in a dialog while another is
    /// in progress in either direction.
    #[error("an INVITE transaction is already in progress in this dialog")]
    InviteInProgress,
    /// The next hop's URI could not be turned into an address (see
    /// [`NextHop`](crate::NextHop)).
    #[error("no address for next hop {0}")]
    Unroutable(String),
    /// A URI or header value given by the application does not parse.
    #[error("invalid {0}")]
    InvalidInput(&'static str),
    /// The transaction layer refused the request.
    #[error(transparent)]
    Transaction(#[from] sip_transaction::ApiError),
}

/// A message from the network that the layer could not act on. The peer is at fault; the
/// layer's state is unchanged. Requests that reach the dialog layer in that shape are also
/// answered (`400`, `481`, `500`) before the error is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The transaction layer rejected it (missing or malformed Via, CSeq...).
    #[error(transparent)]
    Transaction(#[from] sip_transaction::PeerError),
    /// A header the dialog layer needs is missing or malformed.
    #[error("{0} header missing or malformed")]
    Header(sip_message::HeaderName),
}

/// Any error of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Misuse of the API.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A faulty message from the network.
    #[error(transparent)]
    Peer(#[from] PeerError),
}
