//! Memory stays bounded under floods of distinct source addresses, and bans are kept.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, Ipv6Addr};

use common::{guard, ip, ms, secs, t0};
use sip_abuse::{AbuseConfig, BanTarget, Verdict};

#[test]
fn million_distinct_sources_stay_within_max_tracked_sources_and_keep_bans() {
    let config = AbuseConfig {
        max_tracked_sources: 10_000,
        rate_limit: 5,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let start = t0();

    // Ban a few sources first, by flooding and by scanner User-Agent.
    let flooders: Vec<IpAddr> = (0..10).map(|n| ip(0x00ff_0000 + n)).collect();
    for &f in &flooders {
        while g.check_request(start, f, None).is_allowed() {}
    }
    let _ = g.check_request(start, ip(0x00ff_1000), Some("friendly-scanner"));

    // A spoofed flood: one request from each of a million addresses (IPv6, so none repeat).
    for n in 0..1_000_000u128 {
        let source = IpAddr::V6(Ipv6Addr::from(0x2001_0db8_u128 << 96 | n));
        let now = start + ms(1) + ms((n / 1000) as u64);
        assert_eq!(g.check_request(now, source, None), Verdict::Allow);
        assert!(g.tracked_sources() <= 10_000);
    }
    assert_eq!(g.tracked_sources(), 10_000);
    assert!(g.stats().sources_forgotten >= 990_000);

    let later = start + secs(2);
    for &f in &flooders {
        assert!(g.is_banned(later, f, None), "{f} lost its ban");
        assert_eq!(g.check_request(later, f, None), Verdict::Drop);
    }
    assert!(g.is_banned(later, ip(0x00ff_1000), None));
    assert_eq!(g.banned_addresses(), 11);
}

#[test]
fn the_most_recently_seen_sources_keep_their_counts_under_churn() {
    let config = AbuseConfig {
        max_tracked_sources: 100,
        rate_limit: 50,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let now = t0();
    // A steady client is seen between every pair of new addresses: it is never the oldest, so its
    // count survives the churn and its flood is still caught.
    let steady = ip(1);
    let mut banned = false;
    for n in 0..10_000u32 {
        let _ = g.check_request(now, ip(1000 + n), None);
        if n % 2 == 0 {
            banned |= matches!(g.check_request(now, steady, None), Verdict::Banned(_));
        }
    }
    assert!(banned, "the steady source's count was lost to eviction");
    assert!(g.tracked_sources() <= 100);
}

#[test]
fn auth_failures_from_many_sources_stay_within_max_auth_sources() {
    let config = AbuseConfig {
        max_auth_sources: 1_000,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let now = t0();
    for n in 0..50_000u32 {
        assert_eq!(g.auth_failed(now, ip(n), &format!("user{n}")), None);
        assert!(g.tracked_auth_sources() <= 1_000);
    }
}

#[test]
fn ban_table_is_bounded_and_keeps_the_longest_bans() {
    let config = AbuseConfig {
        max_bans: 1_000,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let now = t0();
    // An operator's long ban, then a distributed scan banning 5000 addresses for 300 s each.
    g.ban(now, BanTarget::Source(ip(0)), secs(86_400));
    for n in 1..=5_000u32 {
        let at = now + ms(u64::from(n));
        assert!(matches!(
            g.check_request(at, ip(n), Some("friendly-scanner")),
            Verdict::Banned(_)
        ));
        assert!(g.banned_addresses() <= 1_000);
    }
    assert_eq!(g.stats().bans_evicted, 4_001);
    assert!(g.is_banned(now + secs(10), ip(0), None));
    // The newest scanners are still banned; the oldest made room.
    assert!(g.is_banned(now + secs(10), ip(5_000), None));
    assert!(!g.is_banned(now + secs(10), ip(1), None));
}
