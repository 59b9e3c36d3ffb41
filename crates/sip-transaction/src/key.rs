//! Handles that name transactions, and the generational arena that stores them.
//!
//! A handle is an index into the arena plus the generation of the slot when the transaction was
//! created. When a transaction ends its slot's generation moves on, so a handle kept by the
//! transaction user after that no longer finds anything instead of finding a stranger.

use std::fmt;

pub(crate) use crate::arena::{Arena, Handle};

/// Names a client transaction (one started with
/// [`TransactionLayer::start_client`](crate::TransactionLayer::start_client)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey(pub(crate) Handle);

/// Names a server transaction (one created for a request received from the network).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerKey(pub(crate) Handle);

/// Names either kind of transaction, for events and inputs that concern both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransactionKey {
    /// A client transaction.
    Client(ClientKey),
    /// A server transaction.
    Server(ServerKey),
}

impl From<ClientKey> for TransactionKey {
    fn from(k: ClientKey) -> Self {
        TransactionKey::Client(k)
    }
}

impl From<ServerKey> for TransactionKey {
    fn from(k: ServerKey) -> Self {
        TransactionKey::Server(k)
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client#{}.{}", self.0.index(), self.0.generation())
    }
}

impl fmt::Display for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server#{}.{}", self.0.index(), self.0.generation())
    }
}

impl fmt::Display for TransactionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransactionKey::Client(k) => k.fmt(f),
            TransactionKey::Server(k) => k.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_print_their_kind() {
        let mut a = Arena::new();
        a.insert(());
        let h = a.insert(());
        assert_eq!(TransactionKey::from(ClientKey(h)).to_string(), "client#1.0");
        assert_eq!(ServerKey(h).to_string(), "server#1.0");
    }
}
