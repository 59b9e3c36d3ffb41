//! The SIP registrar logic (RFC 3261 §10.3, RFC 3327 Path, RFC 5626 outbound, RFC 5627 GRUU),
//! sans-IO.
//!
//! [`process`] takes a REGISTER that the server has already authenticated, the bindings the
//! store holds for its address of record, and the time; it decides, and does nothing else:
//!
//! - [`Decision::Query`]: no Contact, answer `200` with the current bindings and write nothing;
//! - [`Decision::Update`]: the complete new set of bindings of the address of record, to hand
//!   to [`carillon_store::LocationStore::replace`] before answering `200`;
//! - [`Decision::Reject`]: answer with [`reject_response`].
//!
//! [`ok_response`] then builds the `200 OK` (one Contact per live binding with its remaining
//! `expires`, GRUUs, `Require: outbound`, the Path echoed, `Date`). The proxy uses
//! [`targets`] to fork to the bindings by q-value and [`resolve_gruu`] to route a GRUU.
//!
//! ```
//! use bytes::Bytes;
//! use sip_message::Message;
//! use sip_registrar::{Decision, RegisterContext, RegistrarConfig, aor_from_uri, process};
//!
//! let raw = Bytes::from_static(b"REGISTER sip:example.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds7\r\n\
//! Max-Forwards: 70\r\nTo: <sip:Alice@Example.COM>\r\n\
//! From: <sip:alice@example.com>;tag=456248\r\nCall-ID: 843817637684230@998sdasdh09\r\n\
//! CSeq: 1826 REGISTER\r\nContact: <sip:alice@192.0.2.4>\r\nExpires: 7200\r\n\
//! Content-Length: 0\r\n\r\n");
//! let msg = Message::parse(raw).unwrap();
//! let request = msg.as_request().unwrap();
//! let aor = aor_from_uri(&request.to().unwrap().uri()).unwrap();
//! assert_eq!(aor, "sip:Alice@example.com");
//! let ctx = RegisterContext { aor: &aor, now: 1_000, source: None, transport: "udp", local: None };
//! let Decision::Update { bindings } = process(&RegistrarConfig::default(), request, &ctx, &[])
//! else {
//!     panic!("a first registration adds a binding")
//! };
//! assert_eq!(bindings[0].uri, "sip:alice@192.0.2.4");
//! assert_eq!(bindings[0].expires_at, 1_000 + 7200);
//! ```

use std::net::SocketAddr;

use sip_message::HeaderName;

mod aor;
mod compare;
mod escape;
mod gruu;
mod process;
mod response;
mod targets;

pub use aor::aor_from_uri;
pub use carillon_store::Binding;
pub use compare::uri_equal;
pub use gruu::{Gruu, resolve_gruu};
pub use process::process;
pub use response::{ok_response, reject_response};
pub use targets::targets;

/// The registrar's policy. The defaults are written next to each field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistrarConfig {
    /// Shortest registration accepted, in seconds (default 60). A shorter non-zero request is
    /// answered `423 Interval Too Brief` with `Min-Expires` (RFC 3261 §10.3 step 7), except
    /// that the RFC allows that answer only below one hour: a request of 3600 s or more is
    /// never refused, even if this minimum is set higher (and it is not raised either, since
    /// a registrar may only shorten an interval).
    pub min_expires: u32,
    /// Longest registration granted, in seconds (default 86400, one day); longer requests are
    /// shortened to it. Kamailio's default is unlimited; a cap bounds how long a vanished
    /// device stays reachable on paper.
    pub max_expires: u32,
    /// Interval used when neither the contact's `expires` parameter nor an Expires header
    /// says (default 3600).
    pub default_expires: u32,
    /// Most bindings one address of record may hold (default 10). A REGISTER that would
    /// raise the count above it is answered `403 Too many registered contacts`: a policy
    /// refusal that retrying will not fix (Kamailio answers 503, which invites retries).
    pub max_contacts: usize,
    /// Hand out GRUUs (RFC 5627) to contacts with a `+sip.instance` when the REGISTER says
    /// `Supported: gruu` (default true).
    pub gruu: bool,
    /// Key for temporary GRUUs (RFC 5627 §3.2). Without it only public GRUUs are given.
    /// It must be random, kept secret, and kept across restarts (a temp-gruu stays valid as
    /// long as the key does). Default: none.
    pub gruu_secret: Option<[u8; 32]>,
    /// Apply RFC 5626 outbound: `reg-id` flows, `Require: outbound`, `439` (default true).
    pub outbound: bool,
    /// Accept a REGISTER carrying Path when its Supported lacks `path` (default false).
    /// When false it is answered `421 Extension Required` with `Require: path` (RFC 3327
    /// §5.3 allows a registrar whose policy needs Path to refuse); when true the Path is
    /// stored for routing but not echoed, since the UA did not ask for it.
    pub accept_path_without_support: bool,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            min_expires: 60,
            max_expires: 86_400,
            default_expires: 3600,
            max_contacts: 10,
            gruu: true,
            gruu_secret: None,
            outbound: true,
            accept_path_without_support: false,
        }
    }
}

/// What the server knows about a REGISTER besides its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterContext<'a> {
    /// The address of record, canonical (from [`aor_from_uri`] on the To URI, after the
    /// server checked that the authenticated user may register it).
    pub aor: &'a str,
    /// Now, in Unix seconds (wall clock, as the store keeps it).
    pub now: u64,
    /// The packet's source address (after NAT).
    pub source: Option<SocketAddr>,
    /// The transport it came over: `udp`, `tcp`, `tls`, `ws` or `wss` (stored lowercase).
    pub transport: &'a str,
    /// The local address it arrived on.
    pub local: Option<SocketAddr>,
}

/// What to do with a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// No Contact: answer `200` with the current bindings, write nothing (RFC 3261 §10.3
    /// step 6).
    Query,
    /// Store this set (the complete new set of the address of record, possibly empty), then
    /// answer `200` with it.
    Update {
        /// Every binding the address of record has after this request; expired ones are
        /// left out.
        bindings: Vec<Binding>,
    },
    /// Answer with this error and change nothing.
    Reject(Rejection),
}

/// An error answer to a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: &'static str,
    /// Headers the answer must carry (`Min-Expires` for 423, `Require` for 421).
    pub headers: Vec<(HeaderName, String)>,
}

impl Rejection {
    fn new(status: u16, reason: &'static str) -> Self {
        Rejection {
            status,
            reason,
            headers: Vec::new(),
        }
    }

    fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}
