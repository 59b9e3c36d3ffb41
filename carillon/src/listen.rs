//! Listening addresses: `udp:127.0.0.1:5060`, `tls:[::1]:5061`, or a bare `ADDR:PORT` meaning
//! UDP and TCP on that address.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use sip_transport::Transport;

/// One socket to open: a transport on an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Listen {
    /// UDP, TCP, TLS, WS or WSS.
    pub transport: Transport,
    /// The address and port to bind.
    pub addr: SocketAddr,
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.transport.as_str().to_ascii_lowercase(),
            self.addr
        )
    }
}

/// A `--listen` value or a `listen` entry of the configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSpec(pub Vec<Listen>);

/// A listen value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a listen address: use ADDR:PORT (UDP and TCP) or TRANSPORT:ADDR:PORT with TRANSPORT one of udp, tcp, tls, ws, wss (IPv6 in brackets: [::1]:5060)"
)]
pub struct ListenParseError(pub String);

impl FromStr for ListenSpec {
    type Err = ListenParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ListenParseError(s.to_owned());
        let lower = s.trim().to_ascii_lowercase();
        let (transports, rest): (&[Transport], &str) = match lower.split_once(':') {
            Some(("udp", r)) => (&[Transport::Udp], r),
            Some(("tcp", r)) => (&[Transport::Tcp], r),
            Some(("tls", r)) => (&[Transport::Tls], r),
            Some(("ws", r)) => (&[Transport::Ws], r),
            Some(("wss", r)) => (&[Transport::Wss], r),
            _ => (&[Transport::Udp, Transport::Tcp], lower.as_str()),
        };
        let addr: SocketAddr = rest.parse().map_err(|_| err())?;
        Ok(ListenSpec(
            transports
                .iter()
                .map(|&transport| Listen { transport, addr })
                .collect(),
        ))
    }
}

/// The addresses of every local interface that is up (IPv4 and IPv6, loopback included),
/// each with UDP and TCP on `port`: what `carillon serve` opens when nothing is configured.
/// Binding each address rather than the wildcard lets every reply leave from the address
/// the request came to, and gives Via and Record-Route a real address.
pub fn every_local_address(port: u16) -> Vec<Listen> {
    let mut ips: Vec<std::net::IpAddr> = if_addrs::get_if_addrs()
        .map(|v| v.into_iter().map(|i| i.ip()).collect())
        .unwrap_or_default();
    // Link-local IPv6 addresses need a scope id to bind; they are no use to SIP clients.
    ips.retain(|ip| match ip {
        std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
        std::net::IpAddr::V4(_) => true,
    });
    ips.sort();
    ips.dedup();
    if ips.is_empty() {
        ips.push(std::net::Ipv4Addr::LOCALHOST.into());
    }
    ips.into_iter()
        .flat_map(|ip| {
            [Transport::Udp, Transport::Tcp].map(|transport| Listen {
                transport,
                addr: SocketAddr::new(ip, port),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bare_address_means_udp_and_tcp() {
        let ListenSpec(v) = "127.0.0.1:5070".parse().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].transport, Transport::Udp);
        assert_eq!(v[1].transport, Transport::Tcp);
        assert_eq!(v[0].addr.port(), 5070);
    }

    #[test]
    fn transport_prefix_selects_one_transport() {
        let ListenSpec(v) = "TLS:[::1]:5061".parse().unwrap();
        assert_eq!(
            v,
            vec![Listen {
                transport: Transport::Tls,
                addr: "[::1]:5061".parse().unwrap()
            }]
        );
    }

    #[test]
    fn garbage_is_refused_with_the_value_named() {
        let e = "sctp:1.2.3.4:5".parse::<ListenSpec>().unwrap_err();
        assert!(e.to_string().contains("sctp:1.2.3.4:5"));
        assert!("127.0.0.1".parse::<ListenSpec>().is_err());
    }
}
