//! `name-addr / addr-spec` (RFC 3261 §25.1) and the headers built on it.

use std::borrow::Cow;

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, Params, Uri, lex};

/// A display name and URI with header parameters: the value of From, To, Contact, Route,
/// Record-Route, Path, Refer-To and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    display: Option<&'a str>,
    uri: Uri<'a>,
    params: Params<'a>,
    bracketed: bool,
}

impl<'a> NameAddr<'a> {
    /// Parses a `name-addr` or `addr-spec` followed by header parameters.
    ///
    /// Without `<>`, everything after the first `;` is a header parameter (RFC 3261 §20, RFC
    /// 4475 cparam01), and a `?` or `,` in the URI is an error (RFC 4475 regbadct).
    pub fn parse(value: &'a str) -> Result<NameAddr<'a>, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let b = v.as_bytes();
        let (display, open) = if b[0] == b'"' {
            let end = lex::quoted_end(b, 0).ok_or(HeaderError::Unbalanced("quote"))?;
            let open = lex::skip_lws(b, end);
            if b.get(open) != Some(&b'<') {
                return Err(HeaderError::Syntax("quoted display name not followed by <"));
            }
            (Some(&v[..end]), Some(open))
        } else {
            match lex::find_byte(v, b'<') {
                Some(open) => {
                    let name = lex::trim(&v[..open]);
                    // An unquoted display name is *(token LWS) (RFC 4475 baddn).
                    let words_ok = name.bytes().all(|b| lex::is_token(b) || lex::is_lws(b));
                    if !words_ok {
                        return Err(HeaderError::Syntax(
                            "display name has characters that need quoting",
                        ));
                    }
                    ((!name.is_empty()).then_some(name), Some(open))
                }
                None => (None, None),
            }
        };
        match open {
            Some(open) => {
                let close = lex::find_byte(&v[open..], b'>')
                    .map(|c| open + c)
                    .ok_or(HeaderError::Unbalanced("angle bracket"))?;
                let uri = Uri::parse(&v[open + 1..close])?;
                let rest = lex::trim(&v[close + 1..]);
                let params = match rest.strip_prefix(';') {
                    Some(p) => Params::new(p),
                    None if rest.is_empty() => Params::EMPTY,
                    None => return Err(HeaderError::Syntax("unexpected text after >")),
                };
                Ok(NameAddr {
                    display,
                    uri,
                    params,
                    bracketed: true,
                })
            }
            None => {
                let (uri_raw, params) = match lex::find_byte(v, b';') {
                    Some(i) => (lex::trim(&v[..i]), Params::new(&v[i + 1..])),
                    None => (v, Params::EMPTY),
                };
                if uri_raw.contains(['?', ',']) {
                    return Err(HeaderError::Syntax(
                        "URI with '?' or ',' must be enclosed in <>",
                    ));
                }
                let uri = Uri::parse(uri_raw)?;
                Ok(NameAddr {
                    display: None,
                    uri,
                    params,
                    bracketed: false,
                })
            }
        }
    }

    /// Checks the header parameters' grammar (names tokens, values tokens or quoted strings).
    /// [`crate::Message::validate`] calls it; decoding alone does not.
    pub fn check_params(&self) -> Result<(), HeaderError> {
        self.params.check().map_err(HeaderError::from)
    }

    /// The display name as written (quotes included if it was quoted).
    pub fn display_name_raw(&self) -> Option<&'a str> {
        self.display
    }

    /// The display name with quotes and quoted-pairs removed.
    pub fn display_name(&self) -> Option<Cow<'a, str>> {
        self.display.map(
            |d| match d.strip_prefix('"').and_then(|d| d.strip_suffix('"')) {
                Some(inner) => lex::unquote(inner),
                None => Cow::Borrowed(d),
            },
        )
    }

    /// The URI.
    pub fn uri(&self) -> Uri<'a> {
        self.uri
    }

    /// The header parameters (after the URI or after `>`).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&'a str> {
        self.params.get("tag").flatten()
    }

    /// Whether the URI was written inside `<>`.
    pub fn is_bracketed(&self) -> bool {
        self.bracketed
    }
}

macro_rules! name_addr_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $list:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty<'a>(pub NameAddr<'a>);

        impl<'a> std::ops::Deref for $ty<'a> {
            type Target = NameAddr<'a>;
            fn deref(&self) -> &NameAddr<'a> {
                &self.0
            }
        }

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            const LIST: bool = $list;
            fn decode(value: &'a str) -> Result<Self, HeaderError> {
                NameAddr::parse(value).map($ty)
            }
        }
    };
}

name_addr_header!(
    /// The From header (RFC 3261 §20.20).
    From, From, false);
name_addr_header!(
    /// The To header (RFC 3261 §20.39).
    To, To, false);
name_addr_header!(
    /// One Route value (RFC 3261 §20.34).
    Route, Route, true);
name_addr_header!(
    /// One Record-Route value (RFC 3261 §20.30).
    RecordRoute, RecordRoute, true);
name_addr_header!(
    /// One Path value (RFC 3327).
    Path, Path, true);
name_addr_header!(
    /// The Refer-To header (RFC 3515).
    ReferTo, ReferTo, false);
name_addr_header!(
    /// The Referred-By header (RFC 3892).
    ReferredBy, ReferredBy, false);
name_addr_header!(
    /// One P-Asserted-Identity value (RFC 3325).
    PAssertedIdentity, PAssertedIdentity, true);

/// One Contact value (RFC 3261 §20.10): an address, or `*` in a REGISTER that removes all
/// bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `Contact: *`
    Wildcard,
    /// An address with its parameters.
    Addr(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// The address, unless this is the wildcard.
    pub fn addr(&self) -> Option<&NameAddr<'a>> {
        match self {
            Contact::Wildcard => None,
            Contact::Addr(a) => Some(a),
        }
    }

    /// The `expires` parameter, if present and valid.
    pub fn expires(&self) -> Option<Result<u32, HeaderError>> {
        let v = self.addr()?.params().get("expires")?;
        Some(
            v.and_then(lex::parse_u32)
                .ok_or(HeaderError::Number("expires")),
        )
    }

    /// The `q` parameter as thousandths (q=0.5 gives 500), if present and valid.
    pub fn q(&self) -> Option<Result<u16, HeaderError>> {
        let v = self.addr()?.params().get("q")?;
        Some(v.and_then(parse_qvalue).ok_or(HeaderError::Number("q")))
    }
}

impl<'a> TypedHeader<'a> for Contact<'a> {
    const NAME: HeaderName = HeaderName::Contact;
    const LIST: bool = true;
    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        if lex::trim(value) == "*" {
            return Ok(Contact::Wildcard);
        }
        NameAddr::parse(value).map(Contact::Addr)
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
pub(crate) fn parse_qvalue(s: &str) -> Option<u16> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths = 0u16;
    for (i, d) in frac.bytes().enumerate() {
        thousandths += u16::from(d - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_display_name_with_escapes() {
        let n = NameAddr::parse(r#""J Rosenberg \\\"" <sip:jdrosen@example.com>;tag=98asjd8"#)
            .expect("valid");
        assert_eq!(n.display_name().as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(n.uri().user(), Some("jdrosen"));
        assert_eq!(n.tag(), Some("98asjd8"));
    }

    #[test]
    fn no_space_between_display_name_and_bracket() {
        let n = NameAddr::parse("caller<sip:caller@example.com>;tag=323").expect("valid");
        assert_eq!(n.display_name().as_deref(), Some("caller"));
        assert_eq!(n.tag(), Some("323"));
    }

    #[test]
    fn addr_spec_params_belong_to_the_header() {
        let n = NameAddr::parse("sip:user@host;unknownparam").expect("valid");
        assert!(n.uri().params().is_empty());
        assert!(n.params().contains("unknownparam"));
        let n = NameAddr::parse("<sip:user@host;unknownparam>").expect("valid");
        assert!(n.uri().params().contains("unknownparam"));
        assert!(n.params().is_empty());
    }

    #[test]
    fn malformed_name_addrs_are_rejected() {
        assert!(NameAddr::parse(r#""Mr. J. User <sip:j.user@example.com>"#).is_err());
        assert!(NameAddr::parse("Bell, Alexander <sip:a.g.bell@example.com>").is_err());
        assert!(NameAddr::parse("< sip:t.watson@example.org >").is_err());
        assert!(NameAddr::parse("sip:user@example.com?Route=%3Csip:example.com%3E").is_err());
        assert!(NameAddr::parse("<sip:user@example.com>=token").is_err());
        assert!(NameAddr::parse("<sip:user@example.com").is_err());
        assert!(NameAddr::parse("").is_err());
    }

    #[test]
    fn qvalues_parse_to_thousandths() {
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("0.123"), Some(123));
        assert_eq!(parse_qvalue("1.5"), None);
        assert_eq!(parse_qvalue("0.1234"), None);
    }
}
