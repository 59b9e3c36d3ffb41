//! SIP messages (RFC 3261): parsing without copying, typed headers decoded on demand, URIs,
//! printing that keeps untouched headers byte for byte, and framing for streams and datagrams.
//!
//! ```
//! use bytes::Bytes;
//! use sip_message::Message;
//!
//! let raw = Bytes::from_static(b"OPTIONS sip:carol@example.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKhjhs8ass877\r\n\
//! Max-Forwards: 70\r\nTo: <sip:carol@example.com>\r\n\
//! From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
//! Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n");
//! let msg = Message::parse(raw).unwrap();
//! assert_eq!(msg.via().unwrap().branch(), Some("z9hG4bKhjhs8ass877"));
//! assert_eq!(msg.from().unwrap().tag(), Some("1928301774"));
//! assert_eq!(msg.cseq().unwrap().seq(), 63104);
//! msg.validate().unwrap();
//! ```

mod builder;
mod error;
pub mod framing;
pub mod header;
mod headers;
mod lex;
mod message;
mod name;
mod params;
mod parse;
pub mod status;
mod uri;
pub mod validate;

pub use builder::RequestBuilder;
pub use error::{HeaderError, ParseError, UriError, ValidationError};
pub use headers::{HeaderRef, Headers, TypedHeader, TypedIter};
pub use message::{Message, Method, Request, Response};
pub use name::HeaderName;
pub use params::{ParamIter, Params};
pub use parse::ParseLimits;
pub use uri::{Host, Scheme, Uri};
