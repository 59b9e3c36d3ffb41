//! Where a user agent listens: `udp:127.0.0.1:5060`, `tcp:...`, `tls:ADDR:CERT:KEY`, `ws:...`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use sip_transaction::Transport;

/// One listener. Its transport also names the user agent's Contact (`;transport=tcp`...), so
/// that the peer sends its in-dialog requests where this agent listens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Listen {
    /// SIP over UDP.
    Udp(SocketAddr),
    /// SIP over TCP.
    Tcp(SocketAddr),
    /// SIP over TLS (1.2 and 1.3) with this PEM certificate chain and key.
    Tls {
        /// The address.
        addr: SocketAddr,
        /// PEM certificate chain.
        cert: PathBuf,
        /// PEM private key.
        key: PathBuf,
    },
    /// SIP over WebSocket (RFC 7118, sub-protocol `sip`).
    Ws(SocketAddr),
}

impl Listen {
    /// The address to bind (port 0 picks one).
    pub fn addr(&self) -> SocketAddr {
        match self {
            Listen::Udp(a) | Listen::Tcp(a) | Listen::Ws(a) => *a,
            Listen::Tls { addr, .. } => *addr,
        }
    }

    /// The transport.
    pub fn transport(&self) -> Transport {
        match self {
            Listen::Udp(_) => Transport::Udp,
            Listen::Tcp(_) => Transport::Tcp,
            Listen::Tls { .. } => Transport::Tls,
            Listen::Ws(_) => Transport::Ws,
        }
    }
}

/// A listener specification that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad listener {spec:?}: {why} (expected udp:ADDR:PORT, tcp:ADDR:PORT, tls:ADDR:PORT:CERT:KEY or ws:ADDR:PORT)"
)]
pub struct ListenParseError {
    spec: String,
    why: &'static str,
}

impl FromStr for Listen {
    type Err = ListenParseError;

    /// ```
    /// use sip_ua::Listen;
    /// let l: Listen = "tcp:127.0.0.1:5060".parse().unwrap();
    /// assert_eq!(l, Listen::Tcp("127.0.0.1:5060".parse().unwrap()));
    /// let t: Listen = "tls:127.0.0.1:5061:/tmp/c.pem:/tmp/k.pem".parse().unwrap();
    /// assert_eq!(t.addr().port(), 5061);
    /// assert!("sctp:127.0.0.1:5060".parse::<Listen>().is_err());
    /// ```
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let err = |why| ListenParseError {
            spec: spec.to_owned(),
            why,
        };
        let (kind, rest) = spec.split_once(':').ok_or_else(|| err("no transport"))?;
        let kind = kind.to_ascii_lowercase();
        if kind == "tls" {
            // ADDR:PORT:CERT:KEY, with an IPv4 address (IPv6 would need brackets).
            let mut parts = rest.splitn(4, ':');
            let (Some(host), Some(port), Some(cert), Some(key)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(err("tls needs ADDR:PORT:CERT:KEY"));
            };
            let addr = format!("{host}:{port}")
                .parse()
                .map_err(|_| err("bad address"))?;
            if cert.is_empty() || key.is_empty() {
                return Err(err("empty certificate or key path"));
            }
            return Ok(Listen::Tls {
                addr,
                cert: cert.into(),
                key: key.into(),
            });
        }
        let addr: SocketAddr = rest.parse().map_err(|_| err("bad address"))?;
        match kind.as_str() {
            "udp" => Ok(Listen::Udp(addr)),
            "tcp" => Ok(Listen::Tcp(addr)),
            "ws" => Ok(Listen::Ws(addr)),
            _ => Err(err("unknown transport")),
        }
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Udp(a) => write!(f, "udp:{a}"),
            Listen::Tcp(a) => write!(f, "tcp:{a}"),
            Listen::Tls { addr, cert, key } => {
                write!(f, "tls:{addr}:{}:{}", cert.display(), key.display())
            }
            Listen::Ws(a) => write!(f, "ws:{a}"),
        }
    }
}
