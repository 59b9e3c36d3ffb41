//! URIs: `sip:`, `sips:` and `tel:` decoded into parts; any other absolute URI kept opaque.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::params::Params;
use crate::{UriError, lex};

/// A URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `sip:` (RFC 3261 §19.1)
    Sip,
    /// `sips:` (RFC 3261 §19.1)
    Sips,
    /// `tel:` (RFC 3966)
    Tel,
    /// Any other scheme; the URI is kept opaque.
    Other,
}

/// The host of a SIP URI or Via.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A domain name, as written.
    Domain(&'a str),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference (written in brackets).
    Ipv6(Ipv6Addr),
}

impl Host<'_> {
    /// Parses `hostname / IPv4address / IPv6reference`.
    pub fn parse(s: &str) -> Result<Host<'_>, UriError> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or(UriError::BadHost)?;
            return inner.parse().map(Host::Ipv6).map_err(|_| UriError::BadHost);
        }
        if s.is_empty() {
            return Err(UriError::BadHost);
        }
        // hostname = *( domainlabel "." ) toplabel [ "." ]; be liberal about label rules but
        // refuse anything that could not be a name (spaces, brackets, '@', quotes).
        let (name_chars, numeric) = lex::host_class(s.as_bytes());
        if !name_chars {
            return Err(UriError::BadHost);
        }
        if numeric {
            if let Some(v4) = parse_ipv4(s.as_bytes()) {
                return Ok(Host::Ipv4(v4));
            }
        }
        Ok(Host::Domain(s))
    }
}

/// Dotted-quad IPv4 (four decimal octets of at most three digits, no leading zeros, as
/// `Ipv4Addr::from_str` accepts), without the generic parser's overhead.
fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0;
    let mut i = 0;
    while n < 4 {
        let start = i;
        let mut v: u16 = 0;
        while i < s.len() && s[i].is_ascii_digit() && i - start < 3 {
            v = v * 10 + u16::from(s[i] - b'0');
            i += 1;
        }
        let len = i - start;
        if len == 0 || (len > 1 && s[start] == b'0') || v > 255 {
            return None;
        }
        octets[n] = v as u8;
        n += 1;
        if n < 4 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    (i == s.len()).then(|| Ipv4Addr::from(octets))
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// A decoded URI borrowing from the message.
///
/// For `sip:`/`sips:` every part is available; for `tel:` the number is [`Uri::user`] and the
/// parameters are [`Uri::params`]; other schemes only expose [`Uri::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uri<'a> {
    raw: &'a str,
    scheme: Scheme,
    user: Option<&'a str>,
    password: Option<&'a str>,
    host: Option<Host<'a>>,
    host_raw: &'a str,
    port: Option<u16>,
    params: Params<'a>,
    headers: Option<&'a str>,
}

impl<'a> Uri<'a> {
    /// Parses a URI (no surrounding `<>`).
    pub fn parse(raw: &'a str) -> Result<Uri<'a>, UriError> {
        let colon = lex::find_byte(raw, b':').ok_or(UriError::NoScheme)?;
        let scheme_str = &raw[..colon];
        if scheme_str.is_empty()
            || !scheme_str.as_bytes()[0].is_ascii_alphabetic()
            || !scheme_str
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return Err(UriError::BadScheme);
        }
        if lex::has_uri_forbidden(raw.as_bytes()) {
            let bad = raw
                .bytes()
                .find(|&b| lex::is_uri_forbidden(b))
                .unwrap_or(b' ');
            return Err(UriError::BadChar(char::from(bad)));
        }
        let rest = &raw[colon + 1..];
        let scheme = if scheme_str.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme_str.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme_str.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            return Ok(Uri {
                raw,
                scheme: Scheme::Other,
                user: None,
                password: None,
                host: None,
                host_raw: "",
                port: None,
                params: Params::EMPTY,
                headers: None,
            });
        };
        if scheme == Scheme::Tel {
            let (number, params) = match lex::find_byte(rest, b';') {
                Some(i) => (&rest[..i], Params::new(&rest[i + 1..])),
                None => (rest, Params::EMPTY),
            };
            if number.is_empty()
                || !number.bytes().all(|b| {
                    b.is_ascii_hexdigit()
                        || matches!(b, b'+' | b'-' | b'.' | b'(' | b')' | b'*' | b'#')
                })
            {
                return Err(UriError::BadTel);
            }
            params.check()?;
            return Ok(Uri {
                raw,
                scheme,
                user: Some(number),
                password: None,
                host: None,
                host_raw: "",
                port: None,
                params,
                headers: None,
            });
        }

        let (userinfo, hostpart) = match lex::find_byte(rest, b'@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(ui) => {
                let (u, p) = match lex::find_byte(ui, b':') {
                    Some(c) => (&ui[..c], Some(&ui[c + 1..])),
                    None => (ui, None),
                };
                if u.is_empty() {
                    return Err(UriError::BadChar('@'));
                }
                check_escapes(u)?;
                (Some(u), p)
            }
            None => (None, None),
        };
        let hp_end = memchr::memchr2(b';', b'?', hostpart.as_bytes()).unwrap_or(hostpart.len());
        let hostport = &hostpart[..hp_end];
        let (host_raw, port) = split_hostport(hostport)?;
        let host = Host::parse(host_raw)?;
        let tail = &hostpart[hp_end..];
        let (params_raw, headers) = match lex::find_byte(tail, b'?') {
            Some(q) => (&tail[..q], Some(&tail[q + 1..])),
            None => (tail, None),
        };
        let params = Params::new(params_raw.strip_prefix(';').unwrap_or(params_raw));
        params.check()?;
        if let Some(h) = headers {
            check_escapes(h)?;
        }
        Ok(Uri {
            raw,
            scheme,
            user,
            password,
            host: Some(host),
            host_raw,
            port,
            params,
            headers,
        })
    }

    /// The URI exactly as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The user part as written (escapes kept), or the number of a `tel:` URI.
    pub fn user(&self) -> Option<&'a str> {
        self.user
    }

    /// The user part with `%HH` escapes decoded. Bytes, because an escape may encode a NUL
    /// (RFC 4475 escnull) that must not end the string.
    pub fn user_unescaped(&self) -> Option<Cow<'a, [u8]>> {
        self.user.and_then(lex::percent_decode)
    }

    /// The password part of the userinfo, if any.
    pub fn password(&self) -> Option<&'a str> {
        self.password
    }

    /// The host (absent for `tel:` and opaque URIs).
    pub fn host(&self) -> Option<Host<'a>> {
        self.host
    }

    /// The host exactly as written (brackets of an IPv6 reference included).
    pub fn host_str(&self) -> &'a str {
        self.host_raw
    }

    /// The explicit port.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The URI parameters (`;transport=tcp;lr`).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The raw `?headers` part, without the `?`.
    pub fn headers(&self) -> Option<&'a str> {
        self.headers
    }

    /// Whether this is a `sip:` or `sips:` URI.
    pub fn is_sip(&self) -> bool {
        matches!(self.scheme, Scheme::Sip | Scheme::Sips)
    }

    /// Prints the URI from its parsed parts: the scheme in lowercase, `:`, `user[:password]@`,
    /// the host (IP addresses in their standard form), `:port`, each parameter as `;name` or
    /// `;name=value`, and `?headers`. A `tel:` URI prints as `tel:number;params`; a URI of any
    /// other scheme is opaque and prints as written, its scheme lowercased.
    ///
    /// Parsing the result gives back the same parts.
    pub fn to_canonical_string(&self) -> String {
        use std::fmt::Write as _;

        let colon = self.raw.find(':').unwrap_or(0);
        let mut out = String::with_capacity(self.raw.len());
        out.push_str(&self.raw[..colon].to_ascii_lowercase());
        out.push(':');
        if self.scheme == Scheme::Other {
            out.push_str(&self.raw[colon + 1..]);
            return out;
        }
        if let Some(user) = self.user {
            out.push_str(user);
            // The number of a tel: URI is its user part, with no host after it.
            if self.scheme != Scheme::Tel {
                if let Some(password) = self.password {
                    out.push(':');
                    out.push_str(password);
                }
                out.push('@');
            }
        }
        if let Some(host) = self.host {
            // Writing to a String cannot fail.
            let _ = write!(out, "{host}");
        }
        if let Some(port) = self.port {
            let _ = write!(out, ":{port}");
        }
        for (name, value) in self.params.iter() {
            out.push(';');
            out.push_str(name);
            if let Some(value) = value {
                out.push('=');
                out.push_str(value);
            }
        }
        if let Some(headers) = self.headers {
            out.push('?');
            out.push_str(headers);
        }
        out
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

fn split_hostport(hp: &str) -> Result<(&str, Option<u16>), UriError> {
    let (host, port) = if hp.starts_with('[') {
        let close = hp.find(']').ok_or(UriError::BadHost)?;
        match &hp[close + 1..] {
            "" => (&hp[..=close], None),
            p => (
                &hp[..=close],
                Some(p.strip_prefix(':').ok_or(UriError::BadPort)?),
            ),
        }
    } else {
        match memchr::memrchr(b':', hp.as_bytes()) {
            Some(c) => (&hp[..c], Some(&hp[c + 1..])),
            None => (hp, None),
        }
    };
    let port = match port {
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UriError::BadPort);
            }
            Some(p.parse::<u16>().map_err(|_| UriError::BadPort)?)
        }
        None => None,
    };
    Ok((host, port))
}

fn check_escapes(s: &str) -> Result<(), UriError> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if !b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                || !b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            {
                return Err(UriError::BadEscape);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uri_parts_are_split() {
        let u =
            Uri::parse("sip:alice:pw@example.com:5070;transport=tcp;lr?subject=hi").expect("valid");
        assert_eq!(u.scheme(), Scheme::Sip);
        assert_eq!(u.user(), Some("alice"));
        assert_eq!(u.password(), Some("pw"));
        assert_eq!(u.host(), Some(Host::Domain("example.com")));
        assert_eq!(u.port(), Some(5070));
        assert_eq!(u.params().get("transport"), Some(Some("tcp")));
        assert_eq!(u.params().get("LR"), Some(None));
        assert_eq!(u.headers(), Some("subject=hi"));
    }

    #[test]
    fn ipv4_hosts_parse_like_the_standard_library() {
        for s in [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "192.0.2.1",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.4.",
            "1234.1.1.1",
            "",
        ] {
            assert_eq!(parse_ipv4(s.as_bytes()), s.parse::<Ipv4Addr>().ok(), "{s}");
        }
    }

    #[test]
    fn ipv6_reference_with_port() {
        let u = Uri::parse("sips:[2001:db8::10]:5061").expect("valid");
        assert_eq!(
            u.host(),
            Some(Host::Ipv6("2001:db8::10".parse().expect("v6")))
        );
        assert_eq!(u.port(), Some(5061));
        assert_eq!(u.host_str(), "[2001:db8::10]");
    }

    #[test]
    fn semicolon_in_user_part_stays_in_user() {
        let u = Uri::parse("sip:user;par=u%40example.net@example.com").expect("valid");
        assert_eq!(u.user(), Some("user;par=u%40example.net"));
        assert_eq!(
            u.user_unescaped().expect("escapes").as_ref(),
            b"user;par=u@example.net"
        );
        assert!(u.params().is_empty());
    }

    #[test]
    fn tel_uri_number_and_params() {
        let u = Uri::parse("tel:+1-201-555-0123;phone-context=example.com").expect("valid");
        assert_eq!(u.scheme(), Scheme::Tel);
        assert_eq!(u.user(), Some("+1-201-555-0123"));
        assert_eq!(u.params().get("phone-context"), Some(Some("example.com")));
    }

    #[test]
    fn unknown_scheme_is_opaque() {
        let u = Uri::parse("nobodyKnowsThisScheme:totallyopaquecontent").expect("valid");
        assert_eq!(u.scheme(), Scheme::Other);
        assert!(u.host().is_none());
    }

    #[test]
    fn canonical_string_is_built_from_the_parts() {
        let cases = [
            (
                "SIP:Alice:pw@Example.COM:05070;transport=tcp;lr?subject=hi",
                "sip:Alice:pw@Example.COM:5070;transport=tcp;lr?subject=hi",
            ),
            (
                "sips:[2001:DB8:0::10]:5061;maddr=[::1]",
                "sips:[2001:db8::10]:5061;maddr=[::1]",
            ),
            (
                "sip:user;par=u%40example.net@example.com",
                "sip:user;par=u%40example.net@example.com",
            ),
            ("sip:u:@127.0.0.1;lr", "sip:u:@127.0.0.1;lr"),
            (
                "TEL:+1-201-555-0123;phone-context=example.com",
                "tel:+1-201-555-0123;phone-context=example.com",
            ),
            ("Urn:Service:SOS", "urn:Service:SOS"),
            ("sip:example.com;", "sip:example.com"),
        ];
        for (input, expected) in cases {
            let u = Uri::parse(input).expect("valid");
            let canonical = u.to_canonical_string();
            assert_eq!(canonical, expected, "canonical form of {input}");
            let again = Uri::parse(&canonical).expect("canonical form parses");
            assert_eq!(again.scheme(), u.scheme());
            assert_eq!(again.user(), u.user());
            assert_eq!(again.password(), u.password());
            assert_eq!(again.host(), u.host());
            assert_eq!(again.port(), u.port());
            assert!(again.params().iter().eq(u.params().iter()));
            assert_eq!(again.headers(), u.headers());
            assert_eq!(
                again.to_canonical_string(),
                canonical,
                "idempotent for {input}"
            );
        }
    }

    #[test]
    fn malformed_uris_are_rejected() {
        assert_eq!(Uri::parse("example.com"), Err(UriError::NoScheme));
        assert!(Uri::parse("sip:user@exa mple.com").is_err());
        assert!(Uri::parse("sip:user@host:99999").is_err());
        assert!(Uri::parse("sip:user@host:").is_err());
        assert!(Uri::parse("sip:us%4@host").is_err());
        assert!(Uri::parse("sip:host;=x").is_err());
        assert!(Uri::parse("sip:@host").is_err());
        assert!(Uri::parse("sip:").is_err());
    }
}
