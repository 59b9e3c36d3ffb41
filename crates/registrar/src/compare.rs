//! SIP URI equality (RFC 3261 §19.1.4), for finding the binding a Contact refreshes.

use sip_message::{Host, Params, Uri};

use crate::escape::percent_decode;

/// Parameters that make two URIs differ when only one of them has it (RFC 3261 §19.1.4).
const SIGNIFICANT: [&str; 5] = ["user", "ttl", "method", "maddr", "transport"];

/// Whether two URIs are equal by RFC 3261 §19.1.4:
///
/// - `sip:` and `sips:` never equal each other;
/// - user and password compared case-sensitively after `%HH` unescaping;
/// - host case-insensitively (addresses by value), port exactly: an omitted port does not
///   equal an explicit 5060;
/// - a parameter present in both must have equal values (case-insensitive); `user`, `ttl`,
///   `method`, `maddr` and `transport` present in only one make them differ; any other
///   parameter present in only one is ignored;
/// - headers (`?a=b&c=d`) must be present in both and equal as sets, values unescaped.
///
/// Other schemes (`tel:`, `mailto:`) are compared as written, scheme case aside.
pub fn uri_equal(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    if a.scheme() != b.scheme() {
        return false;
    }
    if !a.is_sip() {
        return opaque_equal(a.as_str(), b.as_str());
    }
    escaped_equal(a.user(), b.user())
        && escaped_equal(a.password(), b.password())
        && host_equal(a.host(), b.host())
        && a.port() == b.port()
        && params_equal(a.params(), b.params())
        && headers_equal(a.headers(), b.headers())
}

fn opaque_equal(a: &str, b: &str) -> bool {
    match (a.split_once(':'), b.split_once(':')) {
        (Some((sa, ra)), Some((sb, rb))) => sa.eq_ignore_ascii_case(sb) && ra == rb,
        _ => a == b,
    }
}

fn escaped_equal(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => match (percent_decode(a), percent_decode(b)) {
            (Some(a), Some(b)) => a == b,
            _ => a == b,
        },
        _ => false,
    }
}

fn host_equal(a: Option<Host<'_>>, b: Option<Host<'_>>) -> bool {
    match (a, b) {
        (Some(Host::Domain(a)), Some(Host::Domain(b))) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

fn value_equal(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => match (percent_decode(a), percent_decode(b)) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(&b),
            _ => a.eq_ignore_ascii_case(b),
        },
        _ => false,
    }
}

fn params_equal(a: Params<'_>, b: Params<'_>) -> bool {
    let one_way = |x: Params<'_>, y: Params<'_>| {
        x.iter().all(|(name, value)| match y.get(name) {
            Some(other) => value_equal(value, other),
            None => !SIGNIFICANT.iter().any(|s| s.eq_ignore_ascii_case(name)),
        })
    };
    one_way(a, b) && one_way(b, a)
}

fn headers_equal(a: Option<&str>, b: Option<&str>) -> bool {
    let set = |h: &str| {
        let mut items: Vec<(Vec<u8>, Vec<u8>)> = h
            .split('&')
            .filter(|i| !i.is_empty())
            .map(|i| {
                let (n, v) = i.split_once('=').unwrap_or((i, ""));
                let decode = |s: &str| {
                    percent_decode(s).map_or_else(|| s.as_bytes().to_vec(), |d| d.into_owned())
                };
                (decode(n).to_ascii_lowercase(), decode(v))
            })
            .collect();
        items.sort();
        items
    };
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => set(a) == set(b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn eq(a: &str, b: &str) -> bool {
        uri_equal(&Uri::parse(a).unwrap(), &Uri::parse(b).unwrap())
    }

    // The equal and unequal pairs of RFC 3261 §19.1.4.
    #[test]
    fn rfc3261_equal_examples() {
        assert!(eq(
            "sip:%61lice@atlanta.com;transport=TCP",
            "sip:alice@AtLanTa.CoM;Transport=tcp"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;security=on"
        ));
        assert!(eq(
            "sip:carol@chicago.com;newparam=5",
            "sip:carol@chicago.com;security=on"
        ));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(eq(
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x"
        ));
    }

    #[test]
    fn rfc3261_unequal_examples() {
        assert!(!eq(
            "SIP:ALICE@AtLanTa.CoM;Transport=udp",
            "sip:alice@AtLanTa.CoM;Transport=UDP"
        ));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com;transport=udp"
        ));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com:6000;transport=tcp"
        ));
        assert!(!eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com?Subject=next%20meeting"
        ));
        assert!(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
        assert!(!eq("sip:alice@example.com", "sips:alice@example.com"));
    }

    #[test]
    fn other_schemes_compare_as_written() {
        assert!(eq("TEL:+1555", "tel:+1555"));
        assert!(!eq("tel:+1555", "tel:+1556"));
    }
}
