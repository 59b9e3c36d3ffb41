//! Errors, split by who is to blame: the caller of the API, or the peer that sent a message.

use sip_message::{HeaderError, HeaderName};

use crate::{ServerKey, TransactionKey};

/// Misuse of the API by the transaction user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The key names no live transaction (it never existed, or the transaction terminated).
    #[error("{0} does not name a live transaction")]
    UnknownTransaction(TransactionKey),
    /// The server transaction already sent a final response; only an INVITE server
    /// transaction in the Accepted state takes more (2xx retransmissions, RFC 6026).
    #[error("{0} already sent a final response")]
    FinalAlreadySent(ServerKey),
    /// A response status outside 100..=699.
    #[error("status {0} is not a SIP response code")]
    InvalidStatus(u16),
    /// ACK is not sent in a client transaction (RFC 3261 §17): the INVITE client transaction
    /// sends the ACK for non-2xx responses itself, and the TU sends the ACK for a 2xx with
    /// [`TransactionLayer::send_stateless`](crate::TransactionLayer::send_stateless).
    #[error("ACK does not start a client transaction; send it statelessly")]
    AckTransaction,
    /// The request cannot start a client transaction: a header the transaction needs is
    /// missing or malformed.
    #[error("request cannot start a transaction: {0}")]
    InvalidRequest(&'static str),
    /// A client transaction with the same branch and method already exists.
    #[error("a client transaction with this branch and method already exists")]
    DuplicateTransaction,
}

/// A message from the network that the transaction layer cannot act on. The peer is at fault;
/// the layer's state is unchanged. A driver logs it, and for a request may answer `400`
/// statelessly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// A header that matching needs (Via, CSeq, Call-ID, From, To) is missing or malformed.
    #[error("{name} header: {source}")]
    Header {
        /// Which header.
        name: HeaderName,
        /// What is wrong with it.
        source: HeaderError,
    },
    /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5).
    #[error("CSeq method differs from the request method")]
    CSeqMethodMismatch,
}

impl PeerError {
    pub(crate) fn header(name: HeaderName) -> impl FnOnce(HeaderError) -> PeerError {
        move |source| PeerError::Header { name, source }
    }
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
