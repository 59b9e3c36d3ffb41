//! Property tests for URIs: a URI built from parts parses back into the same parts, and its
//! canonical form parses into the same parts again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use sip_message::{Host, Scheme, Uri};

#[derive(Debug, Clone)]
struct Parts {
    sips: bool,
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: Option<u16>,
    params: Vec<(String, Option<String>)>,
    headers: Option<String>,
}

fn user() -> impl Strategy<Value = String> {
    // unreserved, user-unreserved (minus ';' and '?', which other tests cover) and escapes
    prop::collection::vec(
        prop_oneof!["[a-zA-Z0-9._~!*'()&=+$,/-]", "%[0-9A-F]{2}"],
        1..12,
    )
    .prop_map(|v| v.concat())
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){0,3}",
        (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        any::<[u16; 8]>().prop_map(|s| format!("[{}]", std::net::Ipv6Addr::from(s))),
    ]
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        any::<bool>(),
        prop::option::of(user()),
        prop::option::of("[a-zA-Z0-9]{1,8}"),
        host(),
        prop::option::of(any::<u16>()),
        prop::collection::vec(
            (
                "[a-z][a-z0-9-]{0,8}",
                prop::option::of("[a-zA-Z0-9.!~*_+-]{1,10}"),
            ),
            0..4,
        ),
        prop::option::of("[a-z]{1,6}=[a-zA-Z0-9]{1,8}(%[0-9A-F]{2})?"),
    )
        .prop_map(
            |(sips, user, password, host, port, params, headers)| Parts {
                sips,
                password: user.as_ref().and(password),
                user,
                host,
                port,
                params,
                headers,
            },
        )
}

fn format(p: &Parts) -> String {
    let mut s = String::from(if p.sips { "sips:" } else { "sip:" });
    if let Some(u) = &p.user {
        s.push_str(u);
        if let Some(pw) = &p.password {
            s.push(':');
            s.push_str(pw);
        }
        s.push('@');
    }
    s.push_str(&p.host);
    if let Some(port) = p.port {
        s.push_str(&format!(":{port}"));
    }
    for (n, v) in &p.params {
        s.push(';');
        s.push_str(n);
        if let Some(v) = v {
            s.push('=');
            s.push_str(v);
        }
    }
    if let Some(h) = &p.headers {
        s.push('?');
        s.push_str(h);
    }
    s
}

fn assert_parts(u: &Uri<'_>, p: &Parts) {
    assert_eq!(u.scheme(), if p.sips { Scheme::Sips } else { Scheme::Sip });
    assert_eq!(u.user(), p.user.as_deref());
    assert_eq!(u.password(), p.password.as_deref());
    assert_eq!(u.host_str(), p.host);
    match u.host().unwrap() {
        Host::Ipv6(a) => assert_eq!(format!("[{a}]"), p.host),
        Host::Ipv4(a) => assert_eq!(a.to_string(), p.host),
        Host::Domain(d) => assert_eq!(d, p.host),
    }
    assert_eq!(u.port(), p.port);
    let params: Vec<(String, Option<String>)> = u
        .params()
        .iter()
        .map(|(n, v)| (n.to_owned(), v.map(str::to_owned)))
        .collect();
    assert_eq!(params, p.params);
    assert_eq!(u.headers(), p.headers.as_deref());
}

proptest! {
    #[test]
    fn uri_built_from_parts_parses_into_them(p in parts()) {
        let text = format(&p);
        let u = Uri::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_parts(&u, &p);
        let canonical = u.to_canonical_string();
        let again = Uri::parse(&canonical).unwrap_or_else(|e| panic!("{canonical}: {e}"));
        assert_parts(&again, &p);
    }

    #[test]
    fn uri_parsing_never_panics(s in "\\PC{0,64}") {
        if let Ok(u) = Uri::parse(&s) {
            let _ = u.user_unescaped();
            let _ = u.params().iter().count();
            let _ = u.to_canonical_string();
        }
    }
}
