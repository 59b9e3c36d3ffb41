//! Configuration, with the RFC defaults written down.

use std::time::Duration;

/// What to do with the extra dialogs when a forked INVITE is answered `2xx` by more than one
/// UAS (RFC 3261 §13.2.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ForkPolicy {
    /// Acknowledge every `2xx`, keep the first dialog, and send BYE on every later one. The
    /// application never hears an extra dialog confirmed, only (after `Early`, if it was
    /// early) `Terminated(ExtraFork)` when its BYE completes.
    #[default]
    ByeExtra,
    /// Acknowledge every `2xx` and report every dialog as confirmed; the application chooses.
    KeepAll,
}

/// Which request the refresher sends to refresh a session (RFC 4028 §7.4, §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RefreshMethod {
    /// UPDATE without a body when the peer allows UPDATE (RFC 4028 recommends it: no
    /// offer/answer), else a re-INVITE carrying the last session description sent.
    #[default]
    UpdateIfAllowed,
    /// Always a re-INVITE with the last session description sent.
    Invite,
}

/// Session timers (RFC 4028). The defaults are the RFC's: an interval of 1800 s, and 90 s as
/// the smallest interval accepted (Min-SE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// The session interval asked for in an initial INVITE and granted by a UAS when the
    /// request did not ask (Session-Expires, seconds).
    pub interval: u32,
    /// The smallest interval accepted; a request asking for less is answered `422` with
    /// this Min-SE (RFC 4028 §8.1). Never below 90.
    pub min_se: u32,
    /// How the refresher refreshes.
    pub refresh: RefreshMethod,
}

impl Default for SessionTimerConfig {
    fn default() -> Self {
        SessionTimerConfig {
            interval: 1800,
            min_se: 90,
            refresh: RefreshMethod::UpdateIfAllowed,
        }
    }
}

/// How the layer behaves. Built by the driver (the binary reads TOML; this crate does not).
///
/// ```
/// let cfg = sip_dialog::Config::new("sip:alice@192.0.2.1:5060", "192.0.2.1:5060");
/// assert_eq!(cfg.max_forwards, 70);
/// assert!(cfg.auto_ack && cfg.auto_prack);
/// assert_eq!(cfg.session_timer.as_ref().map(|s| s.min_se), Some(90));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The transaction layer's timers (T1 = 500 ms, T2 = 4 s, T4 = 5 s). The dialog layer's
    /// own timers count in the same units: 2xx retransmission (T1 doubling to T2), the ACK
    /// wait (64·T1), reliable provisional retransmission (T1 doubling) and its PRACK wait
    /// (64·T1), the NOTIFY wait (64·T1).
    pub transaction: sip_transaction::Config,
    /// The URI put in Contact (without angle brackets), the remote target the peer uses for
    /// requests in our dialogs.
    pub contact: String,
    /// The Via sent-by (`host[:port]`) of requests this layer sends.
    pub sent_by: String,
    /// Max-Forwards of requests this layer sends (RFC 3261 §8.1.1.6 recommends 70).
    pub max_forwards: u8,
    /// Send the ACK for a `2xx` to an INVITE as soon as the `2xx` arrives, without a body.
    /// Turn it off to send the ACK with [`DialogLayer::ack`](crate::DialogLayer::ack), for
    /// instance to carry the answer to an offer made in the `2xx` (delayed offer). ACKs for
    /// `2xx` retransmissions are always resent by the layer.
    pub auto_ack: bool,
    /// Send the PRACK for a reliable provisional response as soon as it arrives, without a
    /// body. Turn it off to send it with [`DialogLayer::prack`](crate::DialogLayer::prack).
    pub auto_prack: bool,
    /// Forked `2xx` answers.
    pub fork_policy: ForkPolicy,
    /// Session timers; `None` turns them off (no `timer` in Supported, Session-Expires
    /// ignored, a request requiring `timer` is answered `420`).
    pub session_timer: Option<SessionTimerConfig>,
    /// The duration of the implicit subscription a REFER creates (RFC 3515 §2.4.4 leaves it to
    /// the notifier), in seconds.
    pub refer_expires: u32,
    /// Subscription duration granted when a SUBSCRIBE carries no Expires (RFC 6665 §4.2.1.1:
    /// each event package defines it; 3600 s is the common choice).
    pub default_subscription_expires: u32,
}

impl Config {
    /// A configuration with the RFC defaults, for a UA reachable at `contact` that sends
    /// from `sent_by`.
    pub fn new(contact: impl Into<String>, sent_by: impl Into<String>) -> Self {
        Config {
            transaction: sip_transaction::Config::default(),
            contact: contact.into(),
            sent_by: sent_by.into(),
            max_forwards: 70,
            auto_ack: true,
            auto_prack: true,
            fork_policy: ForkPolicy::ByeExtra,
            session_timer: Some(SessionTimerConfig::default()),
            refer_expires: 60,
            default_subscription_expires: 3600,
        }
    }

    /// 64·T1.
    pub(crate) fn timeout(&self) -> Duration {
        self.transaction.timeout()
    }

    pub(crate) fn t1(&self) -> Duration {
        self.transaction.t1
    }

    pub(crate) fn t2(&self) -> Duration {
        self.transaction.t2
    }
}
