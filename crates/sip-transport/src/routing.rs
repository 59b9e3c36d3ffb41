//! Where responses go (RFC 3261 §18.2.2 with RFC 3581), stamping `received` / `rport` on the
//! top Via of incoming requests (§18.2.1), and the addresses we never send to.
//!
//! Everything here is pure: it takes a Via, a source address and a connection id, and returns
//! a decision. The tokio side applies it.

use std::net::{IpAddr, SocketAddr};

use sip_message::header::Via;
use sip_message::{HeaderError, HeaderName, Headers, Host, Request, TypedHeader};
use sip_transaction::{Peer, Transport};

use crate::ConnectionId;

/// Why no response destination (or stamped Via) could be computed: the request's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The request has no Via.
    #[error("request has no Via")]
    NoVia,
    /// The top Via does not parse.
    #[error("top Via is malformed: {0}")]
    BadVia(#[from] HeaderError),
    /// The top Via names a transport we do not know.
    #[error("unknown transport {0:?} in the top Via")]
    UnknownTransport(String),
}

/// The address is one no SIP message may be sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("refusing to send to {addr}: {reason}")]
pub struct ForbiddenAddress {
    /// The address refused.
    pub addr: SocketAddr,
    /// Why.
    pub reason: &'static str,
}

/// Refuses unspecified (`0.0.0.0`, `::`), broadcast (`255.255.255.255`) and multicast
/// addresses, and port 0. A response steered there by a forged Via or `maddr` would turn the
/// server into an amplifier. (Subnet-directed broadcast addresses cannot be told from unicast
/// without the interface table; the kernel refuses them unless `SO_BROADCAST` is set, which this
/// crate never sets.)
pub fn check_destination(addr: SocketAddr) -> Result<(), ForbiddenAddress> {
    let reason = match addr.ip().to_canonical() {
        ip if ip.is_unspecified() => Some("unspecified address"),
        ip if ip.is_multicast() => Some("multicast address"),
        IpAddr::V4(v4) if v4.is_broadcast() => Some("broadcast address"),
        _ if addr.port() == 0 => Some("port 0"),
        _ => None,
    };
    match reason {
        Some(reason) => Err(ForbiddenAddress { addr, reason }),
        None => Ok(()),
    }
}

/// The transport a Via token names (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS`, any case).
pub fn parse_transport(token: &str) -> Option<Transport> {
    const ALL: [Transport; 6] = [
        Transport::Udp,
        Transport::Tcp,
        Transport::Tls,
        Transport::Sctp,
        Transport::Ws,
        Transport::Wss,
    ];
    ALL.into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(token))
}

/// The port a sent-by without a port means (RFC 3261 §18.2.2: 5060, or 5061 for TLS;
/// RFC 7118 §5: 80 and 443 for WS and WSS).
pub fn default_port(transport: Transport) -> u16 {
    match transport {
        Transport::Tls => 5061,
        Transport::Ws => 80,
        Transport::Wss => 443,
        _ => 5060,
    }
}

/// Where a response to a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseTarget {
    /// Back on the connection the request came in on. If it has closed, open a new one to
    /// `fallback` (`received` and the sent-by port, or `rport`); WS and WSS have no fallback
    /// since a browser cannot be connected to.
    Connection {
        /// The request's connection.
        id: ConnectionId,
        /// Where to connect when it has closed.
        fallback: Option<Peer>,
    },
    /// To this address (UDP, or a reliable transport whose request did not come over a
    /// connection we hold).
    Peer(Peer),
    /// `maddr` names a host that must be resolved first (RFC 3263 §5), then sent to at this
    /// port over this transport.
    Resolve {
        /// The maddr host.
        host: String,
        /// The port (from sent-by, or the default).
        port: u16,
        /// The transport.
        transport: Transport,
    },
}

impl ResponseTarget {
    /// The [`crate::Destination`] to hand to [`crate::TransportLayer::send`], sending from
    /// `local` over UDP (the address the request arrived on). `None` for
    /// [`ResponseTarget::Resolve`].
    pub fn destination(&self, local: Option<SocketAddr>) -> Option<crate::Destination> {
        let d = match self {
            ResponseTarget::Connection { id, fallback } => {
                let d = crate::Destination::connection(*id);
                match fallback {
                    Some(p) => d.or_peer(*p),
                    None => d,
                }
            }
            ResponseTarget::Peer(p) => crate::Destination::peer(*p),
            ResponseTarget::Resolve { .. } => return None,
        };
        Some(match local {
            Some(l) => d.from_local(l),
            None => d,
        })
    }
}

/// Decides where the responses to a request go, from its top Via, the address it came from
/// and the connection it came over (RFC 3261 §18.2.2, RFC 3581 §4):
///
/// 1. Over a reliable transport, on the same connection; if that has closed (or the request
///    did not come over a connection we hold), to the `received` address and the sent-by port.
/// 2. Otherwise, if the Via has `maddr`, to that address at the sent-by port (5060 by default).
///    A multicast `maddr` is refused later by [`check_destination`].
/// 3. Otherwise, with `rport`, to the `received` address and the `rport` port (the source port
///    when `rport` is still empty).
/// 4. Otherwise to the `received` address and the sent-by port.
///
/// "The `received` address" is the Via's `received` parameter, or the source address when it
/// has none: [`add_received`] puts one in whenever the sent-by differs from the source, so the
/// two agree.
pub fn response_target(
    via: &Via<'_>,
    source: &Peer,
    connection: Option<ConnectionId>,
) -> Result<ResponseTarget, RouteError> {
    let via_transport = parse_transport(via.transport())
        .ok_or_else(|| RouteError::UnknownTransport(via.transport().to_owned()))?;
    let received_ip = via
        .received()
        .and_then(parse_ip)
        .unwrap_or_else(|| source.addr.ip().to_canonical());
    let rport = match via.rport() {
        Some(Some(p)) => p.parse::<u16>().ok(),
        Some(None) => Some(source.addr.port()),
        None => None,
    };
    if let Some(id) = connection {
        let t = source.transport;
        let fallback = match t {
            Transport::Ws | Transport::Wss => None,
            _ => {
                // §18.2.2: the sent-by port, not rport: a connection to a client's
                // ephemeral source port would reach nothing.
                let port = via.port().unwrap_or_else(|| default_port(via_transport));
                Some(Peer::new(SocketAddr::new(received_ip, port), t))
            }
        };
        return Ok(ResponseTarget::Connection { id, fallback });
    }
    let sent_by_port = via.port().unwrap_or_else(|| default_port(via_transport));
    if via_transport.is_reliable() {
        return Ok(ResponseTarget::Peer(Peer::new(
            SocketAddr::new(received_ip, sent_by_port),
            via_transport,
        )));
    }
    if let Some(maddr) = via.params().get("maddr").flatten() {
        return Ok(match parse_ip(maddr) {
            Some(ip) => {
                ResponseTarget::Peer(Peer::new(SocketAddr::new(ip, sent_by_port), via_transport))
            }
            None => ResponseTarget::Resolve {
                host: maddr.to_owned(),
                port: sent_by_port,
                transport: via_transport,
            },
        });
    }
    let port = rport.unwrap_or(sent_by_port);
    Ok(ResponseTarget::Peer(Peer::new(
        SocketAddr::new(received_ip, port),
        via_transport,
    )))
}

/// [`response_target`] for a request's top Via.
pub fn response_target_for(
    req: &Request,
    source: &Peer,
    connection: Option<ConnectionId>,
) -> Result<ResponseTarget, RouteError> {
    let via = req.via().map_err(|e| match e {
        HeaderError::Missing => RouteError::NoVia,
        e => RouteError::BadVia(e),
    })?;
    response_target(&via, source, connection)
}

/// An IP address as a `received` or `maddr` value may hold it (IPv6 with or without brackets).
fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// Adds `received` (and fills `rport`) on the top Via of an incoming request, as RFC 3261
/// §18.2.1 and RFC 3581 §4 ask: `received` when the sent-by host differs from the source IP
/// or when `rport` is present; `rport=<source port>` when `rport` is present. Returns whether
/// the header changed. Other Via values, and the rest of the top Via's line, are kept as they
/// were.
pub fn add_received(headers: &mut Headers, source: SocketAddr) -> Result<bool, RouteError> {
    let line = headers.get(HeaderName::Via).ok_or(RouteError::NoVia)?;
    let line = std::str::from_utf8(line).map_err(|_| RouteError::BadVia(HeaderError::NotUtf8))?;
    let (top, rest) = split_first_element(line);
    let via = Via::decode(top)?;
    let src_ip = source.ip().to_canonical();
    let same_host = match via.host() {
        Host::Ipv4(a) => IpAddr::V4(a) == src_ip,
        Host::Ipv6(a) => IpAddr::V6(a).to_canonical() == src_ip,
        Host::Domain(_) => false,
    };
    let rport = via.rport().is_some();
    if same_host && !rport {
        return Ok(false);
    }
    let (base, params) = match top.find(';') {
        Some(i) => (top[..i].trim_end(), &top[i + 1..]),
        None => (top.trim_end(), ""),
    };
    let mut out = String::with_capacity(line.len() + 48);
    out.push_str(base);
    for (name, value) in sip_message::Params::new(params).iter() {
        if name.eq_ignore_ascii_case("received") || (rport && name.eq_ignore_ascii_case("rport")) {
            continue;
        }
        out.push(';');
        out.push_str(name);
        if let Some(v) = value {
            out.push('=');
            out.push_str(v);
        }
    }
    out.push_str(";received=");
    out.push_str(&src_ip.to_string());
    if rport {
        out.push_str(";rport=");
        out.push_str(&source.port().to_string());
    }
    if let Some(rest) = rest {
        out.push(',');
        out.push_str(rest);
    }
    headers.remove_first(HeaderName::Via);
    headers.insert_first(HeaderName::Via, out);
    Ok(true)
}

/// Splits a header line at the first comma outside quotes: the first list element and what
/// follows the comma.
pub(crate) fn split_first_element(line: &str) -> (&str, Option<&str>) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, b) in line.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted => return (line[..i].trim(), Some(&line[i + 1..])),
            _ => {}
        }
    }
    (line.trim(), None)
}

#[cfg(test)]
mod tests;
