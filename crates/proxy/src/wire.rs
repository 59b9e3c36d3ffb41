//! Small edits of header lists that a proxy makes: popping one element of a comma-separated
//! Via or Route line, rewriting the route set, reading URIs out of `name-addr` values, and
//! the address a URI or a Via names.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use sip_message::header::Via;
use sip_message::{HeaderName, Headers, Host, Scheme, Uri};
use sip_transaction::{Peer, Transport};

/// Splits a header value at the commas that separate list elements, leaving commas inside
/// quotes and `<>` alone. Elements are trimmed; empty ones are dropped.
pub(crate) fn split_list(value: &str) -> Vec<&str> {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut quoted, mut angle, mut i) = (0, false, false, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => {
                out.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(value[start..].trim());
    out.retain(|e| !e.is_empty());
    out
}

/// Every element of every line of `name`, in order.
pub(crate) fn elements(headers: &Headers, name: HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .flat_map(|line| {
            split_list(&String::from_utf8_lossy(line))
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Removes the first element of the first `name` line (a line may hold several), and returns
/// it. The rest of that line stays on top.
pub(crate) fn pop_first(headers: &mut Headers, name: HeaderName) -> Option<String> {
    let line = headers.remove_first(name)?;
    let text = String::from_utf8_lossy(&line).into_owned();
    let mut parts = split_list(&text).into_iter();
    let first = parts.next().map(str::to_owned);
    let rest: Vec<&str> = parts.collect();
    if !rest.is_empty() {
        headers.insert_first(name, Bytes::from(rest.join(", ")));
    }
    first
}

/// Replaces the route set by `routes`, one value per line, in order.
pub(crate) fn set_routes(headers: &mut Headers, routes: &[String]) {
    headers.remove(HeaderName::Route);
    for r in routes {
        headers.push(HeaderName::Route, Bytes::from(r.clone()));
    }
}

/// The URI inside a `name-addr` or `addr-spec` value (`<sip:p.example.com;lr>` gives
/// `sip:p.example.com;lr`).
pub(crate) fn uri_of(value: &str) -> &str {
    match (value.find('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => &value[open + 1..close],
        _ => value.split(';').next().unwrap_or(value).trim(),
    }
}

/// Whether a URI carries the `lr` parameter (a loose router, RFC 3261 §19.1.1).
pub(crate) fn is_loose(uri: &str) -> bool {
    Uri::parse(uri).is_ok_and(|u| u.params().contains("lr"))
}

/// The transport a URI asks for: its `transport` parameter, TLS for `sips:`, else
/// `default`.
pub(crate) fn uri_transport(uri: &Uri<'_>, default: Transport) -> Transport {
    match uri.params().get("transport").flatten() {
        Some(t) => transport_from_token(t).unwrap_or(default),
        None if uri.scheme() == Scheme::Sips => Transport::Tls,
        None => default,
    }
}

/// A transport from a Via token or a `transport=` parameter value, ignoring case.
pub(crate) fn transport_from_token(t: &str) -> Option<Transport> {
    Some(match t.to_ascii_uppercase().as_str() {
        "UDP" => Transport::Udp,
        "TCP" => Transport::Tcp,
        "TLS" => Transport::Tls,
        "SCTP" => Transport::Sctp,
        "WS" => Transport::Ws,
        "WSS" => Transport::Wss,
        _ => return None,
    })
}

/// The default port of a transport (RFC 3261 §19.1.2: 5060, 5061 over TLS).
pub(crate) fn default_port(transport: Transport) -> u16 {
    match transport {
        Transport::Tls | Transport::Wss => 5061,
        _ => 5060,
    }
}

/// The peer a SIP URI with an IP address for host names: the port defaults to 5060 (5061 for
/// TLS), the transport comes from the `transport` parameter (TLS for `sips:`), else
/// `default_transport`. `None` for a domain name (resolve it with RFC 3263) or a URI that is
/// not SIP.
///
/// ```
/// use sip_proxy::peer_for_uri;
/// use sip_transaction::Transport;
/// let p = peer_for_uri("sip:bob@192.0.2.7:5070;transport=tcp", Transport::Udp).unwrap();
/// assert_eq!((p.addr.to_string().as_str(), p.transport), ("192.0.2.7:5070", Transport::Tcp));
/// assert_eq!(peer_for_uri("sips:192.0.2.7", Transport::Udp).unwrap().addr.port(), 5061);
/// assert!(peer_for_uri("sip:bob@example.com", Transport::Udp).is_none());
/// ```
pub fn peer_for_uri(uri: &str, default_transport: Transport) -> Option<Peer> {
    let uri = Uri::parse(uri.trim()).ok()?;
    if !uri.is_sip() {
        return None;
    }
    let ip: IpAddr = match uri.host()? {
        Host::Ipv4(a) => a.into(),
        Host::Ipv6(a) => a.into(),
        Host::Domain(_) => return None,
    };
    let transport = uri_transport(&uri, default_transport);
    let port = uri.port().unwrap_or_else(|| default_port(transport));
    Some(Peer::new(SocketAddr::new(ip, port), transport))
}

/// Where a response goes back to by a Via (RFC 3261 §18.2.2, RFC 3581): the `received`
/// address (else the sent-by host, if it is an IP address), the `rport` value (else the
/// sent-by port, else the default), over the Via's transport.
pub(crate) fn peer_for_via(via: &Via<'_>) -> Option<Peer> {
    let transport = transport_from_token(via.transport())?;
    let ip: IpAddr = match via.received() {
        Some(r) => r.parse().ok()?,
        None => match via.host() {
            Host::Ipv4(a) => a.into(),
            Host::Ipv6(a) => a.into(),
            Host::Domain(_) => return None,
        },
    };
    let port = via
        .rport()
        .flatten()
        .and_then(|p| p.parse().ok())
        .or(via.port())
        .unwrap_or_else(|| default_port(transport));
    Some(Peer::new(SocketAddr::new(ip, port), transport))
}

/// A 64-bit FNV-1a hash: stable across runs, builds and machines, so that a loop-detection
/// branch computed by one process is recognised by another.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// Adds `bytes`, then a separator so that ("ab", "c") and ("a", "bc") differ.
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(std::iter::once(&0xff)) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub(crate) fn finish(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lists_split_outside_quotes_and_brackets() {
        assert_eq!(
            split_list(r#"<sip:a;x=1,2>, "B, c" <sip:b>,sip:c"#),
            ["<sip:a;x=1,2>", r#""B, c" <sip:b>"#, "sip:c"]
        );
        assert_eq!(split_list(" , "), Vec::<&str>::new());
    }

    #[test]
    fn pop_first_keeps_the_rest_of_the_line_on_top() {
        let mut h = Headers::new();
        h.push(HeaderName::Route, "<sip:a;lr>, <sip:b;lr>");
        h.push(HeaderName::Route, "<sip:c;lr>");
        assert_eq!(pop_first(&mut h, HeaderName::Route).unwrap(), "<sip:a;lr>");
        assert_eq!(
            elements(&h, HeaderName::Route),
            ["<sip:b;lr>", "<sip:c;lr>"]
        );
    }

    #[test]
    fn uris_out_of_name_addrs() {
        assert_eq!(uri_of("<sip:p;lr>;foo"), "sip:p;lr");
        assert_eq!(uri_of("sip:p"), "sip:p");
        assert!(is_loose("sip:p;lr"));
        assert!(!is_loose("sip:p"));
    }

    #[test]
    fn via_response_address_prefers_received_and_rport() {
        let raw = "SIP/2.0/UDP host.example.com:5070;branch=z9hG4bK1;received=192.0.2.9;rport=4000";
        let via = <Via<'_> as sip_message::TypedHeader<'_>>::decode(raw).unwrap();
        let p = peer_for_via(&via).unwrap();
        assert_eq!(p.addr.to_string(), "192.0.2.9:4000");
    }
}
