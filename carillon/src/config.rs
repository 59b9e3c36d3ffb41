//! The TOML configuration file. Every key is optional; a missing key takes the default written
//! on its field (and in `carillon.example.toml`, which documents every key). Unknown keys are
//! refused with the file, line and key named.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::listen::{Listen, ListenSpec};

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listening sockets, data directory, domains.
    pub server: ServerSection,
    /// Certificate and key for TLS and WSS listeners.
    pub tls: TlsSection,
    /// WebSocket handshakes.
    pub websocket: WebSocketSection,
    /// REGISTER handling.
    pub registrar: RegistrarSection,
    /// Digest authentication and trusted peers.
    pub auth: AuthSection,
    /// Request routing.
    pub proxy: ProxySection,
    /// NAT traversal for signalling.
    pub nat: NatSection,
    /// DNS for forwarding to domain names (RFC 3263).
    pub dns: DnsSection,
    /// MESSAGE store and forward.
    pub messages: MessagesSection,
    /// Abuse protection and overload control.
    pub security: SecuritySection,
    /// The Prometheus endpoint.
    pub metrics: MetricsSection,
    /// Logging.
    pub log: LogSection,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Sockets to open. Empty (the default): UDP and TCP on port 5060 of every local address.
    #[serde(deserialize_with = "de_listen", serialize_with = "ser_listen")]
    pub listen: Vec<Listen>,
    /// Where the database lives. Default `./carillon-data`.
    pub data_dir: PathBuf,
    /// Domains served besides those of the users and the server's own addresses.
    pub domains: Vec<String>,
    /// The host name or address written in Via and Record-Route instead of the bound
    /// address (for a server behind a 1:1 NAT). Default: the bound address.
    pub advertised_host: Option<String>,
    /// The Server / User-Agent header value. Default `Carillon`.
    pub server_header: String,
    /// Threads for network input and output (receiving, TLS, WebSocket). The SIP core is one
    /// task whatever this is; the other threads read and parse beside it, so that a burst it
    /// cannot keep up with is sorted (new requests shed, BYEs and responses kept) instead of
    /// being dropped at random by the kernel. One costs the least CPU per message when the
    /// machine has nothing else to do. Default: one per CPU, at most 4.
    pub threads: usize,
    /// How long, in milliseconds, a registration or stored message waits for others to share
    /// its disk commit (fsync). 0 commits at once. Default 2.
    pub commit_delay_ms: u64,
}

/// One I/O thread per CPU, at most 4.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: Vec::new(),
            data_dir: PathBuf::from("carillon-data"),
            domains: Vec::new(),
            advertised_host: None,
            server_header: "Carillon".to_owned(),
            threads: default_threads(),
            commit_delay_ms: 2,
        }
    }
}

/// `[tls]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// PEM certificate chain for TLS and WSS listeners.
    pub certificate: Option<PathBuf>,
    /// PEM private key for it.
    pub private_key: Option<PathBuf>,
}

/// `[websocket]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSocketSection {
    /// Origins (`https://phone.example.com`) whose pages may open a SIP WebSocket; empty
    /// accepts any. A browser always sends its page's Origin, so listing yours stops other
    /// sites' pages from using the server through their visitors' browsers.
    pub allowed_origins: Vec<String>,
    /// Refuse handshakes without an Origin header (non-browser clients send none).
    pub require_origin: bool,
}

/// `[registrar]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrarSection {
    /// Shortest registration accepted, seconds; shorter ones get 423 Interval Too Brief.
    pub min_expires: u32,
    /// Longest registration granted, seconds; longer requests are shortened to this.
    pub max_expires: u32,
    /// Registration time when the client asks for none, seconds.
    pub default_expires: u32,
    /// Most contacts per address of record.
    pub max_contacts: usize,
}

impl Default for RegistrarSection {
    fn default() -> Self {
        RegistrarSection {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            max_contacts: 10,
        }
    }
}

/// `[auth]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// Digest algorithms offered, one challenge each, in this order (`MD5`, `SHA-256`).
    /// Only MD5 by default, like Kamailio: some clients fail when any other challenge is
    /// present (baresip 1.0 gives up; SIPp reads only the first). Add `SHA-256` when every
    /// client handles RFC 8760; clients that support it then use it (PJSIP does).
    pub algorithms: Vec<String>,
    /// How long a nonce stays valid, seconds; older ones get `stale=true`.
    pub nonce_lifetime: u64,
    /// Refuse credentials whose digest `uri` is not the Request-URI. Off by default: some
    /// clients (SIPp) put the server's address there, and the digest and nonce counts
    /// already bind the credentials to one request.
    pub check_digest_uri: bool,
    /// Source addresses or networks (`192.0.2.10`, `10.0.0.0/8`) never challenged: gateways
    /// and other servers. Their requests are trusted like an authenticated user's.
    #[serde(deserialize_with = "de_networks")]
    pub trusted: Vec<Network>,
}

impl Default for AuthSection {
    fn default() -> Self {
        AuthSection {
            algorithms: vec!["MD5".to_owned()],
            nonce_lifetime: 300,
            check_digest_uri: false,
            trusted: Vec::new(),
        }
    }
}

/// `[proxy]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxySection {
    /// Add Record-Route to dialog-creating requests so in-dialog requests pass the proxy.
    pub record_route: bool,
    /// Timer C, seconds: an INVITE branch with no final response this long is cancelled.
    pub timer_c: u64,
    /// Forward requests of our authenticated users to domains we do not serve.
    pub forward_to_other_domains: bool,
}

impl Default for ProxySection {
    fn default() -> Self {
        ProxySection {
            record_route: true,
            timer_c: 180,
            forward_to_other_domains: true,
        }
    }
}

/// `[nat]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatSection {
    /// Seconds between keep-alives to registered contacts (OPTIONS over UDP, CRLF over TCP
    /// and TLS); 0 turns them off.
    pub keepalive_interval: u64,
}

impl Default for NatSection {
    fn default() -> Self {
        NatSection {
            keepalive_interval: 30,
        }
    }
}

/// `[dns]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnsSection {
    /// Name servers to ask (`"192.0.2.53:53"`). Empty (the default): the system's
    /// (`/etc/resolv.conf`).
    pub servers: Vec<SocketAddr>,
    /// Seconds to wait for each DNS answer.
    pub timeout: u64,
}

impl Default for DnsSection {
    fn default() -> Self {
        DnsSection {
            servers: Vec::new(),
            timeout: 3,
        }
    }
}

/// `[messages]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MessagesSection {
    /// Keep MESSAGEs for users of ours who are not registered (answered 202) and deliver
    /// them when they register.
    pub store_offline: bool,
    /// Seconds a kept message waits for its recipient before it is dropped.
    pub max_age: u64,
    /// Most messages kept per user; beyond it the sender gets 480.
    pub max_per_user: usize,
}

impl Default for MessagesSection {
    fn default() -> Self {
        MessagesSection {
            store_offline: true,
            max_age: 7 * 24 * 3600,
            max_per_user: 100,
        }
    }
}

/// `[security]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySection {
    /// Abuse protection: rate limits, authentication lockout, scanner blocking.
    pub enabled: bool,
    /// Requests one source address may send per `rate_window` seconds before it is banned
    /// (Kamailio's pike); 0 turns the limit off. Trusted peers are exempt.
    pub rate_limit: u32,
    /// The window of `rate_limit`, seconds.
    pub rate_window: u64,
    /// Seconds a source over the rate limit, or sending a scanner's User-Agent, is banned.
    pub ban_time: u64,
    /// Failed authentications of one user from one address within `auth_window` that ban
    /// that user from that address (the user elsewhere is not affected); 0 turns it off.
    pub auth_failures: u32,
    /// The window of `auth_failures`, seconds.
    pub auth_window: u64,
    /// Seconds a user-and-address pair is banned after too many failures.
    pub auth_ban_time: u64,
    /// Failed authentications from one address, any users, within `auth_window` that ban
    /// the address (password spraying); 0 turns it off.
    pub source_auth_failures: u32,
    /// User-Agent substrings (any case) that ban a source at once: scanners.
    pub blocked_user_agents: Vec<String>,
    /// New INVITEs get 503 (Retry-After) when this many messages wait to be processed;
    /// other new requests at twice as many; at four times as many new requests are dropped
    /// unanswered as they arrive, before parsing, so that the receive path keeps draining the
    /// socket and requests inside dialogs still get in. Requests inside dialogs and responses
    /// are never refused. 0 turns overload control off.
    pub overload_queue: usize,
}

impl Default for SecuritySection {
    fn default() -> Self {
        let a = sip_abuse::AbuseConfig::default();
        SecuritySection {
            enabled: true,
            rate_limit: a.rate_limit,
            rate_window: a.rate_window.as_secs().max(1),
            ban_time: a.ban_time.as_secs(),
            auth_failures: a.auth_failures,
            auth_window: a.auth_window.as_secs(),
            auth_ban_time: a.auth_ban_time.as_secs(),
            source_auth_failures: a.source_auth_failures,
            blocked_user_agents: a.blocked_user_agents.clone(),
            overload_queue: 2048,
        }
    }
}

impl SecuritySection {
    /// The abuse guard's configuration.
    pub fn abuse_config(&self) -> sip_abuse::AbuseConfig {
        let secs = std::time::Duration::from_secs;
        sip_abuse::AbuseConfig {
            rate_window: secs(self.rate_window),
            rate_limit: self.rate_limit,
            ban_time: secs(self.ban_time),
            auth_failures: self.auth_failures,
            auth_window: secs(self.auth_window),
            auth_ban_time: secs(self.auth_ban_time),
            source_auth_failures: self.source_auth_failures,
            blocked_user_agents: self.blocked_user_agents.clone(),
            ..sip_abuse::AbuseConfig::default()
        }
    }
}

/// `[metrics]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Serve the endpoint at all.
    pub enabled: bool,
    /// Address of the HTTP endpoint serving `/metrics`.
    pub listen: SocketAddr,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 9060)),
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// `error`, `warn`, `info` (one line per transaction), `debug` or `trace`, or a
    /// tracing filter (`info,sip_transport=debug`). `RUST_LOG` overrides it.
    pub level: String,
    /// `text` or `json`.
    pub format: LogFormat,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            level: "info".to_owned(),
            format: LogFormat::Text,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// An address or network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Whether `ip` is inside the network. IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not an address or a network like 10.0.0.0/8");
        let (a, p) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = a.trim().parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Network { addr, prefix })
    }
}

impl Serialize for Network {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn de_networks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Network>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .collect()
}

fn de_listen<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Listen>, D::Error> {
    let mut out = Vec::new();
    for s in Vec::<String>::deserialize(d)? {
        let ListenSpec(v) = s.parse().map_err(serde::de::Error::custom)?;
        out.extend(v);
    }
    Ok(out)
}

fn ser_listen<S: serde::Serializer>(v: &[Listen], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(ToString::to_string))
}

/// The file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key, or a value of the wrong kind.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line of the offending key or value.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, with the key named.
        message: String,
    },
    /// Values that parse but do not fit together.
    #[error("{path}: {message}")]
    Inconsistent {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Parses configuration text; `name` is used in error messages.
    pub fn parse(text: &str, name: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let start = e.span().map_or(0, |r| r.start).min(text.len());
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            let key = text[start..]
                .split(['=', '\n'])
                .next()
                .unwrap_or("")
                .trim()
                .to_owned();
            let mut message = e.message().trim().to_owned();
            if message.starts_with("unknown field") && !key.is_empty() {
                message = format!("unknown key `{key}`: {message}");
            }
            ConfigError::Invalid {
                path: name.to_owned(),
                line,
                column,
                message,
            }
        })?;
        config.check(name)?;
        Ok(config)
    }

    fn check(&self, name: &str) -> Result<(), ConfigError> {
        let bad = |message: String| {
            Err(ConfigError::Inconsistent {
                path: name.to_owned(),
                message,
            })
        };
        let r = &self.registrar;
        if r.min_expires > r.max_expires {
            return bad(format!(
                "registrar.min_expires ({}) is above registrar.max_expires ({})",
                r.min_expires, r.max_expires
            ));
        }
        if r.default_expires < r.min_expires || r.default_expires > r.max_expires {
            return bad(
                "registrar.default_expires must lie between min_expires and max_expires".into(),
            );
        }
        if self.server.threads == 0 || self.server.threads > 256 {
            return bad("server.threads must lie between 1 and 256".into());
        }
        if self.server.commit_delay_ms > 1000 {
            return bad("server.commit_delay_ms must be at most 1000".into());
        }
        if r.max_contacts == 0 {
            return bad("registrar.max_contacts must be at least 1".into());
        }
        if self.auth.algorithms.is_empty() {
            return bad("auth.algorithms must name at least one algorithm".into());
        }
        for a in &self.auth.algorithms {
            if sip_auth::Algorithm::from_token(a).is_none() {
                return bad(format!(
                    "auth.algorithms: `{a}` is not supported (use SHA-256 or MD5)"
                ));
            }
        }
        if let Err(e) = self.security.abuse_config().validate() {
            return bad(format!("security: {e}"));
        }
        if self.dns.timeout == 0 {
            return bad("dns.timeout must be at least 1 second".into());
        }
        if self.auth.nonce_lifetime == 0 {
            return bad("auth.nonce_lifetime must be at least 1 second".into());
        }
        let needs_tls = self.server.listen.iter().any(|l| {
            matches!(
                l.transport,
                sip_transport::Transport::Tls | sip_transport::Transport::Wss
            )
        });
        if needs_tls && (self.tls.certificate.is_none() || self.tls.private_key.is_none()) {
            return bad("a tls: or wss: listener needs tls.certificate and tls.private_key".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn empty_file_gives_the_defaults() {
        let c = Config::parse("", "x.toml").unwrap();
        assert_eq!(c.registrar.min_expires, 60);
        assert!(c.server.listen.is_empty());
        assert_eq!(c.server.data_dir, PathBuf::from("carillon-data"));
    }

    #[test]
    fn unknown_key_is_named_with_file_and_line() {
        let text = "[server]\ndata_dir = \"d\"\n\n[registrar]\nmin_expire = 10\n";
        let e = Config::parse(text, "carillon.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("carillon.toml:5:"), "{e}");
        assert!(e.contains("min_expire"), "{e}");
    }

    #[test]
    fn unknown_section_is_named() {
        let e = Config::parse("[sever]\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:1:"), "{e}");
        assert!(e.contains("sever"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_line() {
        let e = Config::parse("[nat]\n\nkeepalive_interval = \"often\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:3:"), "{e}");
    }

    #[test]
    fn bad_listen_and_network_values_are_explained() {
        let e = Config::parse("[server]\nlisten = [\"udp:nowhere\"]\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml:2:") && e.contains("udp:nowhere"), "{e}");
        let e = Config::parse("[auth]\ntrusted = [\"10.0.0.0/33\"]\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml:2:") && e.contains("10.0.0.0/33"), "{e}");
    }

    #[test]
    fn trusted_networks_match_addresses() {
        let n: Network = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains("10.200.1.1".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.0.0.1".parse().unwrap()));
        let h: Network = "127.0.0.1".parse().unwrap();
        assert!(h.contains("127.0.0.1".parse().unwrap()));
        assert!(!h.contains("127.0.0.2".parse().unwrap()));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn inconsistent_values_are_refused() {
        assert!(Config::parse("[registrar]\nmin_expires = 100\nmax_expires = 50\n", "c").is_err());
        assert!(Config::parse("[server]\nlisten = [\"tls:127.0.0.1:5061\"]\n", "c").is_err());
        assert!(Config::parse("[auth]\nalgorithms = [\"SHA-512\"]\n", "c").is_err());
    }

    #[test]
    fn example_file_parses_and_documents_every_key() {
        let example = include_str!("../../carillon.example.toml");
        Config::parse(example, "carillon.example.toml").unwrap();
        let defaults = toml::to_string(&Config::default()).unwrap();
        let mut section = String::new();
        for line in defaults.lines() {
            if let Some(s) = line.strip_prefix('[') {
                section = s.trim_end_matches(']').to_owned();
                assert!(
                    example.contains(&format!("[{section}]")),
                    "[{section}] undocumented"
                );
            } else if let Some((key, _)) = line.split_once(" = ") {
                let documented = example.lines().any(|l| {
                    l.trim_start_matches(['#', ' '])
                        .starts_with(&format!("{key} ="))
                });
                assert!(
                    documented,
                    "{section}.{key} is not in carillon.example.toml"
                );
            }
        }
    }
}
