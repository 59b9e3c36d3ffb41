//! Errors. Each says what is wrong and where; [`crate::validate`] turns them into responses.

use crate::HeaderName;

/// Why a message could not be framed or its start line and header lines could not be read.
///
/// These are the peer's fault: the bytes are not a SIP message this crate accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Nothing but whitespace was received.
    #[error("empty message")]
    Empty,
    /// The request or status line does not follow RFC 3261 §7.1 / §7.2.
    #[error("line 1: malformed start line: {0}")]
    StartLine(&'static str),
    /// The start line is well formed but names a SIP version other than 2.0.
    #[error("line 1: unsupported protocol version {0:?}")]
    UnsupportedVersion(String),
    /// A header line is not `name: value`.
    #[error("line {line}: malformed header line: {reason}")]
    HeaderLine {
        /// 1-based line number within the message.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The header section has no terminating empty line.
    #[error("header section is not terminated by an empty line")]
    Unterminated,
    /// Content-Length is not a non-negative decimal that fits in 32 bits.
    #[error("line {line}: invalid Content-Length {value:?}")]
    ContentLength {
        /// 1-based line number of the header.
        line: usize,
        /// The value as received (lossily decoded).
        value: String,
    },
    /// Several Content-Length headers disagree (RFC 4475 mcl01).
    #[error("line {line}: Content-Length conflicts with an earlier Content-Length")]
    ContentLengthConflict {
        /// 1-based line number of the conflicting header.
        line: usize,
    },
    /// A datagram is shorter than its Content-Length says (RFC 3261 §18.3, RFC 4475 clerr).
    #[error("Content-Length is {declared} but only {available} body octets were received")]
    BodyTruncated {
        /// The Content-Length value.
        declared: usize,
        /// Octets present after the header section.
        available: usize,
    },
    /// A stream message has no Content-Length (RFC 3261 §18.3 requires it on streams).
    #[error("stream message without Content-Length")]
    MissingContentLength,
    /// The message exceeds the configured size limit.
    #[error("message exceeds the {limit}-octet limit")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
}

/// Why a message that framed correctly fails the checks of [`crate::Message::validate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A mandatory header is absent (RFC 3261 §8.1.1).
    #[error("missing mandatory {0} header")]
    Missing(HeaderName),
    /// A header that must appear once appears several times (RFC 4475 multi01).
    #[error("{0} header appears more than once")]
    Duplicate(HeaderName),
    /// A header's value does not follow its grammar.
    #[error("{name} header: {source}")]
    Header {
        /// Which header.
        name: HeaderName,
        /// What is wrong with it.
        source: HeaderError,
    },
    /// The Request-URI does not parse.
    #[error("Request-URI: {0}")]
    RequestUri(UriError),
    /// The CSeq method differs from the request method (RFC 4475 mismatch01/02).
    #[error("CSeq method {cseq:?} does not match request method {method:?}")]
    CSeqMismatch {
        /// Method in the request line.
        method: String,
        /// Method in CSeq.
        cseq: String,
    },
}

/// Why a header value could not be decoded into its typed form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The header is not present.
    #[error("not present")]
    Missing,
    /// The value is not valid UTF-8.
    #[error("value is not UTF-8")]
    NotUtf8,
    /// The value is empty where the grammar needs something.
    #[error("empty value")]
    Empty,
    /// A quoted string or `<` is not closed.
    #[error("unbalanced {0}")]
    Unbalanced(&'static str),
    /// A number is not a decimal or is out of range.
    #[error("{0} is not a valid number")]
    Number(&'static str),
    /// The value breaks the grammar; the text says how.
    #[error("{0}")]
    Syntax(&'static str),
    /// An embedded URI is invalid.
    #[error("URI: {0}")]
    Uri(#[from] UriError),
}

impl From<crate::lex::Unbalanced> for HeaderError {
    fn from(u: crate::lex::Unbalanced) -> Self {
        match u {
            crate::lex::Unbalanced::Quote => HeaderError::Unbalanced("quote"),
            crate::lex::Unbalanced::Angle => HeaderError::Unbalanced("angle bracket"),
        }
    }
}

/// Why a URI could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// No `scheme:` prefix.
    #[error("missing scheme")]
    NoScheme,
    /// The scheme contains characters outside RFC 3986 `scheme`.
    #[error("invalid scheme")]
    BadScheme,
    /// The host part is empty or malformed.
    #[error("invalid host")]
    BadHost,
    /// The port is not a number in 0..=65535.
    #[error("invalid port")]
    BadPort,
    /// A character that must be escaped appears literally (for example a space).
    #[error("invalid character {0:?}")]
    BadChar(char),
    /// A `%` escape is not followed by two hex digits.
    #[error("malformed %-escape")]
    BadEscape,
    /// A parameter has an empty name.
    #[error("empty parameter name")]
    EmptyParam,
    /// A tel: number is empty or malformed.
    #[error("invalid telephone number")]
    BadTel,
}
