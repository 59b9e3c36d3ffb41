//! Configuration, with the RFC defaults written down.

use std::net::SocketAddr;
use std::time::Duration;

use sip_transaction::Transport;

/// One address the proxy listens on, and how it names itself there.
///
/// It serves three purposes: recognising a Route or Request-URI that means this proxy
/// (RFC 3261 §16.4), the Record-Route URI inserted for requests that arrive or leave over it
/// (§16.6 step 4), and the sent-by of the Via pushed on requests sent from it (§16.6 step 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAddr {
    /// The transport of this listener.
    pub transport: Transport,
    /// The bound socket address (what the driver passes as `local`).
    pub addr: SocketAddr,
    /// The host written in Via and Record-Route (an IP address or a name that resolves to
    /// this listener), e.g. `127.0.0.1` or `proxy.example.com`.
    pub host: String,
    /// The port written in Via and Record-Route (differs from `addr`'s behind a port mapping).
    pub port: u16,
}

impl LocalAddr {
    /// A listener that advertises its bound address as is.
    pub fn new(transport: Transport, addr: SocketAddr) -> Self {
        let host = match addr {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
        };
        LocalAddr {
            transport,
            addr,
            host,
            port: addr.port(),
        }
    }

    /// `host:port`, the Via sent-by.
    pub fn sent_by(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The URI this proxy puts in Record-Route for this listener: `sip:host:port;lr`, with
    /// `;transport=` unless the transport is UDP (RFC 3261 §16.6 step 4, §19.1.1).
    pub fn record_route_uri(&self) -> String {
        match self.transport {
            Transport::Udp => format!("sip:{}:{};lr", self.host, self.port),
            t => format!(
                "sip:{}:{};transport={};lr",
                self.host,
                self.port,
                t.as_str().to_ascii_lowercase()
            ),
        }
    }
}

/// What a [`Proxy`](crate::Proxy) needs to know. [`ProxyConfig::new`] gives the RFC defaults.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Timer values of the transaction layer the proxy owns. Its `send_100_trying` is
    /// replaced by [`ProxyConfig::send_100_trying`].
    pub transaction: sip_transaction::Config,
    /// The listeners: the URIs that mean "this proxy" in Route and Request-URI checks
    /// (§16.4), and the Record-Route and Via values per transport.
    pub locals: Vec<LocalAddr>,
    /// More host names that mean this proxy in Route and Request-URI checks (with the port
    /// of any listener, or none). The domains the proxy serves are not necessarily here:
    /// a Request-URI in a served domain is a routing target, not this proxy.
    pub also_local_hosts: Vec<String>,
    /// Timer C (§16.6 step 11): how long an INVITE branch may stay without a final response
    /// after its last provisional one. The RFC asks for more than 3 minutes; 180 s here.
    pub timer_c: Duration,
    /// The Max-Forwards a forwarded request gets when it arrived without one (§16.6 step 3
    /// says it SHOULD be 70).
    pub max_forwards_default: u8,
    /// Whether an INVITE is answered `100 Trying` as soon as it arrives (§16.2, §17.2.1).
    pub send_100_trying: bool,
    /// Option tags this proxy supports in Proxy-Require; a request naming another one is
    /// answered 420 with Unsupported (§16.3 step 5). Empty by default.
    pub proxy_require_supported: Vec<String>,
}

impl ProxyConfig {
    /// The defaults (Timer C 180 s, Max-Forwards 70, `100 Trying` on) for these listeners.
    pub fn new(locals: Vec<LocalAddr>) -> Self {
        ProxyConfig {
            transaction: sip_transaction::Config::default(),
            locals,
            also_local_hosts: Vec::new(),
            timer_c: Duration::from_secs(180),
            max_forwards_default: 70,
            send_100_trying: true,
            proxy_require_supported: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn record_route_names_the_transport_unless_udp() {
        let udp = LocalAddr::new(Transport::Udp, "192.0.2.10:5060".parse().unwrap());
        let tcp = LocalAddr::new(Transport::Tcp, "192.0.2.10:5060".parse().unwrap());
        assert_eq!(udp.record_route_uri(), "sip:192.0.2.10:5060;lr");
        assert_eq!(
            tcp.record_route_uri(),
            "sip:192.0.2.10:5060;transport=tcp;lr"
        );
        assert_eq!(udp.sent_by(), "192.0.2.10:5060");
    }
}
