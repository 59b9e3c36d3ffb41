//! A minimal client side: answering a challenge, for tests and for acting as a UAC.

use sip_message::header::{Algorithm as WireAlgorithm, Challenge};

use crate::digest::{QopAuth, ha1, request_digest};
use crate::{Algorithm, quote};

/// Who the client is, and the per-request counters it chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientCredentials<'a> {
    /// The username.
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
    /// The nonce count: 1 for the first request with a nonce, then 2, 3, … (used with
    /// `qop=auth`).
    pub nc: u32,
    /// The client nonce (used with `qop=auth`): random in real clients, fixed in tests.
    pub cnonce: &'a str,
}

/// Why a challenge could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The challenge is not Digest.
    #[error("challenge is not Digest")]
    NotDigest,
    /// The challenge lacks `realm` or `nonce`.
    #[error("challenge lacks the {0} parameter")]
    MissingParameter(&'static str),
    /// The challenge asks for an algorithm this crate cannot compute.
    #[error("unsupported Digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The challenge offers `qop` values but not `auth`.
    #[error("challenge offers no supported qop")]
    UnsupportedQop,
}

/// The value of an Authorization (or Proxy-Authorization) header answering `challenge` for a
/// request with `method` and Request-URI `digest_uri`.
///
/// Uses the challenge's algorithm (MD5 when absent) and `qop=auth` when offered (then `nc` and
/// `cnonce` of `me`), the RFC 2069 form otherwise; returns `opaque` unchanged. The output has the
/// shape real phones send:
/// `Digest username="alice", realm="example.com", nonce="…", uri="sip:example.com",
/// response="…", algorithm=MD5, cnonce="…", opaque="…", qop=auth, nc=00000001`.
pub fn client_response(
    challenge: &Challenge<'_>,
    method: &str,
    digest_uri: &str,
    me: &ClientCredentials<'_>,
) -> Result<String, ClientError> {
    if !challenge.is_digest() {
        return Err(ClientError::NotDigest);
    }
    let realm = challenge
        .realm()
        .ok_or(ClientError::MissingParameter("realm"))?;
    let nonce = challenge
        .nonce()
        .ok_or(ClientError::MissingParameter("nonce"))?;
    let algorithm = match challenge.algorithm() {
        None | Some(WireAlgorithm::Md5) => Algorithm::Md5,
        Some(WireAlgorithm::Sha256) => Algorithm::Sha256,
        Some(other) => return Err(ClientError::UnsupportedAlgorithm(other.as_str().to_owned())),
    };
    let qop = match challenge.qop_options().count() {
        0 => None,
        _ if challenge
            .qop_options()
            .any(|q| q.eq_ignore_ascii_case("auth")) =>
        {
            Some(QopAuth {
                nc: me.nc,
                cnonce: me.cnonce,
            })
        }
        _ => return Err(ClientError::UnsupportedQop),
    };
    let key = ha1(algorithm, me.username, &realm, me.password);
    let response = request_digest(algorithm, &key, &nonce, method, digest_uri, qop);

    let mut out = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response=\"{response}\", algorithm={algorithm}",
        quote(me.username),
        quote(&realm),
        quote(&nonce),
        quote(digest_uri),
    );
    if let Some(q) = qop {
        out.push_str(&format!(", cnonce={}", quote(q.cnonce)));
    }
    if let Some(opaque) = challenge.opaque() {
        out.push_str(&format!(", opaque={}", quote(&opaque)));
    }
    if let Some(q) = qop {
        out.push_str(&format!(", qop=auth, nc={:08x}", q.nc));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use sip_message::header::Credentials;

    use super::*;

    const RFC7616_CHALLENGE: &str = r#"Digest
    realm="http-auth@example.org",
    qop="auth, auth-int",
    algorithm=ALG,
    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

    fn mufasa() -> ClientCredentials<'static> {
        ClientCredentials {
            username: "Mufasa",
            password: "Circle of Life",
            nc: 1,
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        }
    }

    fn answer(alg: &str) -> String {
        let text = RFC7616_CHALLENGE.replace("ALG", alg);
        let c = Challenge::parse(&text).expect("valid challenge");
        client_response(&c, "GET", "/dir/index.html", &mufasa()).expect("answerable")
    }

    #[test]
    fn answers_the_rfc7616_md5_challenge_like_the_rfc() {
        let value = answer("MD5");
        let c = Credentials::parse(&value).expect("parses");
        assert_eq!(
            c.response().as_deref(),
            Some("8ca523f5e9506fed4657c9700eebdbec")
        );
        assert_eq!(c.username().as_deref(), Some("Mufasa"));
        assert_eq!(c.qop().as_deref(), Some("auth"));
        assert_eq!(c.nc(), Some(1));
        assert_eq!(
            c.opaque().as_deref(),
            Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        );
        assert!(value.contains("nc=00000001"));
    }

    #[test]
    fn answers_the_rfc7616_sha256_challenge_like_the_rfc() {
        let value = answer("SHA-256");
        let c = Credentials::parse(&value).expect("parses");
        assert_eq!(
            c.response().as_deref(),
            Some("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
        );
        assert_eq!(c.algorithm(), Some(sip_message::header::Algorithm::Sha256));
    }

    #[test]
    fn challenge_without_qop_gets_an_rfc2069_answer() {
        let c = Challenge::parse(
            r#"Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .expect("valid");
        let me = ClientCredentials {
            username: "Mufasa",
            password: "CircleOfLife",
            nc: 1,
            cnonce: "unused",
        };
        let value = client_response(&c, "GET", "/dir/index.html", &me).expect("answerable");
        let cred = Credentials::parse(&value).expect("parses");
        assert_eq!(
            cred.response().as_deref(),
            Some("1949323746fe6a43ef61f9606e7febea")
        );
        assert_eq!(cred.qop(), None);
        assert_eq!(cred.nc(), None);
        assert_eq!(cred.cnonce(), None);
    }

    #[test]
    fn unanswerable_challenges_are_errors() {
        let me = mufasa();
        let cases = [
            (r#"Basic realm="x""#, ClientError::NotDigest),
            (
                r#"Digest nonce="n""#,
                ClientError::MissingParameter("realm"),
            ),
            (
                r#"Digest realm="r""#,
                ClientError::MissingParameter("nonce"),
            ),
            (
                r#"Digest realm="r", nonce="n", algorithm=SHA-512-256"#,
                ClientError::UnsupportedAlgorithm("SHA-512-256".into()),
            ),
            (
                r#"Digest realm="r", nonce="n", qop="auth-int""#,
                ClientError::UnsupportedQop,
            ),
        ];
        for (text, err) in cases {
            let c = Challenge::parse(text).expect("valid syntax");
            assert_eq!(
                client_response(&c, "INVITE", "sip:b@x", &me),
                Err(err),
                "{text}"
            );
        }
    }

    #[test]
    fn quotes_and_backslashes_in_username_are_escaped() {
        let c = Challenge::parse(r#"Digest realm="r", nonce="n""#).expect("valid");
        let me = ClientCredentials {
            username: r#"a"b\c"#,
            ..mufasa()
        };
        let value = client_response(&c, "INVITE", "sip:b@x", &me).expect("answerable");
        let cred = Credentials::parse(&value).expect("parses");
        assert_eq!(cred.username().as_deref(), Some(r#"a"b\c"#));
    }
}
