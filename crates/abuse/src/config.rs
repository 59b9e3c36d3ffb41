//! Configuration of the abuse guard, with its defaults written down.

use std::time::Duration;

use crate::lru::MAX_CAPACITY;

/// User-Agent substrings of SIP scanners and attack tools, banned on sight by default.
///
/// Each was checked against what the tool sends, and none is a substring of a common phone,
/// softswitch or test tool:
///
/// - `friendly-scanner`: SIPVicious (`svmap`, `svwar`, `svcrack`) by default, and many botnets
///   that copied it;
/// - `sipvicious`: SIPVicious builds and forks that name themselves;
/// - `sipcli`: the sipcli brute-forcer (`sipcli/v1.8`) seen in toll-fraud INVITE floods;
/// - `sip-scan`, `sipscan`: sip-scan / SIPScan scanners;
/// - `pplsip`: SIPPTS, the SIP pentest suite (`sipscan.py`, `sipexten`, `siprcrack` default);
/// - `sipptk`: older SIPPTS (Perl) releases;
/// - `vaxsipuseragent`: the VaxSIP SDK default, sent by mass-calling fraud bots;
/// - `sundayddr`: the sundayddr war-dialer;
/// - `iwar`: the iWar war-dialer;
/// - `sipbomber`: the SIPBomber flooder;
/// - `siparmyknife`: the SIP Army Knife fuzzer;
/// - `friendly-request`: a SIPVicious variant seen in the wild.
///
/// Deliberately absent: `sipsak` and `SIPp` (legitimate monitoring and test tools), `smap` and
/// `Test Agent` (too short or too generic for a substring match without false positives).
pub const DEFAULT_BLOCKED_USER_AGENTS: &[&str] = &[
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "sip-scan",
    "sipscan",
    "pplsip",
    "sipptk",
    "vaxsipuseragent",
    "sundayddr",
    "iwar",
    "sipbomber",
    "siparmyknife",
    "friendly-request",
];

/// Abuse protection settings: the server's `[security]` section.
///
/// A limit of `0` switches that check off. Trusted sources (trunks, an office NAT with hundreds of
/// phones, monitoring) are exempt by the caller's choice: it simply does not ask the guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbuseConfig {
    /// Length of the per-source counting window, like Kamailio pike's `sampling_time_unit`.
    ///
    /// Default **2 s**. The window starts at the first request from a source and a request after
    /// it starts a new one (fixed windows, as pike counts), so a source can burst up to
    /// `2 × rate_limit` across a window boundary.
    pub rate_window: Duration,
    /// Requests one source may send within `rate_window`; the next one bans it. `0` disables.
    ///
    /// Default **200** (100 requests/s sustained). A phone sends a handful of requests a minute;
    /// a PBX trunk carrying 20 new calls per second sends about 60 (INVITE, ACK, BYE); a SIPp or
    /// SIPVicious flood sends hundreds to thousands. Pike's own default (30 per 2 s) suits single
    /// phones and bans busy trunks. Trunks, and offices with hundreds of phones behind one NAT
    /// (which all re-register together after a power cut), belong on the trusted list anyway.
    pub rate_limit: u32,
    /// How long a source over `rate_limit` (or with a scanner User-Agent) is banned.
    /// Default **300 s**.
    pub ban_time: Duration,
    /// Failed authentications of one username from one source within `auth_window` that ban
    /// that (username, source) pair. `0` disables. Default **5**.
    pub auth_failures: u32,
    /// Window for counting authentication failures, from the first failure. Default **60 s**.
    pub auth_window: Duration,
    /// How long a (username, source) pair, or a password-spraying source, is banned.
    /// Default **300 s**.
    pub auth_ban_time: Duration,
    /// Failed authentications from one source within `auth_window`, for any usernames, that ban
    /// the whole source (password spraying, user enumeration). `0` disables. Default **20**.
    pub source_auth_failures: u32,
    /// User-Agent substrings, matched ASCII-case-insensitively anywhere in the first
    /// [`MAX_USER_AGENT_SCAN`] bytes, that ban the source at once.
    /// Default [`DEFAULT_BLOCKED_USER_AGENTS`].
    pub blocked_user_agents: Vec<String>,
    /// Most sources whose request rate is counted at once. The least recently seen is forgotten
    /// first; bans are kept elsewhere and are not affected. Default **100 000** (at most about
    /// 16 MB; see the crate documentation for the arithmetic).
    pub max_tracked_sources: usize,
    /// Most sources whose authentication failures are counted at once, least recently failing
    /// forgotten first. Only sources that failed within about `auth_window` need a place.
    /// Default **25 000** (at most about 10 MB).
    pub max_auth_sources: usize,
    /// Most banned sources held at once (a source's username bans count with it). When full, a
    /// new ban replaces the one closest to expiry. Default **100 000**.
    pub max_bans: usize,
}

/// How much of a User-Agent is searched for [`AbuseConfig::blocked_user_agents`]: scanners put
/// their name first, and a bound keeps a padded 64 KiB header from costing a scan.
pub const MAX_USER_AGENT_SCAN: usize = 512;

/// Longest ban [`crate::AbuseGuard::ban`] and import accept: longer ones are shortened to this.
pub const MAX_BAN_TIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

impl Default for AbuseConfig {
    fn default() -> Self {
        Self {
            rate_window: Duration::from_secs(2),
            rate_limit: 200,
            ban_time: Duration::from_secs(300),
            auth_failures: 5,
            auth_window: Duration::from_secs(60),
            auth_ban_time: Duration::from_secs(300),
            source_auth_failures: 20,
            blocked_user_agents: DEFAULT_BLOCKED_USER_AGENTS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            max_tracked_sources: 100_000,
            max_auth_sources: 25_000,
            max_bans: 100_000,
        }
    }
}

/// A setting of [`AbuseConfig`] that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A window or ban time is zero while its check is on.
    #[error("`{0}` must be longer than zero")]
    ZeroDuration(&'static str),
    /// A capacity is zero or too large to index.
    #[error("`{field}` must be between 1 and {max}")]
    Capacity {
        /// The offending setting.
        field: &'static str,
        /// The largest accepted value.
        max: usize,
    },
    /// An empty User-Agent pattern would match, and ban, every client.
    #[error("`blocked_user_agents` entry {0} is empty and would ban every client")]
    EmptyUserAgent(usize),
}

impl AbuseConfig {
    /// Checks that every setting can work; [`crate::AbuseGuard::new`] calls it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let durations = [
            (self.rate_limit > 0, self.rate_window, "rate_window"),
            (self.rate_limit > 0, self.ban_time, "ban_time"),
            (self.auth_enabled(), self.auth_window, "auth_window"),
            (self.auth_enabled(), self.auth_ban_time, "auth_ban_time"),
        ];
        for (on, d, field) in durations {
            if on && d.is_zero() {
                return Err(ConfigError::ZeroDuration(field));
            }
        }
        for (value, field) in [
            (self.max_tracked_sources, "max_tracked_sources"),
            (self.max_auth_sources, "max_auth_sources"),
            (self.max_bans, "max_bans"),
        ] {
            if value == 0 || value > MAX_CAPACITY {
                return Err(ConfigError::Capacity {
                    field,
                    max: MAX_CAPACITY,
                });
            }
        }
        if let Some(i) = self.blocked_user_agents.iter().position(|p| p.is_empty()) {
            return Err(ConfigError::EmptyUserAgent(i));
        }
        Ok(())
    }

    pub(crate) fn auth_enabled(&self) -> bool {
        self.auth_failures > 0 || self.source_auth_failures > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(AbuseConfig::default().validate(), Ok(()));
    }

    #[test]
    fn empty_user_agent_pattern_is_refused() {
        let mut c = AbuseConfig::default();
        c.blocked_user_agents.push(String::new());
        assert!(matches!(
            c.validate(),
            Err(ConfigError::EmptyUserAgent(i)) if i == DEFAULT_BLOCKED_USER_AGENTS.len()
        ));
    }

    #[test]
    fn zero_window_is_refused_only_when_its_check_is_on() {
        let mut c = AbuseConfig {
            rate_window: Duration::ZERO,
            ..AbuseConfig::default()
        };
        assert_eq!(c.validate(), Err(ConfigError::ZeroDuration("rate_window")));
        c.rate_limit = 0;
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn zero_capacity_is_refused() {
        let c = AbuseConfig {
            max_bans: 0,
            ..AbuseConfig::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Capacity {
                field: "max_bans",
                ..
            })
        ));
    }

    #[test]
    fn default_patterns_are_lower_case_and_spare_legitimate_tools() {
        for p in DEFAULT_BLOCKED_USER_AGENTS {
            assert_eq!(*p, p.to_ascii_lowercase());
            for legit in [
                "sipsak 0.9.8",
                "SIPp v3.7",
                "Linphone/5.2",
                "Asterisk PBX 20",
            ] {
                assert!(
                    !legit.to_ascii_lowercase().contains(p),
                    "{p} matches {legit}"
                );
            }
        }
    }
}
