//! The Digest arithmetic of RFC 7616 §3.4.1–§3.4.3 (the same for SIP, RFC 3261 §22.4): HA1,
//! HA2 and the request digest, in MD5 (RFC 2617) and SHA-256 (RFC 7616, RFC 8760).

use md5::Md5;
use sha2::{Digest as _, Sha256};

/// A Digest hash algorithm this crate can verify.
///
/// The `-sess` variants and SHA-512-256 are not supported: SIP phones rarely offer them, and a
/// `-sess` HA1 depends on the client nonce, so the server could not use a stored HA1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `MD5` (RFC 2617, RFC 3261): what every SIP client speaks, and the default when a
    /// challenge or response has no `algorithm` parameter.
    Md5,
    /// `SHA-256` (RFC 7616, RFC 8760).
    Sha256,
}

impl Algorithm {
    /// The token written in `algorithm=` parameters: `MD5` or `SHA-256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Reads an `algorithm` token, case-insensitively. `None` for anything else, including the
    /// `-sess` variants. A missing parameter means MD5: use [`Algorithm::from_param`] for that.
    pub fn from_token(token: &str) -> Option<Algorithm> {
        if token.eq_ignore_ascii_case("MD5") {
            Some(Algorithm::Md5)
        } else if token.eq_ignore_ascii_case("SHA-256") {
            Some(Algorithm::Sha256)
        } else {
            None
        }
    }

    /// Reads an optional `algorithm` parameter: absent means MD5 (RFC 7616 §3.3).
    pub fn from_param(token: Option<&str>) -> Option<Algorithm> {
        token.map_or(Some(Algorithm::Md5), Algorithm::from_token)
    }

    /// Lowercase hex of the hash of `data`.
    pub(crate) fn hex_hash(self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 => hex(&Md5::digest(data)),
            Algorithm::Sha256 => hex(&Sha256::digest(data)),
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// HA1 = lowercase hex of H(`username:realm:password`) (RFC 7616 §3.4.2).
///
/// This is what the server stores instead of the password, once per algorithm: it is enough to
/// verify responses, and a leaked HA1 is valid only in its realm (but there it is as good as the
/// password, so it must be kept as secret).
pub fn ha1(alg: Algorithm, username: &str, realm: &str, password: &str) -> String {
    alg.hex_hash(format!("{username}:{realm}:{password}").as_bytes())
}

/// The client's part of a `qop=auth` response: its nonce count and client nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QopAuth<'a> {
    /// `nc`: how many requests the client has sent with this nonce, from 1.
    pub nc: u32,
    /// `cnonce`: the client's nonce.
    pub cnonce: &'a str,
}

/// The request digest (the `response` parameter) of RFC 7616 §3.4.1, as lowercase hex.
///
/// With `qop = Some(..)` it is `H(HA1:nonce:nc:cnonce:auth:HA2)`; without, the RFC 2069 form
/// `H(HA1:nonce:HA2)`; in both, `HA2 = H(method:digest-uri)`. `ha1` is the hex HA1 of
/// [`ha1`] (case does not matter).
pub fn request_digest(
    alg: Algorithm,
    ha1: &str,
    nonce: &str,
    method: &str,
    digest_uri: &str,
    qop: Option<QopAuth<'_>>,
) -> String {
    let ha1 = ha1.to_ascii_lowercase();
    let ha2 = alg.hex_hash(format!("{method}:{digest_uri}").as_bytes());
    let data = match qop {
        Some(q) => format!("{ha1}:{nonce}:{:08x}:{}:auth:{ha2}", q.nc, q.cnonce),
        None => format!("{ha1}:{nonce}:{ha2}"),
    };
    alg.hex_hash(data.as_bytes())
}

/// Compares two strings without an early exit, so the time taken does not say how many leading
/// bytes of a guessed digest were right. Only the lengths (public: they follow from the
/// algorithm) can make it return early.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
    const RFC7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

    fn rfc7616(alg: Algorithm) -> String {
        let h = ha1(alg, "Mufasa", "http-auth@example.org", "Circle of Life");
        request_digest(
            alg,
            &h,
            RFC7616_NONCE,
            "GET",
            "/dir/index.html",
            Some(QopAuth {
                nc: 1,
                cnonce: RFC7616_CNONCE,
            }),
        )
    }

    #[test]
    fn rfc7616_md5_example_response() {
        assert_eq!(rfc7616(Algorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn rfc7616_sha256_example_response() {
        assert_eq!(
            rfc7616(Algorithm::Sha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn rfc2617_example_response_with_qop_auth() {
        // RFC 2617 §3.5 (also quoted by RFC 3261 §22.4 implementations).
        let h = ha1(
            Algorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
        );
        let r = request_digest(
            Algorithm::Md5,
            &h,
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "GET",
            "/dir/index.html",
            Some(QopAuth {
                nc: 1,
                cnonce: "0a4f113b",
            }),
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn rfc2069_example_response_without_qop() {
        // RFC 2069 §2.4 with its erratum (the printed value was wrong).
        let h = ha1(
            Algorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "CircleOfLife",
        );
        let r = request_digest(
            Algorithm::Md5,
            &h,
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "GET",
            "/dir/index.html",
            None,
        );
        assert_eq!(r, "1949323746fe6a43ef61f9606e7febea");
    }

    #[test]
    fn uppercase_ha1_gives_the_same_digest() {
        let h = ha1(Algorithm::Md5, "a", "r", "p");
        assert_eq!(
            request_digest(Algorithm::Md5, &h, "n", "REGISTER", "sip:r", None),
            request_digest(
                Algorithm::Md5,
                &h.to_ascii_uppercase(),
                "n",
                "REGISTER",
                "sip:r",
                None
            )
        );
    }

    #[test]
    fn algorithm_tokens_are_case_insensitive_and_absent_means_md5() {
        assert_eq!(Algorithm::from_token("md5"), Some(Algorithm::Md5));
        assert_eq!(Algorithm::from_token("sha-256"), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::from_token("SHA-256-sess"), None);
        assert_eq!(Algorithm::from_token("MD5-sess"), None);
        assert_eq!(Algorithm::from_param(None), Some(Algorithm::Md5));
        assert_eq!(Algorithm::Sha256.as_str(), "SHA-256");
        assert_eq!(Algorithm::Md5.as_str(), "MD5");
    }

    #[test]
    fn digest_lengths_match_the_algorithm() {
        assert_eq!(ha1(Algorithm::Md5, "u", "r", "p").len(), 32);
        assert_eq!(ha1(Algorithm::Sha256, "u", "r", "p").len(), 64);
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abcd", b"abcd"));
        assert!(!constant_time_eq(b"abcd", b"abce"));
        assert!(!constant_time_eq(b"abcd", b"xbcd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
