//! Helpers shared by the behaviour tests.

#![allow(dead_code, unreachable_pub)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use sip_abuse::{AbuseConfig, AbuseGuard};

/// An address in 10.0.0.0/8 numbered `n`.
pub fn ip(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (n & 0x00ff_ffff)))
}

pub fn guard(config: AbuseConfig) -> AbuseGuard {
    AbuseGuard::new(config).expect("valid config")
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A fixed origin for simulated time.
pub fn t0() -> Instant {
    Instant::now()
}
