//! Auth-params (RFC 3261 §25.1 `auth-param`, RFC 7235 §2.1) and Digest algorithms (RFC 7616,
//! RFC 8760): the comma-separated `name=value` lists of the authentication headers.

use std::borrow::Cow;

use crate::{HeaderError, lex};

/// A Digest `algorithm` value (RFC 7616 §3.3, RFC 8760 §2), matched case-insensitively.
/// When a Digest challenge or response has no `algorithm`, MD5 applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm<'a> {
    /// `MD5`
    Md5,
    /// `MD5-sess`
    Md5Sess,
    /// `SHA-256`
    Sha256,
    /// `SHA-256-sess`
    Sha256Sess,
    /// `SHA-512-256`
    Sha512_256,
    /// `SHA-512-256-sess`
    Sha512_256Sess,
    /// Any other token, as written.
    Other(&'a str),
}

impl<'a> Algorithm<'a> {
    /// Reads an algorithm name (case-insensitive).
    pub fn parse(s: &'a str) -> Algorithm<'a> {
        const KNOWN: [(&str, Algorithm<'static>); 6] = [
            ("MD5", Algorithm::Md5),
            ("MD5-sess", Algorithm::Md5Sess),
            ("SHA-256", Algorithm::Sha256),
            ("SHA-256-sess", Algorithm::Sha256Sess),
            ("SHA-512-256", Algorithm::Sha512_256),
            ("SHA-512-256-sess", Algorithm::Sha512_256Sess),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| s.eq_ignore_ascii_case(name))
            .map_or(Algorithm::Other(s), |(_, a)| *a)
    }

    /// The canonical spelling (or the text as written, for [`Algorithm::Other`]).
    pub fn as_str(&self) -> &'a str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
            Algorithm::Other(s) => s,
        }
    }

    /// Whether this is a `-sess` variant, whose HA1 also covers the nonce and cnonce.
    pub fn is_session(&self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }
}

/// One `name=value` auth-param.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthParam<'a> {
    name: &'a str,
    raw: &'a str,
}

impl<'a> AuthParam<'a> {
    /// The parameter name as written.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The value as written: a token, or a quoted string with its quotes.
    pub fn raw_value(&self) -> &'a str {
        self.raw
    }

    /// Whether the value was written as a quoted string.
    pub fn is_quoted(&self) -> bool {
        self.raw.starts_with('"')
    }

    /// The value without quotes, quoted-pairs resolved.
    pub fn value(&self) -> Cow<'a, str> {
        lex::dequote(self.raw)
    }

    /// The value without its quotes but with quoted-pairs left as written (for tokens that some
    /// peers quote, like `algorithm` or `qop`).
    pub(super) fn bare(&self) -> &'a str {
        self.raw
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(self.raw)
    }

    fn parse(item: &'a str) -> Result<AuthParam<'a>, HeaderError> {
        if item.is_empty() {
            return Err(HeaderError::Syntax("empty auth-param"));
        }
        let eq = item
            .find('=')
            .ok_or(HeaderError::Syntax("auth-param without '='"))?;
        let name = lex::trim(&item[..eq]);
        if !lex::is_token_str(name) {
            return Err(HeaderError::Syntax("auth-param name is not a token"));
        }
        let raw = lex::trim(&item[eq + 1..]);
        if raw.starts_with('"') {
            match lex::quoted_end(raw.as_bytes(), 0) {
                None => return Err(HeaderError::Unbalanced("quote")),
                Some(end) if end != raw.len() => {
                    return Err(HeaderError::Syntax("text after quoted auth-param value"));
                }
                Some(_) => {}
            }
        } else if raw.is_empty() {
            return Err(HeaderError::Syntax("empty auth-param value"));
        } else if !lex::is_token_str(raw) {
            return Err(HeaderError::Syntax(
                "auth-param value is neither a token nor a quoted string",
            ));
        }
        Ok(AuthParam { name, raw })
    }
}

/// A comma-separated list of auth-params, read on demand. Names match case-insensitively and
/// the first occurrence wins; Digest parameters may not appear twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthParams<'a> {
    raw: &'a str,
}

/// Parameters of RFC 7616 that may appear at most once per value.
const DIGEST_PARAMS: [&str; 16] = [
    "username",
    "username*",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "cnonce",
    "opaque",
    "qop",
    "nc",
    "userhash",
    "stale",
    "domain",
    "nextnonce",
    "rspauth",
];

impl<'a> AuthParams<'a> {
    /// Checks a whole list: at least one parameter, each `token = (token / quoted-string)`.
    pub(super) fn parse(raw: &'a str) -> Result<AuthParams<'a>, HeaderError> {
        if lex::trim(raw).is_empty() {
            return Err(HeaderError::Empty);
        }
        for item in lex::split_commas(raw) {
            AuthParam::parse(item?)?;
        }
        let params = AuthParams { raw };
        for name in DIGEST_PARAMS {
            if params
                .iter()
                .filter(|p| p.name.eq_ignore_ascii_case(name))
                .nth(1)
                .is_some()
            {
                return Err(HeaderError::Syntax("Digest parameter appears twice"));
            }
        }
        if let Some(nc) = params.get("nc") {
            if parse_nc(nc.bare()).is_none() {
                return Err(HeaderError::Number("nc"));
            }
        }
        Ok(params)
    }

    /// The list as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// Iterates the parameters in order.
    pub fn iter(&self) -> AuthParamIter<'a> {
        AuthParamIter {
            split: (!self.raw.is_empty()).then(|| lex::split_commas(self.raw)),
        }
    }

    /// The first parameter named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<AuthParam<'a>> {
        self.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The unquoted value of the first parameter named `name`.
    pub fn value(&self, name: &str) -> Option<Cow<'a, str>> {
        self.get(name).map(|p| p.value())
    }
}

impl<'a> IntoIterator for AuthParams<'a> {
    type Item = AuthParam<'a>;
    type IntoIter = AuthParamIter<'a>;
    fn into_iter(self) -> AuthParamIter<'a> {
        self.iter()
    }
}

/// Iterator returned by [`AuthParams::iter`].
pub struct AuthParamIter<'a> {
    split: Option<lex::CommaSplit<'a>>,
}

impl<'a> Iterator for AuthParamIter<'a> {
    type Item = AuthParam<'a>;

    fn next(&mut self) -> Option<AuthParam<'a>> {
        let item = self.split.as_mut()?.next();
        match item.map(|i| i.ok().and_then(|i| AuthParam::parse(i).ok())) {
            Some(Some(p)) => Some(p),
            _ => {
                self.split = None;
                None
            }
        }
    }
}

/// `nc-value = 8LHEX` (RFC 7616 §3.4; upper case is accepted too).
pub(super) fn parse_nc(s: &str) -> Option<u32> {
    if s.len() == 8 {
        lex::parse_hex_u32(s)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_of_rfc_7616_and_8760_are_recognised() {
        for (s, a) in [
            ("md5", Algorithm::Md5),
            ("MD5-SESS", Algorithm::Md5Sess),
            ("SHA-256", Algorithm::Sha256),
            ("SHA-256-sess", Algorithm::Sha256Sess),
            ("SHA-512-256", Algorithm::Sha512_256),
            ("SHA-512-256-sess", Algorithm::Sha512_256Sess),
            ("AKAv1-MD5", Algorithm::Other("AKAv1-MD5")),
        ] {
            assert_eq!(Algorithm::parse(s), a);
        }
        assert_eq!(Algorithm::Sha512_256.as_str(), "SHA-512-256");
    }

    #[test]
    fn auth_param_values_keep_or_drop_quotes() {
        let p = AuthParams::parse(r#"a=tok, b = "q\"x" ,c="""#).expect("valid");
        let all: Vec<_> = p.iter().collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].name(), "a");
        assert!(!all[0].is_quoted());
        assert_eq!(all[1].raw_value(), r#""q\"x""#);
        assert_eq!(all[1].value(), r#"q"x"#);
        assert_eq!(p.value("C").as_deref(), Some(""));
        assert_eq!(p.as_str(), r#"a=tok, b = "q\"x" ,c="""#);
    }

    #[test]
    fn nonce_count_is_exactly_eight_hex_digits() {
        assert_eq!(parse_nc("0000000a"), Some(10));
        assert_eq!(parse_nc("0000000A"), Some(10));
        assert_eq!(parse_nc("a"), None);
        assert!(AuthParams::parse("nc=0000000a").is_ok());
        assert_eq!(
            AuthParams::parse("nc=4294967296"),
            Err(HeaderError::Number("nc"))
        );
    }
}
