//! Comparing the digest-uri with the Request-URI (RFC 7616 §3.4.6, RFC 3261 §22.4).
//!
//! The check stops a response captured for one Request-URI from being used for another. Clients
//! copy the Request-URI, but not always byte for byte: some re-escape the user part, change the
//! case of the scheme or host, or reorder parameters. So two URIs match when they are equal as
//! strings or when both parse and have the same parts: scheme, user and password (after `%HH`
//! decoding, case-sensitive), host (case-insensitive; IP addresses by value), port (an absent
//! port differs from an explicit 5060, as in RFC 3261 §19.1.4), the same set of parameters (names
//! and values case-insensitive after decoding, in any order) and the same headers. This is
//! stricter than RFC 3261 §19.1.4 equivalence, which ignores parameters present on one side
//! only: a digest-uri is a copy, not another reference to the same resource.

use std::borrow::Cow;

use sip_message::{Host, Scheme, Uri};

/// Whether the digest-uri `digest_uri` names the Request-URI `request_uri`.
pub(crate) fn digest_uri_matches(digest_uri: &str, request_uri: &str) -> bool {
    if digest_uri == request_uri {
        return true;
    }
    let (Ok(a), Ok(b)) = (Uri::parse(digest_uri), Uri::parse(request_uri)) else {
        return false;
    };
    same_uri(&a, &b)
}

fn same_uri(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    if a.scheme() != b.scheme() {
        return false;
    }
    if a.scheme() == Scheme::Other {
        // Opaque: only the scheme's case may differ.
        return a.to_canonical_string() == b.to_canonical_string();
    }
    same_escaped(a.user(), b.user(), false)
        && same_escaped(a.password(), b.password(), false)
        && same_host(a.host(), b.host())
        && a.port() == b.port()
        && same_params(a, b)
        && same_escaped(a.headers(), b.headers(), false)
}

fn same_host(a: Option<Host<'_>>, b: Option<Host<'_>>) -> bool {
    match (a, b) {
        (Some(Host::Domain(x)), Some(Host::Domain(y))) => x.eq_ignore_ascii_case(y),
        (x, y) => x == y,
    }
}

fn same_escaped(a: Option<&str>, b: Option<&str>, ignore_case: bool) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => match (unescape(x, ignore_case), unescape(y, ignore_case)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

fn unescape(s: &str, ignore_case: bool) -> Option<Cow<'_, [u8]>> {
    let bytes = if s.contains('%') {
        Cow::Owned(percent_decode(s)?)
    } else {
        Cow::Borrowed(s.as_bytes())
    };
    Some(if ignore_case {
        Cow::Owned(bytes.to_ascii_lowercase())
    } else {
        bytes
    })
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

fn same_params(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    let mut pa = normalized_params(a);
    let mut pb = normalized_params(b);
    let (Some(pa), Some(pb)) = (pa.as_mut(), pb.as_mut()) else {
        return false;
    };
    pa.sort();
    pb.sort();
    pa == pb
}

type Param = (Vec<u8>, Option<Vec<u8>>);

fn normalized_params(u: &Uri<'_>) -> Option<Vec<Param>> {
    u.params()
        .iter()
        .map(|(name, value)| {
            let name = unescape(name, true)?.into_owned();
            let value = match value {
                Some(v) => Some(unescape(v, true)?.into_owned()),
                None => None,
            };
            Some((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_strings_match() {
        assert!(digest_uri_matches("sip:example.com", "sip:example.com"));
        assert!(digest_uri_matches("/dir/index.html", "/dir/index.html"));
    }

    #[test]
    fn escaping_and_case_differences_match() {
        for (d, r) in [
            ("sip:%61lice@example.com", "sip:alice@example.com"),
            ("SIP:alice@Example.COM", "sip:alice@example.com"),
            (
                "sip:alice@example.com;transport=TCP;lr",
                "sip:alice@example.com;lr;transport=tcp",
            ),
            ("sip:a@[2001:db8::1]", "sip:a@[2001:DB8:0::1]"),
            ("tel:+1-555-0100", "TEL:+1-555-0100"),
        ] {
            assert!(digest_uri_matches(d, r), "{d} vs {r}");
        }
    }

    #[test]
    fn different_resources_do_not_match() {
        for (d, r) in [
            ("sip:alice@example.com", "sip:bob@example.com"),
            ("sip:Alice@example.com", "sip:alice@example.com"),
            ("sip:alice@example.com", "sips:alice@example.com"),
            ("sip:alice@example.com", "sip:alice@example.com:5060"),
            ("sip:alice@example.com", "sip:alice@example.org"),
            (
                "sip:alice@example.com;transport=tcp",
                "sip:alice@example.com",
            ),
            (
                "sip:alice@example.com;transport=udp",
                "sip:alice@example.com;transport=tcp",
            ),
            ("sip:a@example.com?subject=x", "sip:a@example.com"),
            ("sip:example.com", "garbage"),
            ("not a uri", "sip:example.com"),
        ] {
            assert!(!digest_uri_matches(d, r), "{d} vs {r}");
        }
    }
}
