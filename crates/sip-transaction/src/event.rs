//! What goes into the layer and what comes out of it.

use std::time::Instant;

use bytes::Bytes;
use sip_message::{Message, Request, Response};

use crate::{ClientKey, Peer, ServerKey, Timer, TransactionKey};

/// Something that happened outside the layer, given to
/// [`TransactionLayer::handle_input`](crate::TransactionLayer::handle_input).
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
    /// The transport failed to send a [`Transmit`] that carried this key (RFC 3261 §17.1.4,
    /// §17.2.4): a refused connection, an ICMP error, a closed stream.
    TransportError {
        /// The current time.
        now: Instant,
        /// The transaction whose transmission failed.
        key: TransactionKey,
    },
}

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send them.
    pub destination: Peer,
    /// The message as it goes on the wire.
    pub bytes: Bytes,
    /// The transaction that sent them; give it back in [`Input::TransportError`] if sending
    /// fails. `None` for stateless sends.
    pub key: Option<TransactionKey>,
}

/// Something for the driver to do, from
/// [`TransactionLayer::poll_output`](crate::TransactionLayer::poll_output).
#[derive(Debug, Clone)]
pub enum Output {
    /// Send bytes.
    Transmit(Transmit),
    /// Tell the transaction user.
    Event(Event),
}

/// What the transaction user (UA core, proxy core, dialog layer) needs to know.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A request that matched no server transaction: a server transaction was created for it.
    /// Answer it with [`TransactionLayer::respond`](crate::TransactionLayer::respond).
    NewRequest {
        /// The new server transaction.
        key: ServerKey,
        /// Who sent the request.
        source: Peer,
        /// The request.
        request: Request,
    },
    /// A new CANCEL. It has a server transaction of its own (`cancel_key`, answer it `200`),
    /// and names the INVITE server transaction it cancels, if there is one (RFC 3261 §9.2):
    /// answer that one `487` if it has not sent a final response yet.
    CancelRequest {
        /// The CANCEL's own non-INVITE server transaction.
        cancel_key: ServerKey,
        /// The INVITE server transaction with the same branch, sent-by and (for RFC 2543
        /// peers) dialog identifiers, if it still exists.
        invite_key: Option<ServerKey>,
        /// Who sent the CANCEL.
        source: Peer,
        /// The CANCEL.
        request: Request,
    },
    /// An ACK that the layer does not absorb: the ACK for a 2xx (its own transaction, RFC 3261
    /// §17), or any ACK that matches no transaction. ACKs for non-2xx final responses are
    /// absorbed by their INVITE server transaction and never appear here.
    Ack {
        /// The INVITE server transaction in the Accepted state this ACK belongs to (same
        /// branch, or same Call-ID, CSeq number, From tag and To tag as the 2xx it sent), or
        /// `None` for a stray ACK (a stateless proxy forwards it).
        key: Option<ServerKey>,
        /// Who sent the ACK.
        source: Peer,
        /// The ACK.
        request: Request,
    },
    /// A response for a client transaction: every provisional and final response the
    /// transaction does not absorb, including every 2xx to an INVITE (RFC 6026), which the TU
    /// acknowledges itself.
    Response {
        /// The client transaction.
        key: ClientKey,
        /// The response.
        response: Response,
    },
    /// A response that matches no client transaction (RFC 3261 §17.1.3, RFC 6026 §7.3). A
    /// proxy forwards it statelessly (§16.7 / §18.1.2 checks apply); a UA drops it.
    StrayResponse {
        /// Who sent it.
        source: Peer,
        /// The response.
        response: Response,
    },
    /// A timer ran out: B or F on a client transaction (no final response), H on an INVITE
    /// server transaction (no ACK). The transaction is terminated.
    Timeout {
        /// The transaction.
        key: TransactionKey,
        /// Which timer.
        timer: Timer,
    },
    /// The transport reported a failure for this transaction; it is terminated.
    TransportError {
        /// The transaction.
        key: TransactionKey,
    },
    /// The transaction reached the Terminated state and was destroyed; its key no longer
    /// names anything.
    Terminated {
        /// The transaction.
        key: TransactionKey,
    },
}
