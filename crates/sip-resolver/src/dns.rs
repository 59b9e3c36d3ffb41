//! The DNS vocabulary the locator speaks: queries, the records it reads, the answers a lookup
//! returns, and the [`DnsLookup`] trait that performs them.

use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// The record types RFC 3263 needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    /// NAPTR (RFC 3403): which transports a domain offers, and where their SRV records are.
    Naptr,
    /// SRV (RFC 2782): the servers, ports, priorities and weights for one transport.
    Srv,
    /// A: IPv4 addresses.
    A,
    /// AAAA: IPv6 addresses.
    Aaaa,
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordType::Naptr => "NAPTR",
            RecordType::Srv => "SRV",
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
        })
    }
}

/// One question: a name and a record type.
///
/// The name is kept in a normal form (ASCII lowercase, without the trailing dot) so that it can
/// key the cache; it is always meant as a fully qualified name, never subject to a search list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Query {
    name: String,
    rtype: RecordType,
}

impl Query {
    /// A query for `name` (with or without its trailing dot, in any case).
    pub fn new(name: &str, rtype: RecordType) -> Query {
        Query {
            name: normalize_name(name),
            rtype,
        }
    }

    /// The queried name, lowercase, without the trailing dot.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The queried name as a fully qualified name (with the trailing dot).
    pub fn fqdn(&self) -> String {
        format!("{}.", self.name)
    }

    /// The record type.
    pub fn record_type(&self) -> RecordType {
        self.rtype
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.rtype)
    }
}

/// Lowercases a domain name and strips its trailing dot.
pub(crate) fn normalize_name(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// A NAPTR record (RFC 3403 §4.1), as far as RFC 3263 reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naptr {
    /// Lower orders are processed first.
    pub order: u16,
    /// Among equal orders, lower preferences are processed first.
    pub preference: u16,
    /// The flags: `S` (an SRV lookup follows) and `A` (an address lookup follows) are used.
    pub flags: String,
    /// The service field, such as `SIP+D2U` or `SIPS+D2T`.
    pub services: String,
    /// The regular expression; RFC 3263 requires it empty.
    pub regexp: String,
    /// The replacement domain name (for `S`, the SRV name).
    pub replacement: String,
}

/// An SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    /// Lower priorities are contacted first.
    pub priority: u16,
    /// Relative weight among records of equal priority.
    pub weight: u16,
    /// The port of the service on the target.
    pub port: u16,
    /// The target host; `.` means the service is decidedly not available.
    pub target: String,
}

/// The records of one answer, all of the queried type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordSet {
    /// NAPTR records.
    Naptr(Vec<Naptr>),
    /// SRV records.
    Srv(Vec<Srv>),
    /// IPv4 addresses.
    A(Vec<Ipv4Addr>),
    /// IPv6 addresses.
    Aaaa(Vec<Ipv6Addr>),
}

impl RecordSet {
    /// The record type of the set.
    pub fn record_type(&self) -> RecordType {
        match self {
            RecordSet::Naptr(_) => RecordType::Naptr,
            RecordSet::Srv(_) => RecordType::Srv,
            RecordSet::A(_) => RecordType::A,
            RecordSet::Aaaa(_) => RecordType::Aaaa,
        }
    }

    /// Whether the set holds no record.
    pub fn is_empty(&self) -> bool {
        match self {
            RecordSet::Naptr(v) => v.is_empty(),
            RecordSet::Srv(v) => v.is_empty(),
            RecordSet::A(v) => v.is_empty(),
            RecordSet::Aaaa(v) => v.is_empty(),
        }
    }
}

/// Why a lookup produced no answer at all (as opposed to a definite "no such records").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No server answered in time.
    #[error("DNS lookup timed out")]
    Timeout,
    /// A server answered with an error code (SERVFAIL, REFUSED, ...).
    #[error("DNS server answered {0}")]
    ServerFailure(String),
    /// The name cannot be put in a query.
    #[error("invalid DNS name: {0}")]
    BadName(String),
    /// Sending or receiving failed locally.
    #[error("DNS I/O error: {0}")]
    Io(String),
    /// Anything else the lookup implementation reports.
    #[error("DNS lookup failed: {0}")]
    Other(String),
}

/// The outcome of one [`Query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Records were found.
    Records {
        /// The records, of the queried type.
        records: RecordSet,
        /// How long they may be cached: the smallest TTL of the set.
        ttl: Duration,
    },
    /// The name does not exist or has no record of that type (NXDOMAIN or NODATA).
    NotFound {
        /// How long the absence may be cached (RFC 2308: the SOA's TTL capped by its MINIMUM),
        /// if the server said.
        negative_ttl: Option<Duration>,
    },
    /// The lookup failed; the absence is not cached.
    Failed(LookupError),
}

impl Answer {
    /// Records with a TTL, a shorthand for tests and fakes.
    pub fn records(records: RecordSet, ttl: Duration) -> Answer {
        if records.is_empty() {
            return Answer::NotFound { negative_ttl: None };
        }
        Answer::Records { records, ttl }
    }
}

/// Performs DNS queries: the one door through which the locator reaches the network.
///
/// This is the async half of a sans-IO split. The RFC 3263 logic lives in
/// [`Resolution`](crate::Resolution), which *asks* for queries and is *told* their answers; it
/// never awaits anything, so its ordering rules are tested synchronously with a table of
/// answers. [`Resolver`](crate::Resolver) is the small driver that hands the queries of each
/// step to a `DnsLookup` concurrently and feeds the answers back. An implementation should not
/// cache (the locator caches, honouring TTLs against the clock it is given) and should resolve
/// names as fully qualified, without a search list.
pub trait DnsLookup: Send + Sync {
    /// Answers one query. Failures are reported in the [`Answer`], never by panicking.
    fn lookup(&self, query: &Query) -> impl Future<Output = Answer> + Send;
}
