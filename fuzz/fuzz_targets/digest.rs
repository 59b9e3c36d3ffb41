//! Digest authentication: a response that `client_response` computes from a real challenge
//! verifies (once, with qop=auth), a one-bit change of it never does, and no arbitrary
//! Authorization value ever verifies, even one carrying a genuine nonce and opaque. Challenges
//! of any shape either fail to be answered or give credentials that parse back.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sip_auth::{
    Algorithm, AuthConfig, Authenticator, ClientCredentials, Rejection, Verdict, client_response,
    ha1,
};
use sip_message::header::{Challenge, Credentials};

/// Unix time of the challenge; verifications happen a fuzzer-chosen delay later.
const NOW: u64 = 1_700_000_000;
const LIFETIME: u64 = 300;

/// The server's users, with their passwords (the table keeps HA1s derived from them).
const USERS: &[(&str, &str)] = &[
    ("alice", "secret"),
    ("bob", "hunter2"),
    ("carol@example.com", r#"p"w\d, x"#),
    ("Dave", ""),
    ("ünï cødé", "ç∂ƒ"),
];

const REALMS: &[&str] = &[
    "example.com",
    r#"Carillon "test" realm \ x"#,
    "a, b=c",
    "ümlaut.example",
    "",
];

const METHODS: &[&str] = &["REGISTER", "INVITE", "BYE", "MESSAGE", "X-CUSTOM"];

/// (Request-URI, digest-uri the client writes, whether the server must take them as the same
/// resource by the rules of `sip_auth`'s uri module).
const URIS: &[(&str, &str, bool)] = &[
    ("sip:example.com", "sip:example.com", true),
    (
        "sip:bob@example.com;transport=udp;lr",
        "SIP:bob@EXAMPLE.com;lr;transport=UDP",
        true,
    ),
    ("sip:%61lice@example.com", "sip:alice@example.com", true),
    ("sip:bob@example.com", "sip:bob@example.com:5060", false),
    ("sip:bob@example.com", "sip:Bob@example.com", false),
    ("sip:bob@example.com", "sip:bob@example.org", false),
    ("sip:bob@192.0.2.1;lr", "sip:bob@192.0.2.1", false),
    ("tel:+15551234", "tel:+15551234", true),
];

#[derive(Arbitrary, Debug)]
enum Case {
    /// A client answering a real challenge.
    Answer(Answer),
    /// Any Authorization value, with `NONCE` and `OPAQUE` replaced by genuine ones.
    Garbage {
        value: String,
        method: u8,
        uri: u8,
        realm: u8,
    },
    /// Any challenge, answered by the client.
    Challenge {
        value: String,
        username: String,
        password: String,
        nc: u32,
        cnonce: String,
    },
}

#[derive(Arbitrary, Debug)]
struct Answer {
    /// A user of the table, or (when out of range) the fuzzer's own user.
    user: u8,
    own_username: String,
    own_password: String,
    /// Use this password instead of the right one.
    wrong_password: Option<String>,
    /// The server does not know the user at all.
    unknown: bool,
    nc: u32,
    cnonce: String,
    realm: u8,
    method: u8,
    uri: u8,
    /// Which challenge header the client answers.
    header: u8,
    stale: bool,
    /// Seconds between challenge and verification.
    delay: u16,
    /// The client drops `qop` from the challenge and answers RFC 2069 style.
    no_qop: bool,
    allow_no_qop: bool,
    check_digest_uri: bool,
    md5_first: bool,
    /// Which bit of the response digest to flip.
    flip: u16,
}

fuzz_target!(|case: Case| match case {
    Case::Answer(a) => answer(&a),
    Case::Garbage {
        value,
        method,
        uri,
        realm,
    } => garbage(&value, method, uri, realm),
    Case::Challenge {
        value,
        username,
        password,
        nc,
        cnonce,
    } => {
        any_challenge(&value, &username, &password, nc, &cnonce)
    }
});

fn pick<T: Copy>(list: &[T], i: u8) -> T {
    list[usize::from(i) % list.len()]
}

/// What `quote` keeps of a value: the client drops control characters from quoted strings.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

fn answer(a: &Answer) {
    let (username, password) = match USERS.get(usize::from(a.user % 8)) {
        Some(&(u, p)) => (u.to_owned(), p.to_owned()),
        None => (printable(&a.own_username), a.own_password.clone()),
    };
    // The table holds the fuzzer's user too, unless it shadows a table user.
    let table_password = USERS
        .iter()
        .find(|(u, _)| *u == username)
        .map_or(password.clone(), |(_, p)| (*p).to_owned());
    let used_password = a
        .wrong_password
        .clone()
        .unwrap_or_else(|| table_password.clone());
    let cnonce = printable(&a.cnonce);
    let realm = pick(REALMS, a.realm);
    let method = pick(METHODS, a.method);
    let (request_uri, digest_uri, same_uri) = pick(URIS, a.uri);
    let algorithms = if a.md5_first {
        vec![Algorithm::Md5, Algorithm::Sha256]
    } else {
        vec![Algorithm::Sha256, Algorithm::Md5]
    };
    let config = AuthConfig {
        nonce_lifetime: std::time::Duration::from_secs(LIFETIME),
        algorithms: algorithms.clone(),
        allow_no_qop: a.allow_no_qop,
        check_digest_uri: a.check_digest_uri,
        ..AuthConfig::default()
    };
    let mut auth = Authenticator::new(config, [7; 32]);
    let challenges = auth.challenge(NOW, realm, a.stale);
    assert_eq!(
        challenges.len(),
        algorithms.len(),
        "one challenge per algorithm"
    );
    let index = usize::from(a.header) % challenges.len();
    let mut text = challenges[index].clone();
    if a.no_qop {
        text = text.replace(", qop=\"auth\"", "");
    }
    let challenge = Challenge::parse(&text)
        .unwrap_or_else(|e| panic!("server challenge {text:?} does not parse: {e}"));
    assert!(challenge.is_digest());
    assert_eq!(
        challenge.realm().as_deref(),
        Some(realm),
        "challenge realm of {text:?}"
    );
    assert_eq!(challenge.stale(), a.stale, "stale flag of {text:?}");
    assert_eq!(challenge.qop_options().count(), usize::from(!a.no_qop));

    let me = ClientCredentials {
        username: &username,
        password: &used_password,
        nc: a.nc,
        cnonce: &cnonce,
    };
    let value = client_response(&challenge, method, digest_uri, &me)
        .unwrap_or_else(|e| panic!("client cannot answer {text:?}: {e}"));
    let creds = Credentials::parse(&value)
        .unwrap_or_else(|e| panic!("client credentials {value:?} do not parse: {e}"));
    assert_eq!(
        creds.username().as_deref(),
        Some(username.as_str()),
        "in {value:?}"
    );
    assert_eq!(creds.realm().as_deref(), Some(realm), "in {value:?}");
    assert_eq!(creds.uri().as_deref(), Some(digest_uri), "in {value:?}");
    let response = creds
        .response()
        .unwrap_or_else(|| panic!("no response in {value:?}"))
        .into_owned();

    let algorithm = algorithms[index];
    let known = !a.unknown;
    let lookup = |user: &str, alg: Algorithm| -> Option<String> {
        (known && user == username).then(|| ha1(alg, user, realm, &table_password))
    };
    let at = NOW + delay(a);
    let expected = expected_verdict(
        a,
        &username,
        algorithm,
        same_uri,
        used_password == table_password,
    );

    // A one-bit change of the digest first: it must fail however the right one would fare,
    // and must not use up the nonce count.
    let flipped = flip_bit(&response, a.flip);
    let forged = value.replacen(
        &format!("response=\"{response}\""),
        &format!("response=\"{flipped}\""),
        1,
    );
    assert_ne!(forged, value, "response not found in {value:?}");
    let forged_creds = Credentials::parse(&forged).expect("only hex digits changed");
    let v = auth.verify(at, method, request_uri, &forged_creds, realm, lookup);
    assert!(
        matches!(v, Verdict::Rejected(_)),
        "one-bit change {flipped} of {response} gives {v:?}\nvalue {value:?}"
    );
    if matches!(expected, Verdict::Authenticated { .. } | Verdict::Stale) {
        let why = if known {
            Rejection::WrongResponse
        } else {
            Rejection::UnknownUser
        };
        assert_eq!(v, Verdict::Rejected(why), "one-bit change in {value:?}");
    }

    let v = auth.verify(at, method, request_uri, &creds, realm, lookup);
    assert_eq!(
        v,
        expected,
        "verdict for {value:?} at +{}s, case {a:?}",
        delay(a)
    );

    // Once more: with qop=auth the same count is a replay; without qop nothing can tell.
    let again = auth.verify(at, method, request_uri, &creds, realm, lookup);
    match (&expected, a.no_qop) {
        (Verdict::Authenticated { .. }, false) => assert_eq!(
            again,
            Verdict::Rejected(Rejection::Replayed { nc: a.nc }),
            "replay of {value:?}"
        ),
        _ => assert_eq!(again, expected, "second verification of {value:?}"),
    }
}

/// Seconds from challenge to verification: about as often fresh as stale, with both edges.
fn delay(a: &Answer) -> u64 {
    u64::from(a.delay % 602)
}

/// The documented order of checks: qop, digest-uri, user and digest, then freshness.
fn expected_verdict(
    a: &Answer,
    username: &str,
    algorithm: Algorithm,
    same_uri: bool,
    right_password: bool,
) -> Verdict {
    if a.no_qop && !a.allow_no_qop {
        return Verdict::Rejected(Rejection::QopRequired);
    }
    if !a.no_qop && a.nc == 0 {
        return Verdict::Rejected(Rejection::InvalidParameter("nc"));
    }
    if a.check_digest_uri && !same_uri {
        return Verdict::Rejected(Rejection::UriMismatch);
    }
    if a.unknown {
        return Verdict::Rejected(Rejection::UnknownUser);
    }
    if !right_password {
        return Verdict::Rejected(Rejection::WrongResponse);
    }
    if delay(a) > LIFETIME {
        return Verdict::Stale;
    }
    Verdict::Authenticated {
        username: username.to_owned(),
        algorithm,
    }
}

/// Flips one bit of the digest the hex string encodes, and writes it back in lowercase hex.
fn flip_bit(hex: &str, bit: u16) -> String {
    let mut nibbles: Vec<u8> = hex
        .chars()
        .map(|c| {
            c.to_digit(16)
                .unwrap_or_else(|| panic!("response {hex:?} is not hex")) as u8
        })
        .collect();
    assert!(!nibbles.is_empty(), "empty response digest");
    let bit = usize::from(bit) % (nibbles.len() * 4);
    nibbles[bit / 4] ^= 1 << (bit % 4);
    nibbles
        .iter()
        .map(|n| char::from_digit(u32::from(*n), 16).unwrap_or('?'))
        .collect()
}

/// No arbitrary credentials authenticate, nor reach the stale verdict that only a right
/// response may learn. `NONCE` and `OPAQUE` in the text become genuine values, so the checks
/// past the nonce run too.
fn garbage(value: &str, method: u8, uri: u8, realm: u8) {
    let realm = pick(REALMS, realm);
    let method = pick(METHODS, method);
    let request_uri = pick(URIS, uri).0;
    let mut auth = Authenticator::new(AuthConfig::default(), [9; 32]);
    let challenge = auth.challenge(NOW, realm, false).remove(0);
    let parsed = Challenge::parse(&challenge).expect("server challenge parses");
    let nonce = parsed.nonce().expect("challenge has a nonce").into_owned();
    let opaque = parsed
        .opaque()
        .expect("challenge has an opaque")
        .into_owned();
    let text = value.replace("NONCE", &nonce).replace("OPAQUE", &opaque);
    let Ok(creds) = Credentials::parse(&text) else {
        return;
    };
    touch_credentials(&creds);
    for delay in [0, LIFETIME + 1] {
        let v = auth.verify(
            NOW + delay,
            method,
            request_uri,
            &creds,
            realm,
            |user, alg| {
                USERS
                    .iter()
                    .find(|(u, _)| *u == user)
                    .map(|(u, p)| ha1(alg, u, realm, p))
            },
        );
        assert!(
            matches!(v, Verdict::Rejected(_)),
            "arbitrary credentials {text:?} give {v:?}"
        );
        if let Verdict::Rejected(r) = v {
            let _ = (r.to_string(), r.is_credential_failure(), r.is_malformed());
        }
    }
}

fn touch_credentials(c: &Credentials<'_>) {
    let _ = (
        c.scheme(),
        c.token68(),
        c.algorithm().map(|a| a.as_str()),
        c.nc(),
    );
    let _ = (c.username(), c.realm(), c.nonce(), c.uri(), c.response());
    let _ = (c.cnonce(), c.opaque(), c.qop(), c.userhash());
    for p in c.params().iter() {
        let _ = (p.name(), p.raw_value(), p.is_quoted(), p.value());
    }
}

/// Any challenge: the client either refuses it or writes credentials that parse back to what
/// it was given (less control characters, which a quoted-string cannot hold).
fn any_challenge(value: &str, username: &str, password: &str, nc: u32, cnonce: &str) {
    let Ok(challenge) = Challenge::parse(value) else {
        return;
    };
    let _ = (
        challenge.scheme(),
        challenge.token68(),
        challenge.stale(),
        challenge.userhash(),
        challenge.qop_options().count(),
        challenge.algorithm().map(|a| (a.as_str(), a.is_session())),
    );
    let me = ClientCredentials {
        username,
        password,
        nc,
        cnonce,
    };
    let Ok(out) = client_response(&challenge, "INVITE", "sip:bob@example.com", &me) else {
        return;
    };
    let creds = Credentials::parse(&out).unwrap_or_else(|e| {
        panic!("credentials {out:?} for challenge {value:?} do not parse: {e}")
    });
    let same = |got: Option<std::borrow::Cow<'_, str>>, want: &str, what: &str| {
        assert_eq!(
            got.as_deref(),
            Some(printable(want).as_str()),
            "{what} in {out:?} for challenge {value:?}"
        );
    };
    same(creds.username(), username, "username");
    same(
        creds.realm(),
        &challenge.realm().expect("answered"),
        "realm",
    );
    same(
        creds.nonce(),
        &challenge.nonce().expect("answered"),
        "nonce",
    );
    same(creds.uri(), "sip:bob@example.com", "uri");
    if let Some(opaque) = challenge.opaque() {
        same(creds.opaque(), &opaque, "opaque");
    }
    if creds.qop().is_some() {
        assert_eq!(creds.nc(), Some(nc), "nc in {out:?}");
        same(creds.cnonce(), cnonce, "cnonce");
    }
    let response = creds.response().expect("client writes a response");
    let len = match creds.algorithm().map(|a| a.as_str().to_ascii_uppercase()) {
        Some(a) if a == "SHA-256" => 64,
        _ => 32,
    };
    assert!(
        response.len() == len && response.bytes().all(|b| b.is_ascii_hexdigit()),
        "response {response:?} in {out:?}"
    );
}
