//! Challenges and verification: what is accepted, and every reason to reject.

#![allow(clippy::unwrap_used)]

mod common;

use std::cell::Cell;

use common::*;
use sip_auth::{Algorithm, AuthConfig, Rejection, Verdict};
use sip_message::header::{Challenge, Credentials};

#[test]
fn challenges_offer_sha256_then_md5_with_qop_auth() {
    let auth = server();
    let values = auth.challenge(T0, REALM, false);
    assert_eq!(values.len(), 2);
    let parsed: Vec<_> = values
        .iter()
        .map(|v| Challenge::parse(v).unwrap())
        .collect();
    assert_eq!(parsed[0].algorithm().unwrap().as_str(), "SHA-256");
    assert_eq!(parsed[1].algorithm().unwrap().as_str(), "MD5");
    for c in &parsed {
        assert!(c.is_digest());
        assert_eq!(c.realm().as_deref(), Some(REALM));
        assert_eq!(c.qop_options().collect::<Vec<_>>(), ["auth"]);
        assert!(c.opaque().is_some_and(|o| !o.is_empty()));
        assert!(!c.stale());
    }
    assert_ne!(parsed[0].nonce(), parsed[1].nonce());
    assert!(values[0].starts_with(r#"Digest realm="example.com", nonce=""#));
    assert!(values[0].ends_with(r#", algorithm=SHA-256, qop="auth""#));
}

#[test]
fn stale_challenges_say_so() {
    let auth = server();
    for v in auth.challenge(T0, REALM, true) {
        assert!(v.ends_with(", stale=true"));
        assert!(Challenge::parse(&v).unwrap().stale());
    }
}

#[test]
fn challenge_follows_configured_algorithms() {
    let auth = server_with(AuthConfig {
        algorithms: vec![Algorithm::Md5],
        ..AuthConfig::default()
    });
    let values = auth.challenge(T0, REALM, false);
    assert_eq!(values.len(), 1);
    assert!(values[0].contains("algorithm=MD5"));
}

#[test]
fn sha256_response_verifies() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Sha256);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut auth, T0 + 1, "REGISTER", REGISTER_URI, &value),
        alice(Algorithm::Sha256)
    );
}

#[test]
fn md5_response_verifies() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut auth, T0 + 1, "REGISTER", REGISTER_URI, &value),
        alice(Algorithm::Md5)
    );
}

#[test]
fn lookup_is_asked_for_the_algorithm_the_client_used() {
    let mut auth = server();
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let ch = challenge_for(&auth, T0, alg);
        let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
        let cred = Credentials::parse(&value).unwrap();
        let asked = Cell::new(None);
        let verdict = auth.verify(T0, "REGISTER", REGISTER_URI, &cred, REALM, |u, a| {
            asked.set(Some(a));
            lookup(u, a)
        });
        assert!(verdict.is_authenticated());
        assert_eq!(asked.get(), Some(alg));
    }
}

#[test]
fn sipp_style_header_verifies() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let value = sipp_style(&nonce_of(&ch), &opaque_of(&ch), "bob", "builder", 1);
    let v = verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value);
    assert_eq!(v.username(), Some("bob"));
}

#[test]
fn pjsip_style_folded_header_verifies_for_invite() {
    let mut auth = server();
    let uri = "sip:bob@example.com;transport=tcp";
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let ch = challenge_for(&auth, T0, alg);
        let value = pjsip_style(alg, &nonce_of(&ch), &opaque_of(&ch), "INVITE", uri, 1);
        assert_eq!(verify(&mut auth, T0, "INVITE", uri, &value), alice(alg));
    }
}

#[test]
fn response_without_qop_is_accepted_when_allowed() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let nonce = nonce_of(&ch);
    let h = sip_auth::ha1(Algorithm::Md5, "alice", REALM, "wonderland");
    let response =
        sip_auth::request_digest(Algorithm::Md5, &h, &nonce, "REGISTER", REGISTER_URI, None);
    // RFC 2069 / RFC 2617-without-qop shape, as old phones send it.
    let value = format!(
        r#"Digest username="alice", realm="{REALM}", nonce="{nonce}", uri="{REGISTER_URI}", response="{response}""#
    );
    assert_eq!(
        verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value),
        alice(Algorithm::Md5)
    );
    // Old clients reuse the nonce until it goes stale; that cannot be told from a replay.
    assert_eq!(
        verify(&mut auth, T0 + 10, "REGISTER", REGISTER_URI, &value),
        alice(Algorithm::Md5)
    );
    assert_eq!(auth.tracked_nonces(), 0);

    let mut strict = server_with(AuthConfig {
        allow_no_qop: false,
        ..AuthConfig::default()
    });
    assert_eq!(
        verify(&mut strict, T0, "REGISTER", REGISTER_URI, &value),
        Verdict::Rejected(Rejection::QopRequired)
    );
}

#[test]
fn wrong_password_and_unknown_user_are_both_credential_failures() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Sha256);
    let wrong = answer(&ch, "REGISTER", REGISTER_URI, "alice", "looking-glass", 1);
    let unknown = answer(&ch, "REGISTER", REGISTER_URI, "mallory", "wonderland", 1);
    let Verdict::Rejected(w) = verify(&mut auth, T0, "REGISTER", REGISTER_URI, &wrong) else {
        panic!("wrong password accepted");
    };
    let Verdict::Rejected(u) = verify(&mut auth, T0, "REGISTER", REGISTER_URI, &unknown) else {
        panic!("unknown user accepted");
    };
    assert_eq!(w, Rejection::WrongResponse);
    assert_eq!(u, Rejection::UnknownUser);
    assert!(w.is_credential_failure() && u.is_credential_failure());
    assert_eq!(w.to_string(), u.to_string());
    // The failed attempts used up nothing: the right password still works with the nonce.
    let right = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert!(verify(&mut auth, T0, "REGISTER", REGISTER_URI, &right).is_authenticated());
}

#[test]
fn uppercase_response_and_stored_ha1_are_accepted() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    let response = Credentials::parse(&value)
        .unwrap()
        .response()
        .unwrap()
        .into_owned();
    let value = value.replace(&response, &response.to_ascii_uppercase());
    let cred = Credentials::parse(&value).unwrap();
    let v = auth.verify(T0, "REGISTER", REGISTER_URI, &cred, REALM, |u, a| {
        lookup(u, a).map(|h| h.to_ascii_uppercase())
    });
    assert_eq!(v, alice(Algorithm::Md5));
}

#[test]
fn forged_nonce_is_rejected_without_asking_the_store() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let genuine = nonce_of(&ch);
    // Same length and alphabet, one character changed; and a nonce in another server's format.
    let mut bytes = genuine.clone().into_bytes();
    bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(bytes).unwrap();
    for nonce in [altered.as_str(), "dcd98b7102dd2f0e8b11d0f600bfb0c093"] {
        let forged_ch = ch.replace(&genuine, nonce);
        let value = answer(
            &forged_ch,
            "REGISTER",
            REGISTER_URI,
            "alice",
            "wonderland",
            1,
        );
        let cred = Credentials::parse(&value).unwrap();
        let asked = Cell::new(false);
        let v = auth.verify(T0, "REGISTER", REGISTER_URI, &cred, REALM, |u, a| {
            asked.set(true);
            lookup(u, a)
        });
        assert_eq!(v, Verdict::Rejected(Rejection::ForeignNonce), "{nonce}");
        assert!(!asked.get());
    }
}

#[test]
fn nonce_from_another_realm_is_rejected() {
    let mut auth = server();
    // The same server also serves other.example.net; its nonce must not work here.
    let other = auth.challenge(T0, "other.example.net", false).remove(1);
    let mine = challenge_for(&auth, T0, Algorithm::Md5);
    let spliced = mine.replace(&nonce_of(&mine), &nonce_of(&other));
    let value = answer(&spliced, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value),
        Verdict::Rejected(Rejection::ForeignNonce)
    );
}

#[test]
fn credentials_for_another_realm_are_rejected() {
    let mut auth = server();
    let ch = auth.challenge(T0, "other.example.net", false).remove(0);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value),
        Verdict::Rejected(Rejection::RealmMismatch)
    );
}

#[test]
fn digest_uri_must_name_the_request_uri() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Sha256);
    let value = answer(
        &ch,
        "INVITE",
        "sip:bob@example.com",
        "alice",
        "wonderland",
        1,
    );
    assert_eq!(
        verify(&mut auth, T0, "INVITE", "sip:carol@example.com", &value),
        Verdict::Rejected(Rejection::UriMismatch)
    );
    // The same URI escaped differently is the same resource.
    assert_eq!(
        verify(&mut auth, T0, "INVITE", "sip:%62ob@EXAMPLE.com", &value),
        alice(Algorithm::Sha256)
    );
}

#[test]
fn response_for_another_method_is_wrong() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut auth, T0, "INVITE", REGISTER_URI, &value),
        Verdict::Rejected(Rejection::WrongResponse)
    );
}

#[test]
fn changed_opaque_is_rejected_but_missing_or_empty_opaque_is_tolerated() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let opaque = opaque_of(&ch);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    let changed = value.replace(&opaque, "somethingelse");
    assert_eq!(
        verify(&mut auth, T0, "REGISTER", REGISTER_URI, &changed),
        Verdict::Rejected(Rejection::OpaqueMismatch)
    );
    let empty = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 2)
        .replace(&format!("\"{opaque}\""), "\"\"");
    assert!(verify(&mut auth, T0, "REGISTER", REGISTER_URI, &empty).is_authenticated());
    let missing = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 3)
        .replace(&format!(", opaque=\"{opaque}\""), "");
    assert!(!missing.contains("opaque"));
    assert!(verify(&mut auth, T0, "REGISTER", REGISTER_URI, &missing).is_authenticated());
}

#[test]
fn algorithms_not_offered_are_rejected() {
    let mut sha_only = server_with(AuthConfig {
        algorithms: vec![Algorithm::Sha256],
        ..AuthConfig::default()
    });
    let ch = challenge_for(&sha_only, T0, Algorithm::Sha256).replace("SHA-256", "MD5");
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut sha_only, T0, "REGISTER", REGISTER_URI, &value),
        Verdict::Rejected(Rejection::UnsupportedAlgorithm("MD5".into()))
    );
    // No algorithm parameter means MD5, also refused here.
    let bare = value.replace(", algorithm=MD5", "");
    assert_eq!(
        verify(&mut sha_only, T0, "REGISTER", REGISTER_URI, &bare),
        Verdict::Rejected(Rejection::UnsupportedAlgorithm("MD5".into()))
    );
    let mut auth = server();
    let sess = answer(
        &challenge_for(&auth, T0, Algorithm::Md5),
        "REGISTER",
        REGISTER_URI,
        "alice",
        "wonderland",
        1,
    )
    .replace("algorithm=MD5", "algorithm=MD5-sess");
    assert_eq!(
        verify(&mut auth, T0, "REGISTER", REGISTER_URI, &sess),
        Verdict::Rejected(Rejection::UnsupportedAlgorithm("MD5-sess".into()))
    );
}

#[test]
fn malformed_and_unsupported_credentials_are_rejected() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let good = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    let nonce = nonce_of(&ch);
    let cases: Vec<(String, Rejection)> = vec![
        ("Bearer mF_9.B5f-4.1JqM".into(), Rejection::NotDigest),
        (
            good.replace("username=\"alice\", ", ""),
            Rejection::MissingParameter("username"),
        ),
        (
            good.replace(&format!("realm=\"{REALM}\", "), ""),
            Rejection::MissingParameter("realm"),
        ),
        (
            good.replace(&format!("nonce=\"{nonce}\", "), ""),
            Rejection::MissingParameter("nonce"),
        ),
        (
            good.replace(&format!("uri=\"{REGISTER_URI}\", "), ""),
            Rejection::MissingParameter("uri"),
        ),
        (
            good.replace(", nc=00000001", ""),
            Rejection::MissingParameter("nc"),
        ),
        (
            good.replace("cnonce=\"4a3c1f0e\", ", ""),
            Rejection::MissingParameter("cnonce"),
        ),
        (
            good.replace("nc=00000001", "nc=00000000"),
            Rejection::InvalidParameter("nc"),
        ),
        (
            good.replace("qop=auth", "qop=auth-int"),
            Rejection::UnsupportedQop("auth-int".into()),
        ),
        (
            format!("{good}, userhash=true"),
            Rejection::UserhashUnsupported,
        ),
    ];
    for (value, want) in cases {
        let got = verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value);
        assert_eq!(got, Verdict::Rejected(want.clone()), "{value}");
        assert_eq!(
            want.is_malformed(),
            matches!(
                want,
                Rejection::MissingParameter(_) | Rejection::InvalidParameter(_)
            )
        );
        assert!(!want.is_credential_failure());
    }
    let no_response = good
        .split(", ")
        .filter(|p| !p.starts_with("response="))
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(
        verify(&mut auth, T0, "REGISTER", REGISTER_URI, &no_response),
        Verdict::Rejected(Rejection::MissingParameter("response"))
    );
    // None of that used the nonce count.
    assert!(verify(&mut auth, T0, "REGISTER", REGISTER_URI, &good).is_authenticated());
}

#[test]
fn debug_output_does_not_show_the_secret() {
    let auth = server();
    let text = format!("{auth:?}");
    assert!(!text.contains("0123456789abcdef"));
    assert!(!text.contains("48, 49, 50"));
}
