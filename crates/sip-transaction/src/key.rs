//! Handles that name transactions, and the generational arena that stores them.
//!
//! A handle is an index into the arena plus the generation of the slot when the transaction was
//! created. When a transaction ends its slot's generation moves on, so a handle kept by the
//! transaction user after that no longer finds anything instead of finding a stranger.

use std::fmt;

/// An arena slot index and the generation it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Handle {
    index: u32,
    generation: u32,
}

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
        write!(f, "client#{}.{}", self.0.index, self.0.generation)
    }
}

impl fmt::Display for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server#{}.{}", self.0.index, self.0.generation)
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

struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// A slab whose handles carry a generation, so that stale handles miss.
pub(crate) struct Arena<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Arena<T> {
    pub(crate) fn new() -> Self {
        Arena {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    /// The handle the next [`Arena::insert`] will return.
    pub(crate) fn vacant_handle(&self) -> Handle {
        match self.free.last() {
            Some(&index) => Handle {
                index,
                generation: self.slots[index as usize].generation,
            },
            None => Handle {
                index: u32::try_from(self.slots.len()).unwrap_or(u32::MAX),
                generation: 0,
            },
        }
    }

    pub(crate) fn insert(&mut self, value: T) -> Handle {
        self.len += 1;
        match self.free.pop() {
            Some(index) => {
                let slot = &mut self.slots[index as usize];
                slot.value = Some(value);
                Handle {
                    index,
                    generation: slot.generation,
                }
            }
            None => {
                // Four billion live transactions do not fit in memory long before the index
                // would wrap.
                let index = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Slot {
                    generation: 0,
                    value: Some(value),
                });
                Handle {
                    index,
                    generation: 0,
                }
            }
        }
    }

    pub(crate) fn get(&self, h: Handle) -> Option<&T> {
        self.slots
            .get(h.index as usize)
            .filter(|s| s.generation == h.generation)
            .and_then(|s| s.value.as_ref())
    }

    pub(crate) fn get_mut(&mut self, h: Handle) -> Option<&mut T> {
        self.slots
            .get_mut(h.index as usize)
            .filter(|s| s.generation == h.generation)
            .and_then(|s| s.value.as_mut())
    }

    pub(crate) fn remove(&mut self, h: Handle) -> Option<T> {
        let slot = self
            .slots
            .get_mut(h.index as usize)
            .filter(|s| s.generation == h.generation)?;
        let value = slot.value.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(h.index);
        self.len -= 1;
        Some(value)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handles_miss_after_reuse() {
        let mut a = Arena::new();
        let h1 = a.insert("one");
        assert_eq!(a.vacant_handle().index, 1);
        assert_eq!(a.remove(h1), Some("one"));
        assert_eq!(a.remove(h1), None);
        let next = a.vacant_handle();
        let h2 = a.insert("two");
        assert_eq!(next, h2);
        assert_eq!(h2.index, h1.index, "the slot is reused");
        assert_ne!(h2, h1);
        assert_eq!(a.get(h1), None);
        assert_eq!(a.get(h2), Some(&"two"));
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn keys_print_their_kind() {
        let h = Handle {
            index: 3,
            generation: 1,
        };
        assert_eq!(TransactionKey::from(ClientKey(h)).to_string(), "client#3.1");
        assert_eq!(ServerKey(h).to_string(), "server#3.1");
    }
}
