//! SDP (RFC 8866) parsing and printing, and RFC 3264 offer/answer.
//!
//! [`SessionDescription::parse`] reads a body into an owned model and
//! `Display` prints it back; for well-formed input the output is identical
//! to the input byte for byte, including line order, unknown lines and the
//! choice of CRLF or LF. Attributes are kept raw, in order, with typed
//! helpers through the [`Attributes`] trait. The [`offer_answer`] module
//! builds answers and reads the outcome of a negotiation.
//!
//! ```
//! use sdp::{Attributes, Direction, SessionDescription};
//!
//! let body = "v=0\r\n\
//!             o=- 3724394400 3724394400 IN IP4 192.0.2.10\r\n\
//!             s=-\r\n\
//!             c=IN IP4 192.0.2.10\r\n\
//!             t=0 0\r\n\
//!             m=audio 4000 RTP/AVP 0 101\r\n\
//!             a=rtpmap:101 telephone-event/8000\r\n\
//!             a=sendonly\r\n";
//! let sdp = SessionDescription::parse(body.as_bytes())?;
//! let audio = &sdp.media[0];
//! assert_eq!(audio.port, 4000);
//! assert_eq!(audio.direction(), Some(Direction::SendOnly));
//! assert_eq!(audio.rtpmap(101).map(|m| m.encoding_name), Some("telephone-event".into()));
//! assert_eq!(sdp.to_string(), body);
//! # Ok::<(), sdp::ParseError>(())
//! ```

mod attributes;
mod error;
mod model;
pub mod offer_answer;
mod parse;
mod print;

pub use attributes::{
    Attribute, Attributes, Crypto, Direction, Fingerprint, Fmtp, Rtcp, RtpMap, Setup,
};
pub use error::ParseError;
pub use model::{
    Bandwidth, Connection, LineEnding, MediaDescription, Origin, RepeatTime, SessionDescription,
    TimeDescription, TimeUnit, TypedTime, UnknownLine, ZoneAdjustment,
};

/// Keeps the README example compiling and passing.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
