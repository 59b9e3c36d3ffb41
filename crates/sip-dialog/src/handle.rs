//! Handles that name dialogs, requests and subscriptions. They live in the transaction
//! crate's generational slab, so a handle kept after its dialog ended finds nothing instead of
//! finding a stranger.

use std::fmt;

pub(crate) use sip_transaction::arena::{Arena, Handle};

macro_rules! handle_type {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(crate) Handle);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, "#{}.{}"), self.0.index(), self.0.generation())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_print_their_kind_index_and_generation() {
        let mut a = Arena::default();
        let h1 = a.insert("one");
        a.remove(h1);
        let h2 = a.insert("two");
        assert_eq!(DialogId(h2).to_string(), "dialog#0.1");
        assert_eq!(SubscriptionId(h1).to_string(), "subscription#0.0");
    }
}
