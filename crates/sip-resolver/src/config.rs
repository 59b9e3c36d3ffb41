//! Typed configuration with the RFC defaults written down.

use std::time::Duration;

use sip_transaction::Transport;

/// Which address families to look up for a host name, and in which order to try them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpStrategy {
    /// A only.
    Ipv4Only,
    /// AAAA only.
    Ipv6Only,
    /// A and AAAA; for each host, its IPv4 addresses before its IPv6 ones.
    #[default]
    Ipv4ThenIpv6,
    /// A and AAAA; for each host, its IPv6 addresses before its IPv4 ones.
    Ipv6ThenIpv4,
}

impl IpStrategy {
    /// Whether A records are wanted.
    pub fn wants_v4(self) -> bool {
        !matches!(self, IpStrategy::Ipv6Only)
    }

    /// Whether AAAA records are wanted.
    pub fn wants_v6(self) -> bool {
        !matches!(self, IpStrategy::Ipv4Only)
    }
}

/// Settings of a [`Locator`](crate::Locator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The transports this element can send over. NAPTR and SRV results for other transports are
    /// discarded, and a URI whose `transport` parameter names another one is refused.
    /// Default: UDP, TCP, TLS.
    pub transports: Vec<Transport>,
    /// Address families to look up. Default: IPv4 then IPv6.
    pub ip_strategy: IpStrategy,
    /// The port used for UDP, TCP and SCTP when neither the URI nor SRV gives one
    /// (RFC 3261 §19.1.2). Default: 5060.
    pub sip_port: u16,
    /// The port used for TLS when neither the URI nor SRV gives one. Default: 5061.
    pub sips_port: u16,
    /// The port used for WebSocket when the URI gives none. RFC 7118 names none, so this is
    /// the HTTP default of RFC 6455. Default: 80.
    pub ws_port: u16,
    /// The port used for secure WebSocket when the URI gives none. Default: 443.
    pub wss_port: u16,
    /// The largest number of cached answers. Default: 4096.
    pub cache_capacity: usize,
    /// Positive answers are cached for their TTL, but no longer than this. Default: 1 hour.
    pub max_ttl: Duration,
    /// How long to cache "no such records" when the server sent no SOA. Default: 30 s.
    pub default_negative_ttl: Duration,
    /// Negative answers are cached no longer than this (RFC 2308 §5 suggests hours; a SIP
    /// element wants a domain that fixes its DNS back sooner). Default: 5 minutes.
    pub max_negative_ttl: Duration,
    /// How long a failed target is skipped when the failure names no duration (RFC 3263 §4.3;
    /// a 503's Retry-After overrides it). Default: 60 s.
    pub blacklist_duration: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            transports: vec![Transport::Udp, Transport::Tcp, Transport::Tls],
            ip_strategy: IpStrategy::default(),
            sip_port: 5060,
            sips_port: 5061,
            ws_port: 80,
            wss_port: 443,
            cache_capacity: 4096,
            max_ttl: Duration::from_secs(3600),
            default_negative_ttl: Duration::from_secs(30),
            max_negative_ttl: Duration::from_secs(300),
            blacklist_duration: Duration::from_secs(60),
        }
    }
}

impl Config {
    /// Whether `transport` is one this element can use.
    pub fn supports(&self, transport: Transport) -> bool {
        self.transports.contains(&transport)
    }

    /// The port to use for `transport` when neither the URI nor DNS gives one.
    pub fn default_port(&self, transport: Transport) -> u16 {
        match transport {
            Transport::Tls => self.sips_port,
            Transport::Ws => self.ws_port,
            Transport::Wss => self.wss_port,
            _ => self.sip_port,
        }
    }
}
