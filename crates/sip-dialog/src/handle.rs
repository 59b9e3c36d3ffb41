//! Handles that name dialogs, requests and subscriptions, and the generational slab that
//! stores them.
//!
//! A handle is a slot index plus the slot's generation when the thing was created. When the
//! thing is removed the generation moves on, so a handle kept by the application afterwards
//! finds nothing instead of finding a stranger. (The same design as the transaction layer's
//! keys; its slab is private to that crate, so this is a local copy.)

use std::fmt;

/// An arena slot index and the generation it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Handle {
    index: u32,
    generation: u32,
}

macro_rules! handle_type {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(crate) Handle);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, "#{}.{}"), self.0.index, self.0.generation)
            }
        }
    };
}

handle_type!(
    /// Names a dialog, early or confirmed (RFC 3261 §12). Every usage sharing the dialog (the
    /// INVITE usage, subscriptions) is reached through it.
    DialogId, "dialog");
handle_type!(
    /// Names a request this layer sends for the application (an INVITE, a re-INVITE, a BYE, an
    /// UPDATE...). It outlives retries (a 491 glare retry, a 422 retry with a larger
    /// Session-Expires): responses to every attempt are reported under the same handle.
    RequestId, "request");
handle_type!(
    /// Names a request received from the network and passed to the application, which answers
    /// it with [`DialogLayer::answer`](crate::DialogLayer::answer).
    IncomingId, "incoming");
handle_type!(
    /// Names a subscription usage (RFC 6665), on the subscriber or the notifier side,
    /// including the implicit subscription of a REFER (RFC 3515).
    SubscriptionId, "subscription");

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

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Arena<T> {
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
                // Four billion live entries do not fit in memory long before the index wraps.
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
        let mut a = Arena::default();
        let h1 = a.insert("one");
        assert_eq!(a.remove(h1), Some("one"));
        assert_eq!(a.remove(h1), None);
        let h2 = a.insert("two");
        assert_eq!(h2.index, h1.index, "the slot is reused");
        assert_ne!(h2, h1);
        assert_eq!(a.get(h1), None);
        assert_eq!(a.get(h2), Some(&"two"));
        assert_eq!(a.len(), 1);
        assert_eq!(DialogId(h2).to_string(), "dialog#0.1");
    }
}
