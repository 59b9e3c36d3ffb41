//! RFC 3263 server location for SIP: from a URI to the ordered list of (transport, address,
//! port) to try, with failover.
//!
//! The crate is split where I/O starts:
//!
//! - [`Locator`] and [`Resolution`] are sans-IO. A resolution *asks* for DNS queries
//!   ([`Output::Query`]) and is *told* their answers ([`Resolution::handle_answer`]); every
//!   decision (NAPTR filtering and order, RFC 2782 SRV weighting with an injected
//!   [`WeightRng`], fallbacks, address families) happens there, on a clock passed in as
//!   `now`. The [`Cache`] (positive and negative, TTL-bound) and the [`Blacklist`] of failed
//!   targets live in the locator.
//! - [`DnsLookup`] is the door to the network. [`Resolver`] drives a resolution over one,
//!   running each stage's queries concurrently; [`HickoryLookup`] (feature `hickory`, on by
//!   default) implements it with hickory-resolver; [`StaticDns`] is a table for tests.
//!
//! ```
//! use std::time::Instant;
//! use sip_message::Uri;
//! use sip_resolver::{Config, Locator, SequenceRng, StaticDns};
//! use sip_transaction::Transport;
//!
//! let dns = StaticDns::new()
//!     .naptr("example.test", 10, 10, "S", "SIP+D2T", "_sip._tcp.example.test")
//!     .srv("_sip._tcp.example.test", 0, 0, 5070, "pbx.example.test")
//!     .a("pbx.example.test", "127.0.0.10".parse().unwrap());
//! let mut locator = Locator::with_rng(Config::default(), SequenceRng::new([0]));
//! let uri = Uri::parse("sip:alice@example.test").unwrap();
//! let mut targets = dns.resolve(&mut locator, &uri, Instant::now()).unwrap();
//! let first = locator.next_target(&mut targets, Instant::now()).unwrap();
//! assert_eq!(first.transport(), Transport::Tcp);
//! assert_eq!(first.addr(), "127.0.0.10:5070".parse().unwrap());
//! ```

mod cache;
mod config;
mod dns;
mod driver;
mod error;
#[cfg(feature = "hickory")]
mod hickory;
mod order;
mod resolution;
mod static_dns;
mod target;

#[cfg(test)]
mod tests;

pub use cache::Cache;
pub use config::{Config, IpStrategy};
pub use dns::{Answer, DnsLookup, LookupError, Naptr, Query, RecordSet, RecordType, Srv};
pub use driver::Resolver;
pub use error::ResolveError;
#[cfg(feature = "hickory")]
pub use hickory::HickoryLookup;
pub use order::{SequenceRng, SplitMix64, WeightRng, naptr_transport, order_srv};
pub use resolution::{Locator, Output, Resolution};
pub use static_dns::StaticDns;
pub use target::{Blacklist, Failure, Target, Targets};
