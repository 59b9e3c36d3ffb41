//! The work measured for each parser, shared by the `parse` and `summary`
//! benches and by `tests/corpus.rs`.
//!
//! Every function does the same job: build a message from the wire bytes and
//! get the topmost Via, From, To, Call-ID and CSeq as typed values through the
//! parser's own accessors. Each value goes through [`black_box`] so none of the
//! work can be optimised away, and the message is returned so the caller can
//! check it (tests) or `black_box` and drop it (benches: the drop, i.e. freeing
//! what the parser allocated, is measured too, for every parser alike).
//!
//! Errors are turned into a `String` only on the error path, so the `Ok` path
//! costs nothing extra.
//!
//! Input: every parser gets the same buffer. rsip and rsipstack take `&[u8]`
//! through `SipMessage::try_from(&[u8])`; their `TryFrom<Bytes>` impls only
//! deref to that slice, so it is the same code and the cheapest entry point
//! they offer. Carillon's `Message::parse` takes ownership of a `Bytes` (it
//! is zero-copy), so its closure clones the caller's `Bytes`: a reference
//! count increment, which is part of what a server would pay as well.

// Not every user of this module calls every function (the test does not need
// `Parser::ALL`, and `carillon` is optional).
#![allow(dead_code)]

use std::fmt::Debug;
use std::hint::black_box;

use bytes::Bytes;

/// Result of one parse: the message, or a description of what failed.
pub(crate) type Parsed<M> = Result<M, String>;

/// Turns any parser error into a `String`, lazily.
trait Ctx<T> {
    fn ctx(self, what: &str) -> Parsed<T>;
}

impl<T, E: Debug> Ctx<T> for Result<T, E> {
    #[inline]
    fn ctx(self, what: &str) -> Parsed<T> {
        self.map_err(|e| format!("{what}: {e:?}"))
    }
}

/// The parsers compared, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parser {
    /// Carillon's `sip-message` (needs the `carillon` feature).
    Carillon,
    /// `rsip` 0.4.
    Rsip,
    /// `rsipstack::sip` 0.7.
    Rsipstack,
}

impl Parser {
    /// All parsers, whether or not they are compiled in.
    pub(crate) const ALL: [Parser; 3] = [Parser::Carillon, Parser::Rsip, Parser::Rsipstack];

    /// Name used in benchmark ids and table headers.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Parser::Carillon => "carillon",
            Parser::Rsip => "rsip",
            Parser::Rsipstack => "rsipstack",
        }
    }

    /// Whether this parser is compiled into this build.
    pub(crate) fn available(self) -> bool {
        match self {
            Parser::Carillon => cfg!(feature = "carillon"),
            Parser::Rsip | Parser::Rsipstack => true,
        }
    }

    /// Parses `input` once and extracts the five headers; the message is
    /// passed through `black_box` and dropped. Panics if the parser fails,
    /// or if it is not compiled in.
    #[inline]
    pub(crate) fn run(self, input: &Input) {
        match self {
            #[cfg(feature = "carillon")]
            Parser::Carillon => {
                black_box(parse_carillon(&input.bytes).expect("carillon parses the corpus"));
            }
            #[cfg(not(feature = "carillon"))]
            Parser::Carillon => panic!("built without the `carillon` feature"),
            Parser::Rsip => {
                black_box(parse_rsip(&input.bytes).expect("rsip parses the corpus"));
            }
            Parser::Rsipstack => {
                black_box(parse_rsipstack(&input.bytes).expect("rsipstack parses the corpus"));
            }
        }
    }
}

/// One corpus message, in the form every parser is fed from.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    /// Corpus name.
    pub(crate) name: &'static str,
    /// An owned, reference-counted copy of the message, as a receive buffer
    /// would hand it over (not `Bytes::from_static`, whose clone is free).
    pub(crate) bytes: Bytes,
}

impl Input {
    /// The whole corpus.
    pub(crate) fn corpus() -> Vec<Input> {
        parser_bench::CORPUS
            .iter()
            .map(|s| Input {
                name: s.name,
                bytes: Bytes::copy_from_slice(s.bytes),
            })
            .collect()
    }
}

/// Carillon: `sip_message::Message::parse` plus its typed accessors.
#[cfg(feature = "carillon")]
#[inline(never)]
pub(crate) fn parse_carillon(bytes: &Bytes) -> Parsed<sip_message::Message> {
    let msg = sip_message::Message::parse(bytes.clone()).ctx("parse")?;
    {
        black_box(msg.via().ctx("Via")?);
        black_box(msg.from().ctx("From")?);
        black_box(msg.to().ctx("To")?);
        black_box(msg.call_id().ctx("Call-ID")?);
        black_box(msg.cseq().ctx("CSeq")?);
    }
    Ok(msg)
}

/// rsip 0.4: `SipMessage::try_from(&[u8])` tokenizes the whole message and
/// stores every header as an untyped `String` newtype; `.typed()` then parses
/// the ones asked for. `via_header()` is the first `Via` header line, which is
/// the topmost Via for the corpus (one Via per line, as is usual on the wire).
/// Call-ID has no typed form in rsip: its `&str` value is what is used.
#[inline(never)]
pub(crate) fn parse_rsip(bytes: &[u8]) -> Parsed<rsip::SipMessage> {
    use rsip::prelude::*;

    let msg = rsip::SipMessage::try_from(bytes).ctx("parse")?;
    black_box(msg.via_header().ctx("Via")?.typed().ctx("Via typed")?);
    black_box(msg.from_header().ctx("From")?.typed().ctx("From typed")?);
    black_box(msg.to_header().ctx("To")?.typed().ctx("To typed")?);
    black_box(msg.call_id_header().ctx("Call-ID")?.value());
    black_box(msg.cseq_header().ctx("CSeq")?.typed().ctx("CSeq typed")?);
    Ok(msg)
}

/// rsipstack 0.7 (`rsipstack::sip`, its own parser, not rsip's):
/// `SipMessage::try_from(&[u8])` splits headers into untyped `String`
/// newtypes, `.typed()` parses on demand. `top_via_header()` is its accessor
/// for the topmost Via value (it also splits a comma-joined Via line); it
/// returns an owned header, so `into_typed()` avoids a second clone.
#[inline(never)]
pub(crate) fn parse_rsipstack(bytes: &[u8]) -> Parsed<rsipstack::sip::SipMessage> {
    use rsipstack::sip::prelude::*;

    let msg = rsipstack::sip::SipMessage::try_from(bytes).ctx("parse")?;
    black_box(
        msg.top_via_header()
            .ctx("Via")?
            .into_typed()
            .ctx("Via typed")?,
    );
    black_box(msg.from_header().ctx("From")?.typed().ctx("From typed")?);
    black_box(msg.to_header().ctx("To")?.typed().ctx("To typed")?);
    black_box(msg.call_id_header().ctx("Call-ID")?.value());
    black_box(msg.cseq_header().ctx("CSeq")?.typed().ctx("CSeq typed")?);
    Ok(msg)
}
