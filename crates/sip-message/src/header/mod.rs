//! Typed headers, decoded on demand with [`crate::Headers::typed`] and
//! [`crate::Headers::typed_all`]. Each type borrows from the message; none allocates.
//!
//! List headers (Via, Contact, Route, Allow, ...) decode one element at a time.

mod auth;
mod auth_params;
mod cseq;
mod date;
mod event;
mod media;
mod misc;
mod name_addr;
mod product;
mod session;
mod via;

pub use auth::{
    AuthenticationInfo, Authorization, Challenge, Credentials, ProxyAuthenticate,
    ProxyAuthorization, WwwAuthenticate,
};
pub use auth_params::{Algorithm, AuthParam, AuthParamIter, AuthParams};
pub use cseq::CSeq;
pub use date::{Date, Timestamp, Weekday};
pub use event::{AllowEvents, Event, EventType, SubState, SubscriptionState};
pub use media::{Accept, ContentType};
pub use misc::{
    Organization, Priority, Privacy, Reason, RetryAfter, SipETag, SipIfMatch, Subject, Warning,
};
pub use name_addr::{
    Contact, From, NameAddr, PAssertedIdentity, Path, RecordRoute, ReferTo, ReferredBy, Route, To,
};
pub use product::{Product, ProductIter, Server, UserAgent};
pub use session::{MinSe, RAck, ReferSub, Refresher, Replaces, SessionExpires};
pub use via::{BRANCH_MAGIC, Via};

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, Params, lex};

/// Checks a `;`-separated parameter list (without its leading `;`): quotes closed, every name
/// a token, every value a token or quoted string.
pub(crate) fn checked_params(raw: &str) -> Result<Params<'_>, HeaderError> {
    if lex::trim(raw).is_empty() {
        return Err(HeaderError::Syntax("empty parameter after ';'"));
    }
    lex::check_balanced(raw.as_bytes())?;
    let params = Params::new(raw);
    params
        .check()
        .map_err(|_| HeaderError::Syntax("malformed parameter"))?;
    Ok(params)
}

/// Splits `head ;params` at the first `;`, trimming the head and checking the parameters.
pub(crate) fn split_params(v: &str) -> Result<(&str, Params<'_>), HeaderError> {
    match v.find(';') {
        Some(i) => Ok((lex::trim(&v[..i]), checked_params(&v[i + 1..])?)),
        None => Ok((lex::trim(v), Params::EMPTY)),
    }
}

/// Reads an optional numeric parameter: `Ok(None)` if absent, an error if present but not a
/// `u32` (or without value).
pub(crate) fn u32_param(
    params: &Params<'_>,
    name: &str,
    what: &'static str,
) -> Result<Option<u32>, HeaderError> {
    match params.get(name) {
        None => Ok(None),
        Some(v) => v
            .and_then(lex::parse_u32)
            .map(Some)
            .ok_or(HeaderError::Number(what)),
    }
}

macro_rules! number_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(pub u32);

        impl<'a> TypedHeader<'a> for $ty {
            const NAME: HeaderName = HeaderName::$name;
            fn decode(value: &'a str) -> Result<Self, HeaderError> {
                lex::parse_u32(lex::trim(value)).map($ty).ok_or(HeaderError::Number($what))
            }
        }
    };
}

/// Max-Forwards (RFC 3261 §20.22): 0 to 255 (§8.1.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MaxForwards(pub u8);

impl<'a> TypedHeader<'a> for MaxForwards {
    const NAME: HeaderName = HeaderName::MaxForwards;
    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        lex::parse_u32(lex::trim(value))
            .and_then(|v| u8::try_from(v).ok())
            .map(MaxForwards)
            .ok_or(HeaderError::Number("Max-Forwards"))
    }
}
number_header!(
    /// Content-Length (RFC 3261 §20.14).
    ContentLength, ContentLength, "Content-Length");
number_header!(
    /// Expires, in seconds (RFC 3261 §20.19).
    Expires, Expires, "Expires");
number_header!(
    /// Min-Expires, in seconds (RFC 3261 §20.23).
    MinExpires, MinExpires, "Min-Expires");
number_header!(
    /// RSeq (RFC 3262).
    RSeq, RSeq, "RSeq");

macro_rules! token_list_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(pub &'a str);

        impl<'a> $ty<'a> {
            /// The token.
            pub fn as_str(&self) -> &'a str {
                self.0
            }
        }

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            const LIST: bool = true;
            fn decode(value: &'a str) -> Result<Self, HeaderError> {
                let v = lex::trim(value);
                if lex::is_token_str(v) {
                    Ok($ty(v))
                } else if v.is_empty() {
                    Err(HeaderError::Empty)
                } else {
                    Err(HeaderError::Syntax("not a token"))
                }
            }
        }
    };
}

token_list_header!(
    /// One method of Allow (RFC 3261 §20.5).
    Allow, Allow);
token_list_header!(
    /// One option tag of Supported (RFC 3261 §20.37).
    Supported, Supported);
token_list_header!(
    /// One option tag of Require (RFC 3261 §20.32).
    Require, Require);
token_list_header!(
    /// One option tag of Proxy-Require (RFC 3261 §20.29).
    ProxyRequire, ProxyRequire);
token_list_header!(
    /// One option tag of Unsupported (RFC 3261 §20.40).
    Unsupported, Unsupported);

/// Call-ID (RFC 3261 §20.8): `word [ "@" word ]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallId<'a>(pub &'a str);

impl<'a> TypedHeader<'a> for CallId<'a> {
    const NAME: HeaderName = HeaderName::CallId;
    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        if v.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(HeaderError::Syntax(
                "Call-ID contains whitespace or control characters",
            ));
        }
        Ok(CallId(v))
    }
}
