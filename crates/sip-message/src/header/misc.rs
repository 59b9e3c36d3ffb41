//! Smaller headers: SIP-ETag and SIP-If-Match (RFC 3903), Retry-After, Warning, Subject,
//! Organization, Priority (RFC 3261 §20), Reason (RFC 3326), Privacy (RFC 3323).

use std::borrow::Cow;

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, Params, lex};

use super::{checked_params, split_params, u32_param};

macro_rules! token_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(pub &'a str);

        impl<'a> $ty<'a> {
            /// The entity-tag.
            pub fn as_str(&self) -> &'a str {
                self.0
            }
        }

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            fn decode(value: &'a str) -> Result<Self, HeaderError> {
                let v = lex::trim(value);
                if v.is_empty() {
                    Err(HeaderError::Empty)
                } else if lex::is_token_str(v) {
                    Ok($ty(v))
                } else {
                    Err(HeaderError::Syntax("entity-tag is not a token"))
                }
            }
        }
    };
}

token_header!(
    /// SIP-ETag (RFC 3903 §11.3.1): the entity-tag a presence agent assigned to published state.
    SipETag, SipETag);
token_header!(
    /// SIP-If-Match (RFC 3903 §11.3.2): the entity-tag of the state a PUBLISH refreshes.
    SipIfMatch, SipIfMatch);

/// The Retry-After header (RFC 3261 §20.33): `18000;duration=3600` or `120 (I'm in a meeting)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter<'a> {
    delta: u32,
    comment: Option<&'a str>,
    duration: Option<u32>,
    params: Params<'a>,
}

impl<'a> RetryAfter<'a> {
    /// Seconds to wait before retrying.
    pub fn delta_seconds(&self) -> u32 {
        self.delta
    }

    /// The comment between the outer parentheses, as written.
    pub fn comment(&self) -> Option<&'a str> {
        self.comment
    }

    /// The `duration` parameter: how long the callee will be available, in seconds.
    pub fn duration(&self) -> Option<u32> {
        self.duration
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
}

impl<'a> TypedHeader<'a> for RetryAfter<'a> {
    const NAME: HeaderName = HeaderName::RetryAfter;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let n = v
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(v.len());
        let delta = lex::parse_u32(&v[..n]).ok_or(HeaderError::Number("Retry-After"))?;
        let mut rest = lex::trim_start(&v[n..]);
        let mut comment = None;
        if rest.starts_with('(') {
            let end = lex::comment_end(rest.as_bytes(), 0)
                .ok_or(HeaderError::Unbalanced("parenthesis"))?;
            comment = rest.get(1..end - 1);
            rest = lex::trim_start(&rest[end..]);
        }
        let params = match rest.strip_prefix(';') {
            Some(p) => checked_params(p)?,
            None if rest.is_empty() => Params::EMPTY,
            None => return Err(HeaderError::Syntax("unexpected text in Retry-After")),
        };
        Ok(RetryAfter {
            delta,
            comment,
            duration: u32_param(&params, "duration", "duration")?,
            params,
        })
    }
}

/// One Warning value (RFC 3261 §20.43): `307 isi.edu "Session parameter 'foo' not understood"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Warning<'a> {
    code: u16,
    agent: &'a str,
    text: &'a str,
}

impl<'a> Warning<'a> {
    /// The three-digit warn-code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The warn-agent: a `host[:port]` or a pseudonym.
    pub fn agent(&self) -> &'a str {
        self.agent
    }

    /// The warn-text as written, with its quotes.
    pub fn text_raw(&self) -> &'a str {
        self.text
    }

    /// The warn-text without quotes, quoted-pairs resolved.
    pub fn text(&self) -> Cow<'a, str> {
        lex::dequote(self.text)
    }
}

impl<'a> TypedHeader<'a> for Warning<'a> {
    const NAME: HeaderName = HeaderName::Warning;
    const LIST: bool = true;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let sp = lex::find_lws(v).ok_or(HeaderError::Syntax(
            "Warning needs a code, an agent and a text",
        ))?;
        let code = &v[..sp];
        // Exactly three digits (RFC 4475 scalarlg has 1812).
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HeaderError::Syntax("warn-code is not three digits"));
        }
        let code = lex::parse_u32(code)
            .and_then(|c| u16::try_from(c).ok())
            .ok_or(HeaderError::Number("warn-code"))?;
        let rest = lex::trim_start(&v[sp..]);
        let sp = lex::find_lws(rest).ok_or(HeaderError::Syntax("Warning has no warn-text"))?;
        let agent = &rest[..sp];
        if !agent
            .bytes()
            .all(|b| lex::is_token(b) || matches!(b, b':' | b'[' | b']'))
        {
            return Err(HeaderError::Syntax("warn-agent is not a host or pseudonym"));
        }
        let text = lex::trim(&rest[sp..]);
        if !text.starts_with('"') {
            return Err(HeaderError::Syntax("warn-text is not a quoted string"));
        }
        if !lex::is_quoted_string(text) {
            return Err(match lex::quoted_end(text.as_bytes(), 0) {
                None => HeaderError::Unbalanced("quote"),
                Some(_) => HeaderError::Syntax("text after warn-text"),
            });
        }
        Ok(Warning { code, agent, text })
    }
}

/// Checks free text (`TEXT-UTF8-TRIM`): no control characters other than folding whitespace.
fn check_text(v: &str) -> Result<(), HeaderError> {
    if v.bytes()
        .any(|b| (b < b' ' && !lex::is_lws(b)) || b == 0x7f)
    {
        return Err(HeaderError::Syntax("control character in text"));
    }
    Ok(())
}

macro_rules! text_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(pub &'a str);

        impl<'a> $ty<'a> {
            /// The text, trimmed; folds inside it are kept as received.
            pub fn as_str(&self) -> &'a str {
                self.0
            }
        }

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            fn decode(value: &'a str) -> Result<Self, HeaderError> {
                let v = lex::trim(value);
                check_text(v)?;
                Ok($ty(v))
            }
        }
    };
}

text_header!(
    /// The Subject header (RFC 3261 §20.36). May be empty (RFC 4475 wsinv).
    Subject, Subject);
text_header!(
    /// The Organization header (RFC 3261 §20.25). May be empty.
    Organization, Organization);

/// The Priority header (RFC 3261 §20.26), matched case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority<'a> {
    /// `emergency`
    Emergency,
    /// `urgent`
    Urgent,
    /// `normal`
    Normal,
    /// `non-urgent`
    NonUrgent,
    /// Any other token, as written.
    Other(&'a str),
}

impl<'a> Priority<'a> {
    /// The priority as a string (canonical spelling for the four known values).
    pub fn as_str(&self) -> &'a str {
        match self {
            Priority::Emergency => "emergency",
            Priority::Urgent => "urgent",
            Priority::Normal => "normal",
            Priority::NonUrgent => "non-urgent",
            Priority::Other(s) => s,
        }
    }
}

impl<'a> TypedHeader<'a> for Priority<'a> {
    const NAME: HeaderName = HeaderName::Priority;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        if !lex::is_token_str(v) {
            return Err(HeaderError::Syntax("priority is not a token"));
        }
        Ok([
            ("emergency", Priority::Emergency),
            ("urgent", Priority::Urgent),
            ("normal", Priority::Normal),
            ("non-urgent", Priority::NonUrgent),
        ]
        .into_iter()
        .find(|(n, _)| v.eq_ignore_ascii_case(n))
        .map_or(Priority::Other(v), |(_, p)| p))
    }
}

/// One Reason value (RFC 3326): `SIP;cause=200;text="Call completed elsewhere"` or
/// `Q.850;cause=16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason<'a> {
    protocol: &'a str,
    cause: Option<u16>,
    params: Params<'a>,
}

impl<'a> Reason<'a> {
    /// The protocol (`SIP`, `Q.850`, or another token), as written.
    pub fn protocol(&self) -> &'a str {
        self.protocol
    }

    /// The `cause` parameter.
    pub fn cause(&self) -> Option<u16> {
        self.cause
    }

    /// The `text` parameter without quotes, quoted-pairs resolved.
    pub fn text(&self) -> Option<Cow<'a, str>> {
        self.params.get("text").flatten().map(lex::dequote)
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
}

impl<'a> TypedHeader<'a> for Reason<'a> {
    const NAME: HeaderName = HeaderName::Reason;
    const LIST: bool = true;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let (protocol, params) = split_params(value)?;
        if protocol.is_empty() {
            return Err(HeaderError::Empty);
        }
        if !lex::is_token_str(protocol) {
            return Err(HeaderError::Syntax("Reason protocol is not a token"));
        }
        let cause = match params.get("cause") {
            None => None,
            Some(c) => Some(
                c.and_then(lex::parse_u32)
                    .and_then(|c| u16::try_from(c).ok())
                    .ok_or(HeaderError::Number("cause"))?,
            ),
        };
        if let Some(t) = params.get("text") {
            if !t.is_some_and(lex::is_quoted_string) {
                return Err(HeaderError::Syntax("Reason text is not a quoted string"));
            }
        }
        Ok(Reason {
            protocol,
            cause,
            params,
        })
    }
}

/// The Privacy header (RFC 3323 §4.2): privacy values separated by `;`, such as
/// `id;header;user` or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Privacy<'a>(&'a str);

impl<'a> Privacy<'a> {
    /// The value as written.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The privacy values (`header`, `session`, `user`, `none`, `critical`, `id`, ...).
    pub fn values(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.0.split(';').map(lex::trim)
    }

    /// Whether `value` is among the privacy values (case-insensitive).
    pub fn contains(&self, value: &str) -> bool {
        self.values().any(|v| v.eq_ignore_ascii_case(value))
    }
}

impl<'a> TypedHeader<'a> for Privacy<'a> {
    const NAME: HeaderName = HeaderName::Privacy;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let p = Privacy(v);
        if !p.values().all(lex::is_token_str) {
            return Err(HeaderError::Syntax("privacy value is not a token"));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_tags_are_tokens() {
        assert_eq!(
            SipETag::decode(" dx200xyz ").map(|e| e.as_str()),
            Ok("dx200xyz")
        );
        assert_eq!(SipIfMatch::decode("kwj449x").map(|e| e.0), Ok("kwj449x"));
        assert!(SipETag::decode("").is_err());
        assert!(SipIfMatch::decode("a b").is_err());
        assert!(SipETag::decode("\"quoted\"").is_err());
    }

    #[test]
    fn retry_after_with_comment_and_duration() {
        let r = RetryAfter::decode("18000;duration=3600").expect("valid");
        assert_eq!(r.delta_seconds(), 18000);
        assert_eq!(r.duration(), Some(3600));
        assert_eq!(r.comment(), None);
        let r = RetryAfter::decode("120 (I'm in a meeting; (really)) ;x=1").expect("valid");
        assert_eq!(r.delta_seconds(), 120);
        assert_eq!(r.comment(), Some("I'm in a meeting; (really)"));
        assert_eq!(r.params().get("x"), Some(Some("1")));
        assert_eq!(RetryAfter::decode("0").map(|r| r.delta_seconds()), Ok(0));
    }

    #[test]
    fn malformed_retry_after_is_rejected() {
        for bad in [
            "",
            // RFC 4475 §3.1.2.5 scalarlg.
            "949302838503028349304023988",
            "4294967296",
            "abc",
            "-1",
            "120 (unclosed",
            "120 junk",
            "120;duration=x",
            "120;duration",
            "120;",
            "(comment)",
        ] {
            assert!(RetryAfter::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn warning_parts() {
        let w = Warning::decode(r#"307 isi.edu "Session parameter 'foo' not understood""#)
            .expect("valid");
        assert_eq!(w.code(), 307);
        assert_eq!(w.agent(), "isi.edu");
        assert_eq!(w.text(), "Session parameter 'foo' not understood");
        let w = Warning::decode(r#"399 [2001:db8::1]:5060 "a \"b\"""#).expect("valid");
        assert_eq!(w.agent(), "[2001:db8::1]:5060");
        assert_eq!(w.text(), r#"a "b""#);
        assert_eq!(w.text_raw(), r#""a \"b\"""#);
    }

    #[test]
    fn malformed_warnings_are_rejected() {
        // RFC 4475 §3.1.2.5 scalarlg: a four-digit warn-code.
        assert_eq!(
            Warning::decode(r#"1812 overture "In Progress""#),
            Err(HeaderError::Syntax("warn-code is not three digits"))
        );
        assert_eq!(
            Warning::decode(r#"399 host "unterminated"#),
            Err(HeaderError::Unbalanced("quote"))
        );
        for bad in [
            "",
            "399",
            "399 host",
            "399 host text",
            r#"39 host "t""#,
            r#"3x9 host "t""#,
            r#"399 ho/st "t""#,
            r#"399 host "t" extra"#,
        ] {
            assert!(Warning::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subject_and_organization_are_free_text() {
        assert_eq!(Subject::decode("").map(|s| s.as_str()), Ok(""));
        assert_eq!(
            Subject::decode("  Project X, status \"ok\" ").map(|s| s.0),
            Ok("Project X, status \"ok\"")
        );
        assert_eq!(
            Organization::decode("Boxes by Bob").map(|o| o.as_str()),
            Ok("Boxes by Bob")
        );
        assert!(Subject::decode("a\u{0}b").is_err());
        assert!(Organization::decode("a\u{7f}b").is_err());
    }

    #[test]
    fn priority_values() {
        assert_eq!(Priority::decode("emergency"), Ok(Priority::Emergency));
        assert_eq!(Priority::decode("Non-Urgent"), Ok(Priority::NonUrgent));
        assert_eq!(Priority::decode("urgent").map(|p| p.as_str()), Ok("urgent"));
        assert_eq!(Priority::decode("normal"), Ok(Priority::Normal));
        assert_eq!(Priority::decode("x-low"), Ok(Priority::Other("x-low")));
        assert!(Priority::decode("").is_err());
        assert!(Priority::decode("very urgent").is_err());
    }

    #[test]
    fn reason_protocol_cause_and_text() {
        let r =
            Reason::decode(r#"SIP ;cause=200 ;text="Call completed elsewhere""#).expect("valid");
        assert_eq!(r.protocol(), "SIP");
        assert_eq!(r.cause(), Some(200));
        assert_eq!(r.text().as_deref(), Some("Call completed elsewhere"));
        let r = Reason::decode("Q.850;cause=16").expect("valid");
        assert_eq!(r.protocol(), "Q.850");
        assert_eq!(r.text(), None);
        let r = Reason::decode(r#"SIP;text="a;b\"c""#).expect("valid");
        assert_eq!(r.cause(), None);
        assert_eq!(r.text().as_deref(), Some(r#"a;b"c"#));
    }

    #[test]
    fn malformed_reasons_are_rejected() {
        for bad in [
            "",
            ";cause=1",
            "SIP;cause=abc",
            "SIP;cause=70000",
            "SIP;cause",
            "SIP;text=unquoted",
            r#"SIP;text="open"#,
            "S I P;cause=1",
        ] {
            assert!(Reason::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn privacy_values_split_on_semicolons() {
        let p = Privacy::decode("id; header ;user").expect("valid");
        assert_eq!(p.values().collect::<Vec<_>>(), ["id", "header", "user"]);
        assert!(p.contains("HEADER"));
        assert!(!p.contains("none"));
        for bad in ["", "id;", ";id", "id;;user", "id,user", "i d"] {
            assert!(Privacy::decode(bad).is_err(), "{bad:?}");
        }
    }
}
