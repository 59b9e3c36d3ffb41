//! Property tests for typed headers: structured values survive formatting and decoding, and no
//! input makes any decoder panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use sip_message::header::*;
use sip_message::{Headers, TypedHeader};

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,11}"
}

fn domain() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9]{0,8}){0,3}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        domain(),
        any::<[u8; 4]>().prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")),
    ]
}

/// Optional linear whitespace, including a fold.
fn lws() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(""),
        Just(""),
        Just(" "),
        Just("  "),
        Just("\t"),
        Just("\r\n ")
    ]
}

/// Text for a quoted string: printable ASCII (quotes and backslashes included) and some UTF-8.
fn qtext() -> impl Strategy<Value = String> {
    "[ -~éü漢]{0,16}"
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Extra `;name[=value]` parameters with distinct names that cannot collide with known ones.
fn extra_params() -> impl Strategy<Value = Vec<(String, Option<String>)>> {
    prop::collection::vec(("[a-z0-9]{0,6}", prop::option::of(token())), 0..4).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (n, val))| (format!("x{i}{n}"), val))
            .collect()
    })
}

fn write_params(out: &mut String, params: &[(String, Option<String>)], sp: &str) {
    for (n, v) in params {
        out.push_str(sp);
        out.push(';');
        out.push_str(sp);
        out.push_str(n);
        if let Some(v) = v {
            out.push_str(sp);
            out.push('=');
            out.push_str(sp);
            out.push_str(v);
        }
    }
}

fn own(c: Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    c.map(std::borrow::Cow::into_owned)
}

fn check_params(p: sip_message::Params<'_>, expected: &[(String, Option<String>)]) {
    for (n, v) in expected {
        assert_eq!(p.get(n), Some(v.as_deref()), "param {n}");
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

proptest! {
    #[test]
    fn via_round_trips(
        transport in prop::sample::select(vec!["UDP", "TCP", "TLS", "SCTP", "WS", "WSS"]),
        host in host(),
        port in prop::option::of(any::<u16>()),
        branch in "[a-zA-Z0-9.!%*_+`'~-]{1,16}",
        rport in any::<bool>(),
        params in extra_params(),
        sp in lws(),
    ) {
        let mut s = format!("SIP/2.0/{transport} {host}");
        if let Some(p) = port {
            s.push_str(&format!("{sp}:{sp}{p}"));
        }
        s.push_str(&format!("{sp};branch=z9hG4bK{branch}"));
        if rport {
            s.push_str(";rport");
        }
        write_params(&mut s, &params, sp);

        let v = Via::decode(&s).map_err(|e| TestCaseError::fail(format!("{s:?}: {e}")))?;
        prop_assert_eq!(v.transport(), transport);
        prop_assert_eq!(v.host_str(), host.as_str());
        prop_assert_eq!(v.port(), port);
        let want_branch = format!("z9hG4bK{branch}");
        prop_assert_eq!(v.branch(), Some(want_branch.as_str()));
        prop_assert!(v.has_rfc3261_branch());
        prop_assert_eq!(v.rport(), rport.then_some(None));
        check_params(v.params(), &params);
    }

    #[test]
    fn name_addr_round_trips(
        display in prop::option::of(qtext()),
        bracket in any::<bool>(),
        user in "[a-z0-9_.!~*'()-]{1,10}",
        host in host(),
        tag in prop::option::of("[a-zA-Z0-9-]{1,12}"),
        params in extra_params(),
        sp in lws(),
    ) {
        let uri = format!("sip:{user}@{host}");
        let mut s = match (&display, bracket) {
            (Some(d), _) => format!("{}{sp}<{uri}>", quote(d)),
            (None, true) => format!("<{uri}>"),
            (None, false) => uri.clone(),
        };
        if let Some(t) = &tag {
            s.push_str(&format!("{sp};{sp}tag{sp}={sp}{t}"));
        }
        write_params(&mut s, &params, sp);

        let f = From::decode(&s).map_err(|e| TestCaseError::fail(format!("{s:?}: {e}")))?;
        prop_assert_eq!(own(f.display_name()), display.clone());
        prop_assert_eq!(f.is_bracketed(), display.is_some() || bracket);
        prop_assert_eq!(f.uri().user(), Some(user.as_str()));
        prop_assert_eq!(f.uri().host_str(), host.as_str());
        prop_assert_eq!(f.tag(), tag.as_deref());
        check_params(f.params(), &params);
        // The same value as a list element.
        let c = Contact::decode(&s).map_err(|e| TestCaseError::fail(format!("{s:?}: {e}")))?;
        prop_assert_eq!(c.addr().map(|a| a.uri().as_str()), Some(uri.as_str()));
    }

    #[test]
    fn digest_authorization_round_trips(
        username in qtext(),
        realm in qtext(),
        nonce in "[a-zA-Z0-9+/=]{1,32}",
        uri_user in "[a-z]{1,8}",
        uri_host in domain(),
        response in prop_oneof!["[0-9a-f]{32}", "[0-9a-f]{64}"],
        algorithm in prop::option::of(prop::sample::select(vec![
            "MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess",
        ])),
        qop_nc in prop::option::of((prop::sample::select(vec!["auth", "auth-int"]), any::<u32>(), "[a-zA-Z0-9]{1,16}")),
        opaque in prop::option::of(qtext()),
        userhash in any::<bool>(),
        order in Just((0..10).collect::<Vec<usize>>()).prop_shuffle(),
        sep in prop::sample::select(vec![",", ", ", " ,  ", ",\r\n "]),
        proxy in any::<bool>(),
    ) {
        let uri = format!("sip:{uri_user}@{uri_host}");
        let mut parts: Vec<Option<String>> = vec![
            Some(format!("username={}", quote(&username))),
            Some(format!("realm={}", quote(&realm))),
            Some(format!("nonce=\"{nonce}\"")),
            Some(format!("uri=\"{uri}\"")),
            Some(format!("response=\"{response}\"")),
            algorithm.map(|a| format!("algorithm={a}")),
            qop_nc.as_ref().map(|(q, _, _)| format!("qop={q}")),
            qop_nc.as_ref().map(|(_, nc, cnonce)| format!("nc={nc:08x}, cnonce=\"{cnonce}\"")),
            opaque.as_ref().map(|o| format!("opaque={}", quote(o))),
            userhash.then(|| "userhash=true".to_string()),
        ];
        let fields: Vec<String> = order.iter().filter_map(|&i| parts[i].take()).collect();
        let s = format!("Digest {}", fields.join(sep));

        let a = if proxy {
            ProxyAuthorization::decode(&s).map(|a| a.0)
        } else {
            Authorization::decode(&s).map(|a| a.0)
        }
        .map_err(|e| TestCaseError::fail(format!("{s:?}: {e}")))?;
        prop_assert!(a.is_digest());
        prop_assert_eq!(a.scheme(), "Digest");
        prop_assert_eq!(own(a.username()), Some(username.clone()));
        prop_assert_eq!(own(a.realm()), Some(realm.clone()));
        prop_assert_eq!(own(a.nonce()), Some(nonce.clone()));
        prop_assert_eq!(own(a.uri()), Some(uri.clone()));
        prop_assert_eq!(own(a.response()), Some(response.clone()));
        prop_assert_eq!(a.algorithm().map(|a| a.as_str()), algorithm);
        prop_assert_eq!(own(a.qop()), qop_nc.as_ref().map(|(q, _, _)| q.to_string()));
        prop_assert_eq!(a.nc(), qop_nc.as_ref().map(|(_, nc, _)| *nc));
        prop_assert_eq!(own(a.cnonce()), qop_nc.as_ref().map(|(_, _, c)| c.clone()));
        prop_assert_eq!(own(a.opaque()), opaque.clone());
        prop_assert_eq!(a.userhash(), userhash);
        let expected_count = 5
            + usize::from(algorithm.is_some())
            + 3 * usize::from(qop_nc.is_some())
            + usize::from(opaque.is_some())
            + usize::from(userhash);
        prop_assert_eq!(a.params().iter().count(), expected_count);
    }

    #[test]
    fn cseq_round_trips(
        seq in any::<u32>(),
        zeros in 0usize..3,
        method in prop_oneof![
            prop::sample::select(vec!["INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS"])
                .prop_map(str::to_string),
            token(),
        ],
        sep in prop::sample::select(vec![" ", "  ", "\t", "\r\n ", " \r\n\t"]),
        outer in lws(),
    ) {
        let s = format!("{outer}{}{seq}{sep}{method}{outer}", "0".repeat(zeros));
        let c = CSeq::decode(&s).map_err(|e| TestCaseError::fail(format!("{s:?}: {e}")))?;
        prop_assert_eq!(c.seq(), seq);
        prop_assert_eq!(c.method(), method.as_str());
    }

    #[test]
    fn cseq_numbers_above_u32_are_rejected(seq in (u64::from(u32::MAX) + 1)..u64::MAX) {
        let s = format!("{seq} INVITE");
        prop_assert!(CSeq::decode(&s).is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// Never panics
// ---------------------------------------------------------------------------------------------

/// Fragments that steer random values into the corners of the grammars.
const FRAGMENTS: &[&str] = &[
    "Digest ",
    "SIP/2.0/UDP ",
    "sip:",
    "a@b",
    "\"",
    "\\",
    ";",
    ",",
    "=",
    "(",
    ")",
    "<",
    ">",
    "/",
    ":",
    "[",
    "]",
    " ",
    "\t",
    "\r\n ",
    "0",
    "1",
    "999",
    "4294967296",
    "00000001",
    "tag",
    "q=",
    "0.5",
    "GMT",
    "Sat",
    "Nov",
    "2010",
    "23:59:60",
    ".",
    "*",
    "é",
    "\u{0}",
    "branch=z9hG4bK",
    "nc=",
    "realm",
    "cause=",
    "text=",
    "refresher=",
    "to-tag=",
    "from-tag=",
    "expires=",
];

fn sip_garbage() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~\t\r\n]{0,64}",
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..24).prop_map(|v| v.concat()),
    ]
}

/// Decodes the value as the given header directly and through a header section (which splits
/// lists), running `$body` on each success to touch the lazy accessors.
macro_rules! exercise {
    ($s:expr, $t:ty) => {
        exercise!($s, $t, |_h| {})
    };
    ($s:expr, $t:ty, |$h:ident| $body:block) => {{
        let s: &str = $s;
        if let Ok($h) = <$t as TypedHeader<'_>>::decode(s) {
            let _ = format!("{:?}", $h);
            let $h = &$h;
            $body
        }
        let mut headers = Headers::new();
        headers.push(<$t as TypedHeader<'_>>::NAME, s.to_string());
        for $h in headers.typed_all::<$t>().flatten() {
            let $h = &$h;
            $body
        }
    }};
}

fn touch_credentials(a: &Credentials<'_>) {
    let _ = (
        a.username(),
        a.nc(),
        a.algorithm(),
        a.userhash(),
        a.token68(),
    );
    let _: Vec<_> = a.params().iter().map(|p| p.value()).collect();
}

fn touch_challenge(c: &Challenge<'_>) {
    let _ = (c.realm(), c.stale(), c.algorithm(), c.domain());
    let _: Vec<_> = c.qop_options().collect();
}

proptest! {
    #[test]
    fn no_typed_header_panics_on_any_input(s in sip_garbage()) {
        let s = s.as_str();
        exercise!(s, Via<'_>, |v| { let _ = (v.branch(), v.params().iter().count()); });
        exercise!(s, CSeq<'_>);
        exercise!(s, From<'_>, |f| { let _ = (f.display_name(), f.params().iter().count()); });
        exercise!(s, To<'_>, |t| { let _ = t.tag(); });
        exercise!(s, Contact<'_>, |c| { let _ = (c.expires(), c.q()); });
        exercise!(s, Route<'_>);
        exercise!(s, RecordRoute<'_>);
        exercise!(s, Path<'_>);
        exercise!(s, ReferTo<'_>);
        exercise!(s, ReferredBy<'_>);
        exercise!(s, PAssertedIdentity<'_>);
        exercise!(s, CallId<'_>);
        exercise!(s, MaxForwards);
        exercise!(s, ContentLength);
        exercise!(s, Expires);
        exercise!(s, MinExpires);
        exercise!(s, RSeq);
        exercise!(s, Allow<'_>);
        exercise!(s, Supported<'_>);
        exercise!(s, Require<'_>);
        exercise!(s, ProxyRequire<'_>);
        exercise!(s, Unsupported<'_>);
        exercise!(s, Authorization<'_>, |a| { touch_credentials(&a.0) });
        exercise!(s, ProxyAuthorization<'_>, |a| { touch_credentials(&a.0) });
        exercise!(s, WwwAuthenticate<'_>, |c| { touch_challenge(&c.0) });
        exercise!(s, ProxyAuthenticate<'_>, |c| { touch_challenge(&c.0) });
        exercise!(s, AuthenticationInfo<'_>, |i| { let _ = (i.nextnonce(), i.nc()); });
        exercise!(s, Event<'_>, |e| { let _ = (e.id(), e.event_type().templates().count()); });
        exercise!(s, AllowEvents<'_>, |a| { let _ = a.package(); });
        exercise!(s, SubscriptionState<'_>, |x| { let _ = (x.reason(), x.state().as_str()); });
        exercise!(s, SessionExpires<'_>);
        exercise!(s, MinSe<'_>);
        exercise!(s, RAck<'_>);
        exercise!(s, Replaces<'_>, |r| { let _ = r.early_only(); });
        exercise!(s, ReferSub<'_>);
        exercise!(s, ContentType<'_>, |c| { let _ = (c.boundary(), c.is("a", "b")); });
        exercise!(s, Accept<'_>, |a| { let _ = a.matches("a", "b"); });
        exercise!(s, SipETag<'_>);
        exercise!(s, SipIfMatch<'_>);
        exercise!(s, RetryAfter<'_>);
        exercise!(s, Date, |d| { let _ = d.unix_time(); });
        exercise!(s, Warning<'_>, |w| { let _ = w.text(); });
        exercise!(s, UserAgent<'_>, |u| { let _ = u.products().count(); });
        exercise!(s, Server<'_>, |u| { let _ = u.products().count(); });
        exercise!(s, Subject<'_>);
        exercise!(s, Organization<'_>);
        exercise!(s, Priority<'_>);
        exercise!(s, Reason<'_>, |r| { let _ = r.text(); });
        exercise!(s, Privacy<'_>, |p| { let _ = p.values().count(); });
        exercise!(s, Timestamp<'_>, |t| { let _ = (t.value_f64(), t.delay_f64()); });
    }
}
