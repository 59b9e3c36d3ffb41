//! What can go wrong, and whose fault it is.

use crate::dns::LookupError;

/// Why a URI could not be resolved to any target.
///
/// The first group is the URI's fault (the request's sender, or the caller's), the second the
/// target domain's DNS, the last a failure on the way to DNS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The URI is not a `sip:` or `sips:` URI.
    #[error("not a sip or sips URI")]
    UnsupportedScheme,
    /// The URI has no host.
    #[error("URI has no host")]
    NoHost,
    /// The `maddr` parameter is empty or not a host.
    #[error("bad maddr parameter")]
    BadMaddr,
    /// The `transport` parameter names a transport that is unknown or that this element does
    /// not support.
    #[error("unsupported transport {0:?}")]
    UnsupportedTransport(String),
    /// A `sips` URI asked for a transport that cannot carry TLS (`transport=udp`).
    #[error("sips URI with insecure transport {0:?}")]
    InsecureTransport(String),
    /// None of the transports this element supports can reach the target (for instance a
    /// numeric `sips` URI when TLS is not configured).
    #[error("no supported transport for this URI")]
    NoSupportedTransport,
    /// DNS holds no usable record for the domain.
    #[error("no usable DNS records for {0}")]
    NotFound(String),
    /// The lookups that could have found the domain failed.
    #[error("DNS lookup for {domain} failed: {error}")]
    Lookup {
        /// The domain being resolved.
        domain: String,
        /// The last lookup failure.
        error: LookupError,
    },
}
