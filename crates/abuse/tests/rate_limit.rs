//! Per-source request rate limiting (pike-like) and its bans.

#![allow(clippy::unwrap_used)]

mod common;

use common::{guard, ip, ms, secs, t0};
use sip_abuse::{AbuseConfig, BanReason, BanTarget, Verdict};

#[test]
fn flood_from_one_source_is_banned_within_the_window_and_dropped_until_ban_time_passes() {
    let config = AbuseConfig::default();
    let (limit, window, ban_time) = (config.rate_limit, config.rate_window, config.ban_time);
    let mut g = guard(config);
    let start = t0();
    let attacker = ip(1);

    // 1000 requests per second.
    let mut banned_at = None;
    for i in 0..2000u64 {
        let now = start + ms(i);
        match g.check_request(now, attacker, Some("sipp")) {
            Verdict::Allow => assert!(banned_at.is_none(), "allowed after the ban at {i} ms"),
            Verdict::Banned(ban) => {
                assert!(banned_at.is_none(), "Banned reported twice");
                assert_eq!(ban.target, BanTarget::Source(attacker));
                assert_eq!(ban.reason, BanReason::RateLimit);
                assert_eq!(ban.until, now + ban_time);
                banned_at = Some(now);
            }
            Verdict::Drop => assert!(banned_at.is_some(), "dropped before any ban"),
            other => panic!("unexpected {other:?}"),
        }
    }
    let banned_at = banned_at.expect("the flood was banned");
    // The request after the limit, well within the first window.
    assert_eq!(banned_at, start + ms(u64::from(limit)));
    assert!(banned_at - start < window);

    // Still dropped just before the ban ends, even at a gentle rate.
    let last = banned_at + ban_time - ms(1);
    assert_eq!(g.check_request(last, attacker, None), Verdict::Drop);
    assert!(g.is_banned(last, attacker, None));
    // Once it has passed, the source is served again and counted from zero.
    let after = banned_at + ban_time;
    assert!(!g.is_banned(after, attacker, None));
    assert_eq!(g.check_request(after, attacker, None), Verdict::Allow);
    assert_eq!(g.request_count(after, attacker), 1);
    assert_eq!(g.stats().bans_issued(BanReason::RateLimit), 1);
    assert_eq!(g.stats().requests_dropped, 2000 - u64::from(limit) + 1);
}

#[test]
fn hundred_sources_at_a_normal_rate_are_never_banned_while_a_flood_runs() {
    let mut g = guard(AbuseConfig::default());
    let start = t0();
    let attacker = ip(1);
    let users: Vec<_> = (100..200).map(ip).collect();
    let mut allowed = 0u64;
    // 60 s: the attacker sends 2000 requests/s; each user a request every 100 ms (10/s, far
    // above a phone's rate), all interleaved.
    for tick in 0..60_000u64 {
        let now = start + ms(tick);
        for _ in 0..2 {
            let _ = g.check_request(now, attacker, None);
        }
        if tick % 100 == 0 {
            for &user in &users {
                assert_eq!(
                    g.check_request(now, user, Some("Yealink SIP-T46U")),
                    Verdict::Allow
                );
                allowed += 1;
            }
        }
    }
    assert_eq!(allowed, 100 * 600);
    assert!(g.is_banned(start + secs(60), ip(1), None));
    assert_eq!(g.bans(start + secs(60)).len(), 1);
}

#[test]
fn exactly_the_limit_per_window_is_allowed_and_windows_restart() {
    let config = AbuseConfig {
        rate_limit: 10,
        ..AbuseConfig::default()
    };
    let window = config.rate_window;
    let mut g = guard(config);
    let start = t0();
    // Ten requests in each of five consecutive windows: never over.
    for w in 0..5u32 {
        for i in 0..10u32 {
            let now = start + window * w + ms(u64::from(i));
            assert_eq!(
                g.check_request(now, ip(7), None),
                Verdict::Allow,
                "window {w} #{i}"
            );
        }
    }
    // The eleventh in a window is one too many.
    let now = start + window * 4 + ms(50);
    assert!(matches!(
        g.check_request(now, ip(7), None),
        Verdict::Banned(_)
    ));
}

#[test]
fn zero_rate_limit_switches_rate_limiting_off() {
    let config = AbuseConfig {
        rate_limit: 0,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let start = t0();
    for _ in 0..100_000 {
        assert_eq!(g.check_request(start, ip(1), None), Verdict::Allow);
    }
    assert_eq!(g.tracked_sources(), 0);
}

#[test]
fn flood_resumed_after_the_ban_is_banned_again() {
    let config = AbuseConfig {
        rate_limit: 5,
        ..AbuseConfig::default()
    };
    let ban_time = config.ban_time;
    let mut g = guard(config);
    let start = t0();
    let flood = |g: &mut sip_abuse::AbuseGuard, from: std::time::Instant| {
        (0..10u64).find_map(|i| match g.check_request(from + ms(i), ip(3), None) {
            Verdict::Banned(ban) => Some(ban),
            _ => None,
        })
    };
    let first = flood(&mut g, start).expect("first ban");
    let second = flood(&mut g, first.until).expect("second ban");
    assert_eq!(second.since, first.until + ms(5));
    assert_eq!(second.until, second.since + ban_time);
    assert_eq!(g.stats().bans_issued(BanReason::RateLimit), 2);
}
