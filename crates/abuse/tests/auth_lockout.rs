//! Authentication failure lockout: per (username, source) pair, and per source across usernames.

#![allow(clippy::unwrap_used)]

mod common;

use common::{guard, ip, secs, t0};
use sip_abuse::{AbuseConfig, BanReason, BanTarget, Verdict};

fn alice_at(source: std::net::IpAddr) -> BanTarget {
    BanTarget::User {
        source,
        username: "alice".into(),
    }
}

#[test]
fn five_wrong_passwords_ban_alice_from_that_address_but_not_from_another() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    let (a, b) = (ip(1), ip(2));
    for i in 1..5 {
        assert_eq!(
            g.auth_failed(now + secs(i), a, "alice"),
            None,
            "failure {i}"
        );
        assert!(!g.is_banned(now + secs(i), a, Some("alice")));
    }
    let ban = g
        .auth_failed(now + secs(5), a, "alice")
        .expect("fifth failure bans");
    assert_eq!(ban.target, alice_at(a));
    assert_eq!(ban.reason, BanReason::AuthFailures);
    assert_eq!(ban.until, now + secs(5) + secs(300));

    let later = now + secs(6);
    assert!(g.is_banned(later, a, Some("alice")));
    // Only the pair: the address is not banned, nor other users from it, nor alice elsewhere.
    assert!(!g.is_banned(later, a, None));
    assert_eq!(g.check_request(later, a, None), Verdict::Allow);
    assert!(!g.is_banned(later, a, Some("bob")));
    assert!(!g.is_banned(later, b, Some("alice")));
    g.auth_succeeded(b, "alice");
    assert!(!g.is_banned(later, b, Some("alice")));
    // Usernames are case-sensitive, like SIP user parts.
    assert!(!g.is_banned(later, a, Some("Alice")));
    assert_eq!(g.stats().bans_issued(BanReason::AuthFailures), 1);
}

#[test]
fn failures_spread_over_more_than_the_window_do_not_ban() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    // Four failures per minute, forever: below the limit in every window.
    for minute in 0..10 {
        for i in 0..4 {
            let at = now + secs(minute * 60 + i);
            assert_eq!(g.auth_failed(at, ip(1), "alice"), None);
        }
    }
    assert!(g.bans(now + secs(600)).is_empty());
}

#[test]
fn spraying_many_usernames_from_one_address_bans_the_address() {
    let config = AbuseConfig::default();
    let spray = config.source_auth_failures;
    let mut g = guard(config);
    let now = t0();
    let sprayer = ip(9);
    let mut ban = None;
    for i in 0..spray {
        // Two tries per name: never near the per-user limit.
        let user = format!("{}", 100 + i / 2);
        let at = now + secs(u64::from(i));
        if let Some(b) = g.auth_failed(at, sprayer, &user) {
            assert_eq!(i + 1, spray, "banned too early");
            ban = Some(b);
        }
    }
    let ban = ban.expect("spraying bans the source");
    assert_eq!(ban.target, BanTarget::Source(sprayer));
    assert_eq!(ban.reason, BanReason::AuthSpray);
    let later = now + secs(30);
    assert_eq!(g.check_request(later, sprayer, None), Verdict::Drop);
    assert!(g.is_banned(later, sprayer, Some("anyone")));
    // Others are untouched.
    assert_eq!(g.check_request(later, ip(10), None), Verdict::Allow);
}

#[test]
fn success_resets_the_pair_counter() {
    // Twenty-odd failures a minute would trip the spraying limit, which a success does not reset.
    let config = AbuseConfig {
        source_auth_failures: 0,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let now = t0();
    for round in 0..5 {
        // Four failures, then the right password: the count starts over each time.
        for i in 0..4 {
            let at = now + secs(round * 5 + i);
            assert_eq!(g.auth_failed(at, ip(1), "alice"), None, "round {round}");
        }
        g.auth_succeeded(ip(1), "alice");
    }
    assert!(!g.is_banned(now + secs(25), ip(1), Some("alice")));
    // Without the success, the next four plus one would ban.
    for i in 0..4 {
        assert_eq!(g.auth_failed(now + secs(30 + i), ip(1), "alice"), None);
    }
    assert!(g.auth_failed(now + secs(40), ip(1), "alice").is_some());
}

#[test]
fn success_does_not_clear_the_spraying_count() {
    let config = AbuseConfig {
        source_auth_failures: 6,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let now = t0();
    // A sprayer that owns one account logs in between guesses.
    for i in 0..5 {
        assert_eq!(g.auth_failed(now + secs(i), ip(1), &format!("u{i}")), None);
        g.auth_succeeded(ip(1), "mine");
    }
    let ban = g
        .auth_failed(now + secs(5), ip(1), "u5")
        .expect("sixth failure bans");
    assert_eq!(ban.reason, BanReason::AuthSpray);
}

#[test]
fn answers_to_a_banned_pair_are_not_counted_against_the_address() {
    let config = AbuseConfig {
        source_auth_failures: 10,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let now = t0();
    for i in 0..5 {
        g.auth_failed(now + secs(i), ip(1), "alice");
    }
    assert!(g.is_banned(now + secs(5), ip(1), Some("alice")));
    // A phone with a stale password keeps retrying while banned: the office stays reachable.
    for i in 0..50 {
        assert_eq!(g.auth_failed(now + secs(5 + i), ip(1), "alice"), None);
    }
    assert!(!g.is_banned(now + secs(55), ip(1), None));
    assert!(!g.is_banned(now + secs(55), ip(1), Some("bob")));
}

#[test]
fn pair_ban_ends_after_auth_ban_time() {
    let config = AbuseConfig::default();
    let ban_time = config.auth_ban_time;
    let mut g = guard(config);
    let now = t0();
    let ban = (0..5)
        .find_map(|i| g.auth_failed(now + secs(i), ip(1), "alice"))
        .unwrap();
    assert!(g.is_banned(ban.until - secs(1), ip(1), Some("alice")));
    assert!(!g.is_banned(ban.since + ban_time, ip(1), Some("alice")));
    // And counting starts over: four more failures do not ban again.
    for i in 0..4 {
        assert_eq!(g.auth_failed(ban.until + secs(i), ip(1), "alice"), None);
    }
}

#[test]
fn zero_limits_switch_lockout_off() {
    let config = AbuseConfig {
        auth_failures: 0,
        source_auth_failures: 0,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let now = t0();
    for i in 0..1000 {
        assert_eq!(g.auth_failed(now, ip(1), &format!("u{}", i % 3)), None);
    }
    assert_eq!(g.tracked_auth_sources(), 0);
    assert_eq!(g.stats().auth_failures, 1000);
}

#[test]
fn very_long_usernames_are_tracked_without_unbounded_memory() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    let long = "x".repeat(10_000);
    let ban = (0..5)
        .find_map(|i| g.auth_failed(now + secs(i), ip(1), &long))
        .expect("banned");
    assert_eq!(ban.target.username().map(str::len), Some(128));
    assert!(g.is_banned(now + secs(5), ip(1), Some(&long)));
}
