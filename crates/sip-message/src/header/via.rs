//! The Via header (RFC 3261 §20.42, RFC 3581 rport).

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, Host, Params, lex};

/// The RFC 3261 magic cookie that starts every compliant branch.
pub const BRANCH_MAGIC: &str = "z9hG4bK";

/// One Via value: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    transport: &'a str,
    host: Host<'a>,
    host_raw: &'a str,
    port: Option<u16>,
    params: Params<'a>,
}

impl<'a> Via<'a> {
    /// The transport token (`UDP`, `TCP`, `TLS`, `WS`, `WSS`, `SCTP` or any other token).
    pub fn transport(&self) -> &'a str {
        self.transport
    }

    /// The sent-by host.
    pub fn host(&self) -> Host<'a> {
        self.host
    }

    /// The sent-by host as written.
    pub fn host_str(&self) -> &'a str {
        self.host_raw
    }

    /// The sent-by port, if given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// Checks the parameter grammar: every name a token, values tokens or quoted strings, and
    /// the branch a token (RFC 3261 §20.42).
    pub fn check_params(&self) -> Result<(), HeaderError> {
        self.params.check()?;
        if let Some(b) = self.params.get("branch") {
            if b.is_none_or(|b| !lex::is_token_str(b)) {
                return Err(HeaderError::Syntax("branch is not a token"));
            }
        }
        Ok(())
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").flatten()
    }

    /// Whether the branch starts with the RFC 3261 magic cookie and has something after it
    /// (RFC 4475 badbranch has the cookie alone).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > BRANCH_MAGIC.len() && b.starts_with(BRANCH_MAGIC))
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&'a str> {
        self.params.get("received").flatten()
    }

    /// `Some(None)` for a bare `rport` (a request asking for it), `Some(Some(port))` once filled.
    pub fn rport(&self) -> Option<Option<&'a str>> {
        self.params.get("rport")
    }
}

impl<'a> TypedHeader<'a> for Via<'a> {
    const NAME: HeaderName = HeaderName::Via;
    const LIST: bool = true;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        // sent-protocol = protocol-name SLASH protocol-version SLASH transport, where SLASH
        // allows whitespace around it (RFC 4475 wsinv).
        // Almost every Via starts with the exact text; only the others pay for the general
        // grammar.
        let after_protocol = match v.get(..8) {
            Some("SIP/2.0/") => &v[8..],
            _ => {
                let s1 = lex::find_byte(v, b'/')
                    .ok_or(HeaderError::Syntax("sent-protocol has no '/'"))?;
                let s2 = lex::find_byte(&v[s1 + 1..], b'/')
                    .map(|i| s1 + 1 + i)
                    .ok_or(HeaderError::Syntax("sent-protocol has one '/'"))?;
                let name = lex::trim(&v[..s1]);
                let version = lex::trim(&v[s1 + 1..s2]);
                if !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
                    return Err(HeaderError::Syntax("sent-protocol is not SIP/2.0"));
                }
                &v[s2 + 1..]
            }
        };
        let rest = lex::trim_start(after_protocol);
        let t_end = rest
            .bytes()
            .position(|b| !lex::is_token(b))
            .unwrap_or(rest.len());
        let transport = &rest[..t_end];
        if transport.is_empty() {
            return Err(HeaderError::Syntax("missing transport"));
        }
        let rest = &rest[t_end..];
        if !rest.starts_with(|c: char| c.is_ascii() && lex::is_lws(c as u8)) {
            return Err(HeaderError::Syntax("no whitespace before sent-by"));
        }
        let rest = lex::trim_start(rest);
        let (sent_by, params) = match lex::find_byte(rest, b';') {
            Some(i) => (lex::trim(&rest[..i]), Params::new(&rest[i + 1..])),
            None => (lex::trim(rest), Params::EMPTY),
        };
        let (host_raw, port) = split_sent_by(sent_by)?;
        let host = Host::parse(host_raw)?;
        // The parameter grammar is checked by `check_params` (called by `Message::validate`),
        // not here: an accessor should not pay for a full check on every call.
        Ok(Via {
            transport,
            host,
            host_raw,
            port,
            params,
        })
    }
}

fn split_sent_by(s: &str) -> Result<(&str, Option<u16>), HeaderError> {
    let (host, port) = if s.starts_with('[') {
        let close =
            lex::find_byte(s, b']').ok_or(HeaderError::Syntax("unclosed IPv6 reference"))?;
        let after = lex::trim(&s[close + 1..]);
        match after.strip_prefix(':') {
            Some(p) => (&s[..=close], Some(lex::trim(p))),
            None if after.is_empty() => (&s[..=close], None),
            None => return Err(HeaderError::Syntax("text after IPv6 reference")),
        }
    } else {
        match lex::find_byte(s, b':') {
            Some(c) => (lex::trim(&s[..c]), Some(lex::trim(&s[c + 1..]))),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) => Some(
            lex::parse_u32(p)
                .and_then(|p| u16::try_from(p).ok())
                .ok_or(HeaderError::Number("port"))?,
        ),
        None => None,
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_parts() {
        let v = Via::decode(
            "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport;received=10.0.0.1",
        )
        .expect("valid");
        assert_eq!(v.transport(), "UDP");
        assert_eq!(v.host(), Host::Ipv4("192.0.2.1".parse().expect("v4")));
        assert_eq!(v.port(), Some(5060));
        assert_eq!(v.branch(), Some("z9hG4bK776asdhds"));
        assert!(v.has_rfc3261_branch());
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.received(), Some("10.0.0.1"));
    }

    #[test]
    fn whitespace_around_slashes_and_colon_is_allowed() {
        let v = Via::decode(
            "SIP  /   2.0  /   TCP     spindle.example.com   ;branch  =   z9hG4bK9ikj8",
        )
        .expect("valid");
        assert_eq!(v.transport(), "TCP");
        assert_eq!(v.host_str(), "spindle.example.com");
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
        let v = Via::decode("SIP/2.0/UDP [2001:db8::9:1] : 5070").expect("valid");
        assert_eq!(v.port(), Some(5070));
    }

    #[test]
    fn malformed_vias_are_rejected() {
        assert!(Via::decode("/2.0/UDP host").is_err());
        assert!(Via::decode("SIP/3.0/UDP host").is_err());
        let checked = |v: &str| Via::decode(v).and_then(|v| v.check_params());
        assert!(checked("SIP/2.0/UDP host;=token").is_err());
        assert!(checked("SIP/2.0/UDP host;;branch=z9hG4bK1").is_err());
        assert!(checked("SIP/2.0/UDP host;branch=a\"b").is_err());
        assert!(Via::decode("SIP/2.0/UDP").is_err());
        assert!(Via::decode("SIP/2.0/UDP host:70000").is_err());
    }
}
