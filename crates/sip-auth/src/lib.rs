//! Digest authentication (RFC 7616, RFC 8760) for SIP: challenges, nonces, verification, sans-IO.
//!
//! A SIP server (registrar, proxy, UAS) challenges a request with 401 + WWW-Authenticate or
//! 407 + Proxy-Authenticate (RFC 3261 §22), and verifies the Authorization or
//! Proxy-Authorization of the retry. [`Authenticator`] does both:
//!
//! 1. [`Authenticator::challenge`] returns one challenge header value per algorithm
//!    (SHA-256 first, then MD5, as RFC 8760 asks), each with a fresh nonce.
//! 2. [`Authenticator::verify`] checks parsed [`Credentials`] against the request and a lookup
//!    of the user's stored HA1, and returns a [`Verdict`]: authenticated, stale (re-challenge
//!    with `stale=true`), or rejected with a [`Rejection`] saying why.
//!
//! Passwords are never stored: the server keeps [`ha1`] for each algorithm (the
//! `ha1_md5` / `ha1_sha256` of the store's `User`).
//!
//! **Security notes for callers.**
//! - Answer an unknown user and a wrong password identically (see [`Rejection`]), and count
//!   [`Rejection::is_credential_failure`] to throttle guessing.
//! - Nonces are stateless: base64url of issue time, an instance number, a counter and an
//!   HMAC-SHA256 tag over them and the realm, keyed by a 32-byte server secret. Forged nonces and
//!   nonces of other realms are refused without any memory; age gives staleness.
//! - With `qop=auth`, every nonce count is accepted once per nonce (replays are refused), out of
//!   order within a window of [`NC_WINDOW`], in a table of bounded size.
//! - Responses without `qop` (RFC 2069) are accepted by default and cannot be protected from
//!   replay; see [`AuthConfig::allow_no_qop`].
//! - Response digests are compared in constant time.
//!
//! Not supported: `qop=auth-int`, the `-sess` algorithms, SHA-512-256, `userhash`, `username*`
//! (RFC 7616 §3.4.4–§3.4.5), Authentication-Info (`rspauth`, `nextnonce`).
//!
//! [`Credentials`]: sip_message::header::Credentials

mod authenticator;
mod client;
mod digest;
mod nonce;
mod replay;
mod uri;
mod verdict;

pub use authenticator::{AuthConfig, Authenticator};
pub use client::{ClientCredentials, ClientError, client_response};
pub use digest::{Algorithm, QopAuth, ha1, request_digest};
pub use replay::NC_WINDOW;
pub use verdict::{Rejection, Verdict};

/// `s` as a quoted-string: `"` and `\` escaped, control characters (which a quoted-string cannot
/// hold, and which could split a header) dropped.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_and_drops_line_breaks() {
        assert_eq!(quote("example.com"), r#""example.com""#);
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("a\r\nX-Evil: 1"), r#""aX-Evil: 1""#);
    }
}
