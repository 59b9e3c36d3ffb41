//! Helpers for scenarios of [`TransactionLayer`](sip_transaction::TransactionLayer)s.

use sip_transaction::Event;

use crate::{Engine, NodeId, World};

/// A one-line summary of a transaction event: `NewRequest INVITE`, `Response 180`,
/// `Timeout B`, `Terminated`...
pub fn describe(e: &Event) -> String {
    match e {
        Event::NewRequest { request, .. } => format!("NewRequest {}", request.method()),
        Event::CancelRequest { invite_key, .. } => {
            format!("CancelRequest invite={}", invite_key.is_some())
        }
        Event::Ack { key, .. } => format!("Ack matched={}", key.is_some()),
        Event::Response { response, .. } => format!("Response {}", response.status()),
        Event::StrayResponse { response, .. } => format!("StrayResponse {}", response.status()),
        Event::Timeout { timer, .. } => format!("Timeout {timer:?}"),
        Event::TransportError { .. } => "TransportError".to_owned(),
        Event::Terminated { .. } => "Terminated".to_owned(),
        _ => format!("{e:?}"),
    }
}

/// Owned `(ms, summary)` pairs from literals, to compare with
/// [`TransactionLog::summaries`].
pub fn timeline(list: &[(u64, &str)]) -> Vec<(u64, String)> {
    list.iter().map(|(t, s)| (*t, (*s).to_owned())).collect()
}

/// Questions about what transaction layers reported.
pub trait TransactionLog {
    /// The events of `node` as `(ms, summary)` ([`describe`]).
    fn summaries(&self, node: NodeId) -> Vec<(u64, String)>;
}

impl<E: Engine<Event = Event>> TransactionLog for World<E> {
    fn summaries(&self, node: NodeId) -> Vec<(u64, String)> {
        self.events_of(node)
            .map(|(t, e)| (t, describe(e)))
            .collect()
    }
}
