//! Shared helpers: a server with two users, and clients answering its challenges.

#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

use sip_auth::{
    Algorithm, AuthConfig, Authenticator, ClientCredentials, QopAuth, Verdict, client_response,
    ha1, request_digest,
};
use sip_message::header::{Challenge, Credentials};

pub const REALM: &str = "example.com";
pub const T0: u64 = 1_700_000_000;
pub const REGISTER_URI: &str = "sip:example.com";

pub fn server() -> Authenticator {
    server_with(AuthConfig::default())
}

pub fn server_with(config: AuthConfig) -> Authenticator {
    Authenticator::new(config, *b"0123456789abcdef0123456789abcdef")
}

/// The store: alice / "wonderland" and bob / "builder", HA1 only.
pub fn lookup(user: &str, alg: Algorithm) -> Option<String> {
    let password = match user {
        "alice" => "wonderland",
        "bob" => "builder",
        _ => return None,
    };
    Some(ha1(alg, user, REALM, password))
}

/// The challenge header value offering `alg`.
pub fn challenge_for(auth: &Authenticator, now: u64, alg: Algorithm) -> String {
    auth.challenge(now, REALM, false)
        .into_iter()
        .find(|c| {
            Challenge::parse(c).unwrap().algorithm().map(|a| a.as_str()) == Some(alg.as_str())
        })
        .unwrap()
}

pub fn nonce_of(challenge: &str) -> String {
    Challenge::parse(challenge)
        .unwrap()
        .nonce()
        .unwrap()
        .into_owned()
}

pub fn opaque_of(challenge: &str) -> String {
    Challenge::parse(challenge)
        .unwrap()
        .opaque()
        .unwrap()
        .into_owned()
}

/// A client's Authorization value (qop=auth) for `challenge`.
pub fn answer(
    challenge: &str,
    method: &str,
    uri: &str,
    user: &str,
    password: &str,
    nc: u32,
) -> String {
    let c = Challenge::parse(challenge).unwrap();
    let me = ClientCredentials {
        username: user,
        password,
        nc,
        cnonce: "4a3c1f0e",
    };
    client_response(&c, method, uri, &me).unwrap()
}

/// The header the way SIPp's `[authentication]` writes it: no spaces, its own order.
pub fn sipp_style(nonce: &str, opaque: &str, user: &str, password: &str, nc: u32) -> String {
    let h = ha1(Algorithm::Md5, user, REALM, password);
    let cnonce = "6b8b4567";
    let response = request_digest(
        Algorithm::Md5,
        &h,
        nonce,
        "REGISTER",
        REGISTER_URI,
        Some(QopAuth { nc, cnonce }),
    );
    format!(
        "Digest username=\"{user}\",realm=\"{REALM}\",cnonce=\"{cnonce}\",nc={nc:08x},qop=auth,\
uri=\"{REGISTER_URI}\",nonce=\"{nonce}\",response=\"{response}\",algorithm=MD5,opaque=\"{opaque}\""
    )
}

/// The header the way pjsip (and RFC 3665 §2.1) writes it: folded over lines, `algorithm` after
/// `response`.
pub fn pjsip_style(
    alg: Algorithm,
    nonce: &str,
    opaque: &str,
    method: &str,
    uri: &str,
    nc: u32,
) -> String {
    let h = ha1(alg, "alice", REALM, "wonderland");
    let cnonce = "Jcz7Wk.4R0VYzgH6m3Lw2wCkw4c0lHG3";
    let response = request_digest(alg, &h, nonce, method, uri, Some(QopAuth { nc, cnonce }));
    format!(
        "Digest username=\"alice\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"{uri}\",\r\n \
response=\"{response}\", algorithm={alg}, cnonce=\"{cnonce}\", opaque=\"{opaque}\",\r\n \
qop=auth, nc={nc:08x}"
    )
}

pub fn verify(auth: &mut Authenticator, now: u64, method: &str, uri: &str, value: &str) -> Verdict {
    let credentials = Credentials::parse(value).unwrap();
    auth.verify(now, method, uri, &credentials, REALM, lookup)
}

pub fn alice(algorithm: Algorithm) -> Verdict {
    Verdict::Authenticated {
        username: "alice".to_owned(),
        algorithm,
    }
}
