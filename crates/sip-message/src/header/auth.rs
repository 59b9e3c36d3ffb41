//! Authentication headers: Authorization and Proxy-Authorization (credentials),
//! WWW-Authenticate and Proxy-Authenticate (challenges), Authentication-Info
//! (RFC 3261 §20.6, §20.7, §20.27, §20.28, §20.44; Digest per RFC 7616 and RFC 8760).
//!
//! None of these is a list header: their commas separate the parameters of one value. Quoted
//! values are returned without their quotes, with quoted-pairs resolved (which only allocates
//! when a value contains a backslash).

use std::borrow::Cow;

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, lex};

use super::auth_params::{Algorithm, AuthParam, AuthParams, parse_nc};

/// `token68` (RFC 7235 §2.1), the single-blob form used by schemes such as Bearer (RFC 8898).
fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// `auth-scheme LWS (token68 / auth-param *(COMMA auth-param))`, shared by credentials and
/// challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SchemeAndParams<'a> {
    scheme: &'a str,
    params: AuthParams<'a>,
    token68: Option<&'a str>,
}

impl<'a> SchemeAndParams<'a> {
    fn parse(value: &'a str) -> Result<SchemeAndParams<'a>, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let (scheme, rest) = lex::split_token(v);
        if scheme.is_empty() {
            return Err(HeaderError::Syntax("auth-scheme is not a token"));
        }
        if rest.is_empty() {
            return Err(HeaderError::Syntax("auth-scheme without parameters"));
        }
        if !rest.starts_with(lex::is_lws_char) {
            return Err(HeaderError::Syntax("no whitespace after auth-scheme"));
        }
        let rest = lex::trim(rest);
        // Digest always sends parameters, so `Digest username=` is an empty value, not a blob.
        if !scheme.eq_ignore_ascii_case("Digest") && is_token68(rest) {
            return Ok(SchemeAndParams {
                scheme,
                params: AuthParams::default(),
                token68: Some(rest),
            });
        }
        Ok(SchemeAndParams {
            scheme,
            params: AuthParams::parse(rest)?,
            token68: None,
        })
    }
}

/// Accessors shared by credentials, challenges and Authentication-Info.
macro_rules! quoted_accessors {
    ($($(#[$doc:meta])* $fn:ident => $param:literal;)*) => {
        $(
            $(#[$doc])*
            pub fn $fn(&self) -> Option<Cow<'a, str>> {
                self.params().value($param)
            }
        )*
    };
}

/// The credentials of an Authorization or Proxy-Authorization header: an auth-scheme and
/// its parameters, e.g. `Digest username="bob", realm="atlanta.example.com", ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials<'a>(SchemeAndParams<'a>);

impl<'a> Credentials<'a> {
    /// Parses credentials. Any scheme is accepted (RFC 4475 regaut01).
    pub fn parse(value: &'a str) -> Result<Credentials<'a>, HeaderError> {
        SchemeAndParams::parse(value).map(Credentials)
    }

    /// The auth-scheme as written (`Digest`, or any other token).
    pub fn scheme(&self) -> &'a str {
        self.0.scheme
    }

    /// Whether the scheme is Digest (case-insensitive).
    pub fn is_digest(&self) -> bool {
        self.0.scheme.eq_ignore_ascii_case("Digest")
    }

    /// The token68 blob, for schemes that send one instead of parameters (`Bearer abc.def`).
    pub fn token68(&self) -> Option<&'a str> {
        self.0.token68
    }

    /// All parameters (empty for the token68 form).
    pub fn params(&self) -> AuthParams<'a> {
        self.0.params
    }

    /// The unquoted value of the parameter named `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.0.params.value(name)
    }

    quoted_accessors! {
        /// `username`
        username => "username";
        /// `realm`
        realm => "realm";
        /// `nonce`
        nonce => "nonce";
        /// `uri` (the digest-uri, compared with the Request-URI)
        uri => "uri";
        /// `response`, the request digest
        response => "response";
        /// `cnonce`
        cnonce => "cnonce";
        /// `opaque`
        opaque => "opaque";
        /// `qop`, the single quality of protection chosen by the client
        qop => "qop";
    }

    /// `algorithm`; absent means MD5 for Digest.
    pub fn algorithm(&self) -> Option<Algorithm<'a>> {
        self.0
            .params
            .get("algorithm")
            .map(|p| Algorithm::parse(p.bare()))
    }

    /// `nc`, the nonce count (eight hex digits, checked when decoding).
    pub fn nc(&self) -> Option<u32> {
        self.0.params.get("nc").and_then(|p| parse_nc(p.bare()))
    }

    /// `userhash=true` (RFC 7616 §3.4.4): the username is hashed. Case-insensitive.
    pub fn userhash(&self) -> bool {
        is_true(self.0.params.get("userhash"))
    }
}

/// A challenge of a WWW-Authenticate or Proxy-Authenticate header:
/// `Digest realm="atlanta.example.com", nonce="...", qop="auth", algorithm=SHA-256`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge<'a>(SchemeAndParams<'a>);

impl<'a> Challenge<'a> {
    /// Parses a challenge. Any scheme is accepted.
    pub fn parse(value: &'a str) -> Result<Challenge<'a>, HeaderError> {
        SchemeAndParams::parse(value).map(Challenge)
    }

    /// The auth-scheme as written.
    pub fn scheme(&self) -> &'a str {
        self.0.scheme
    }

    /// Whether the scheme is Digest (case-insensitive).
    pub fn is_digest(&self) -> bool {
        self.0.scheme.eq_ignore_ascii_case("Digest")
    }

    /// The token68 blob, for schemes that send one instead of parameters.
    pub fn token68(&self) -> Option<&'a str> {
        self.0.token68
    }

    /// All parameters (empty for the token68 form).
    pub fn params(&self) -> AuthParams<'a> {
        self.0.params
    }

    /// The unquoted value of the parameter named `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.0.params.value(name)
    }

    quoted_accessors! {
        /// `realm`
        realm => "realm";
        /// `nonce`
        nonce => "nonce";
        /// `opaque`, returned unchanged by the client
        opaque => "opaque";
        /// `domain`: space-separated URIs of the protection space, as one string
        domain => "domain";
    }

    /// `stale=true` (case-insensitive): the nonce expired but the credentials were good.
    pub fn stale(&self) -> bool {
        is_true(self.0.params.get("stale"))
    }

    /// `algorithm`; absent means MD5 for Digest.
    pub fn algorithm(&self) -> Option<Algorithm<'a>> {
        self.0
            .params
            .get("algorithm")
            .map(|p| Algorithm::parse(p.bare()))
    }

    /// The `qop` options offered, e.g. `auth` and `auth-int` from `qop="auth,auth-int"`.
    /// Empty if the challenge has no `qop`.
    pub fn qop_options(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .params
            .get("qop")
            .map(|p| p.bare())
            .unwrap_or("")
            .split(',')
            .map(lex::trim)
            .filter(|q| !q.is_empty())
    }

    /// `userhash=true` (RFC 7616 §3.3): the server supports hashed usernames.
    pub fn userhash(&self) -> bool {
        is_true(self.0.params.get("userhash"))
    }
}

fn is_true(p: Option<AuthParam<'_>>) -> bool {
    p.is_some_and(|p| p.bare().eq_ignore_ascii_case("true"))
}

macro_rules! auth_header {
    ($(#[$doc:meta])* $ty:ident($inner:ident), $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty<'a>(pub $inner<'a>);

        impl<'a> std::ops::Deref for $ty<'a> {
            type Target = $inner<'a>;
            fn deref(&self) -> &$inner<'a> {
                &self.0
            }
        }

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            fn decode(value: &'a str) -> Result<Self, HeaderError> {
                $inner::parse(value).map($ty)
            }
        }
    };
}

auth_header!(
    /// The Authorization header (RFC 3261 §20.7): credentials for a UAS or registrar.
    Authorization(Credentials), Authorization);
auth_header!(
    /// The Proxy-Authorization header (RFC 3261 §20.28): credentials for a proxy.
    ProxyAuthorization(Credentials), ProxyAuthorization);
auth_header!(
    /// The WWW-Authenticate header (RFC 3261 §20.44), one challenge per header line.
    WwwAuthenticate(Challenge), WwwAuthenticate);
auth_header!(
    /// The Proxy-Authenticate header (RFC 3261 §20.27), one challenge per header line.
    ProxyAuthenticate(Challenge), ProxyAuthenticate);

/// The Authentication-Info header (RFC 3261 §20.6, RFC 7616 §3.5): parameters without a
/// scheme, e.g. `nextnonce="47364c23432d2e131a5fb210812c", qop=auth, nc=00000001`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthenticationInfo<'a> {
    params: AuthParams<'a>,
}

impl<'a> AuthenticationInfo<'a> {
    /// All parameters.
    pub fn params(&self) -> AuthParams<'a> {
        self.params
    }

    /// The unquoted value of the parameter named `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params.value(name)
    }

    quoted_accessors! {
        /// `nextnonce`, the nonce to use for the next request
        nextnonce => "nextnonce";
        /// `qop`
        qop => "qop";
        /// `rspauth`, the response digest proving the server knows the secret
        rspauth => "rspauth";
        /// `cnonce`
        cnonce => "cnonce";
    }

    /// `nc`, the nonce count (eight hex digits, checked when decoding).
    pub fn nc(&self) -> Option<u32> {
        self.params.get("nc").and_then(|p| parse_nc(p.bare()))
    }
}

impl<'a> TypedHeader<'a> for AuthenticationInfo<'a> {
    const NAME: HeaderName = HeaderName::AuthenticationInfo;
    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        AuthParams::parse(lex::trim(value)).map(|params| AuthenticationInfo { params })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3665 §2.1 (REGISTER with Digest), with the SHA-256 algorithm of RFC 8760.
    const DIGEST: &str = r#"Digest username="bob", realm="atlanta.example.com",
 nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="",
 uri="sips:ss2.biloxi.example.com", algorithm=sha-256, qop=auth, nc=0000001a,
 cnonce="0a4f113b",
 response="dfe56131d1958046689d83306477ecc""#;

    #[test]
    fn digest_credentials_expose_every_standard_parameter() {
        let a = Authorization::decode(DIGEST).expect("valid");
        assert!(a.is_digest());
        assert_eq!(a.scheme(), "Digest");
        assert_eq!(a.username().as_deref(), Some("bob"));
        assert_eq!(a.realm().as_deref(), Some("atlanta.example.com"));
        assert_eq!(
            a.nonce().as_deref(),
            Some("ea9c8e88df84f1cec4341ae6cbe5a359")
        );
        assert_eq!(a.opaque().as_deref(), Some(""));
        assert_eq!(a.uri().as_deref(), Some("sips:ss2.biloxi.example.com"));
        assert_eq!(a.algorithm(), Some(Algorithm::Sha256));
        assert_eq!(a.qop().as_deref(), Some("auth"));
        assert_eq!(a.nc(), Some(0x1a));
        assert_eq!(a.cnonce().as_deref(), Some("0a4f113b"));
        assert_eq!(
            a.response().as_deref(),
            Some("dfe56131d1958046689d83306477ecc")
        );
        assert!(!a.userhash());
        assert_eq!(a.params().iter().count(), 10);
        assert_eq!(a.param("REALM").as_deref(), Some("atlanta.example.com"));
        assert_eq!(a.param("missing"), None);
    }

    #[test]
    fn quoted_pairs_are_resolved_and_commas_in_quotes_kept() {
        let a = ProxyAuthorization::decode(
            r#"Digest username="a\"b,c", realm="r", nonce="n", uri="sip:x", response="0""#,
        )
        .expect("valid");
        assert_eq!(a.username().as_deref(), Some(r#"a"b,c"#));
        assert!(a.params().get("username").is_some_and(|p| p.is_quoted()));
    }

    #[test]
    fn unknown_scheme_decodes_with_its_parameters() {
        // RFC 4475 regaut01.
        let a = Authorization::decode("NoOneKnowsThisScheme opaque-data=here").expect("valid");
        assert_eq!(a.scheme(), "NoOneKnowsThisScheme");
        assert!(!a.is_digest());
        assert_eq!(a.param("opaque-data").as_deref(), Some("here"));
    }

    #[test]
    fn bearer_token68_is_kept_whole() {
        let a = Authorization::decode("Bearer mF_9.B5f-4.1JqM==").expect("valid");
        assert_eq!(a.scheme(), "Bearer");
        assert_eq!(a.token68(), Some("mF_9.B5f-4.1JqM=="));
        assert!(a.params().iter().next().is_none());
    }

    #[test]
    fn challenge_parameters_and_qop_options() {
        let c = WwwAuthenticate::decode(
            r#"Digest realm="atlanta.example.com", qop="auth, auth-int",
 nonce="84f1c1ae6cbe5ua9c8e88dfa3ecm3459", opaque="", stale=TRUE,
 algorithm=MD5-sess, domain="sip:a.example.com sip:b.example.com""#,
        )
        .expect("valid");
        assert_eq!(c.realm().as_deref(), Some("atlanta.example.com"));
        assert_eq!(
            c.nonce().as_deref(),
            Some("84f1c1ae6cbe5ua9c8e88dfa3ecm3459")
        );
        assert!(c.stale());
        assert_eq!(c.algorithm(), Some(Algorithm::Md5Sess));
        assert!(c.algorithm().is_some_and(|a| a.is_session()));
        assert_eq!(c.qop_options().collect::<Vec<_>>(), ["auth", "auth-int"]);
        assert_eq!(
            c.domain().as_deref(),
            Some("sip:a.example.com sip:b.example.com")
        );
        let p = ProxyAuthenticate::decode(r#"Digest realm="x", nonce="y", stale=false"#)
            .expect("valid");
        assert!(!p.stale());
        assert_eq!(p.algorithm(), None);
        assert_eq!(p.qop_options().count(), 0);
    }

    #[test]
    fn authentication_info_parameters() {
        let i = AuthenticationInfo::decode(
            r#"nextnonce="47364c23432d2e131a5fb210812c", qop=auth, rspauth="6629fae4", cnonce="0a4f113b", nc=00000001"#,
        )
        .expect("valid");
        assert_eq!(
            i.nextnonce().as_deref(),
            Some("47364c23432d2e131a5fb210812c")
        );
        assert_eq!(i.qop().as_deref(), Some("auth"));
        assert_eq!(i.rspauth().as_deref(), Some("6629fae4"));
        assert_eq!(i.cnonce().as_deref(), Some("0a4f113b"));
        assert_eq!(i.nc(), Some(1));
    }

    #[test]
    fn malformed_credentials_are_rejected() {
        for bad in [
            "",
            "Digest",
            "Digest   ",
            r#"Digest username="bob"#,
            r#"Digest username="bob" x, realm="r""#,
            "Digest username=",
            "Digest =bob",
            "Digest username=bob,,realm=r",
            "Digest username=bob,",
            "Digest username=a b",
            r#"Digest username="a", username="b""#,
            "Digest nc=1",
            "Digest nc=000000001",
            "Digest nc=0000000g",
            r#""Digest" username=a"#,
            "Digest,username=a",
        ] {
            assert!(Authorization::decode(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Authorization::decode(r#"Digest realm="x"#),
            Err(HeaderError::Unbalanced("quote"))
        );
        assert!(AuthenticationInfo::decode("").is_err());
        assert!(AuthenticationInfo::decode("nc=12345678x").is_err());
        assert!(WwwAuthenticate::decode(r#"Digest realm="a""b""#).is_err());
    }
}
