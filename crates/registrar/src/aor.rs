//! The canonical address of record.

use sip_message::{Host, Uri};

use crate::escape;

/// The canonical address of record of a `sip:`/`sips:` URI (the To of a REGISTER, the
/// Request-URI the proxy looks up): `sip:user@host`.
///
/// - the user is unescaped, then escaped again with `%HH` (uppercase) exactly where RFC 3261
///   §25.1 requires, so `sip:%61lice@x` and `sip:alice@x` give the same AOR; the user keeps
///   its case (userinfo comparison is case-sensitive, §19.1.4);
/// - the host is lowercased (IPv4 and IPv6 addresses printed in their standard form);
/// - port, password, parameters and headers are dropped;
/// - `sips:` becomes `sip:`: a user has one set of bindings whichever scheme it registers
///   with (our choice: whether a request must arrive over TLS is a property of the request
///   and of each contact, not of the address of record);
/// - a URI without a user gives `sip:host`.
///
/// Returns `None` for other schemes (`tel:`), for an empty user or a malformed escape.
pub fn aor_from_uri(uri: &Uri<'_>) -> Option<String> {
    if !uri.is_sip() {
        return None;
    }
    let mut out = String::from("sip:");
    if let Some(user) = uri.user() {
        let user = escape::percent_decode(user)?;
        if user.is_empty() {
            return None;
        }
        escape::push_user(&user, &mut out);
        out.push('@');
    }
    match uri.host()? {
        Host::Domain(d) => out.push_str(&d.trim_end_matches('.').to_ascii_lowercase()),
        Host::Ipv4(a) => out.push_str(&a.to_string()),
        Host::Ipv6(a) => {
            out.push('[');
            out.push_str(&a.to_string());
            out.push(']');
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn aor(s: &str) -> Option<String> {
        aor_from_uri(&Uri::parse(s).unwrap())
    }

    #[test]
    fn host_is_lowercased_and_port_params_dropped() {
        assert_eq!(
            aor("sip:Alice@EXAMPLE.com:5070;transport=tcp?x=y").as_deref(),
            Some("sip:Alice@example.com")
        );
    }

    #[test]
    fn user_escapes_are_canonical() {
        assert_eq!(aor("sip:%61lice@x.org").as_deref(), Some("sip:alice@x.org"));
        assert_eq!(aor("sip:a%3ab@x.org").as_deref(), Some("sip:a%3Ab@x.org"));
        assert_eq!(aor("sip:a%2bb@x.org").as_deref(), Some("sip:a+b@x.org"));
    }

    #[test]
    fn sips_becomes_sip_and_tel_has_none() {
        assert_eq!(aor("sips:bob@x.org").as_deref(), Some("sip:bob@x.org"));
        assert_eq!(aor("tel:+15551234"), None);
    }

    #[test]
    fn ip_hosts_are_printed_in_standard_form() {
        assert_eq!(
            aor("sip:u@[2001:DB8::0:1]").as_deref(),
            Some("sip:u@[2001:db8::1]")
        );
        assert_eq!(aor("sip:example.com").as_deref(), Some("sip:example.com"));
    }
}
