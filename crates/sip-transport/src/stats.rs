//! Counters the transport keeps, read with [`crate::TransportLayer::stats`].

use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Live counters, shared by every task of one transport layer.
        #[derive(Debug, Default)]
        pub(crate) struct Counters {
            $(pub(crate) $name: AtomicU64,)*
        }

        /// A snapshot of the transport's counters.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Stats {
            $($(#[$doc])* pub $name: u64,)*
        }

        impl Counters {
            pub(crate) fn snapshot(&self) -> Stats {
                Stats { $($name: self.$name.load(Ordering::Relaxed),)* }
            }
        }
    };
}

counters! {
    /// Messages that parsed and were handed to the core.
    received,
    /// Requests starting new work dropped unparsed because the core was far behind
    /// ([`crate::Config::shed_new_requests_at`]).
    shed,
    /// Messages that failed to parse (never handed to the core).
    parse_errors,
    /// Stateless 400 (or 505, 513) responses sent for unparseable requests.
    rejected,
    /// Datagrams sent.
    udp_sent,
    /// Messages queued on connections.
    stream_sent,
    /// Connections accepted.
    accepted,
    /// Connections opened by us.
    connected,
    /// Connections refused by the global or per-IP limit.
    refused_limit,
    /// Connections closed for a framing error (bad Content-Length, too large).
    framing_errors,
    /// Connections closed for being idle.
    idle_closed,
    /// TLS or WebSocket handshakes that failed or were refused.
    handshake_failures,
    /// CRLF keep-alive pings answered.
    pings_answered,
    /// Sends refused because the destination address is forbidden.
    forbidden_destinations,
}

impl Counters {
    pub(crate) fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}
