//! Bans end, can be lifted and set by hand, and are listed for operators.

#![allow(clippy::unwrap_used)]

mod common;

use common::{guard, ip, secs, t0};
use sip_abuse::{AbuseConfig, BanReason, BanTarget, Verdict};

#[test]
fn bans_expire_and_handle_timeout_reports_them_at_poll_timeout() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    assert_eq!(g.poll_timeout(), None);
    let _ = g.check_request(now, ip(1), Some("friendly-scanner"));
    let pair = (0..5)
        .find_map(|i| g.auth_failed(now + secs(i), ip(2), "alice"))
        .unwrap();
    assert_eq!(g.poll_timeout(), Some(now + secs(300)));
    assert_eq!(g.banned_addresses(), 2);

    // Early calls do nothing.
    assert!(g.handle_timeout(now + secs(299)).is_empty());
    let gone = g.handle_timeout(now + secs(300));
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].target, BanTarget::Source(ip(1)));
    assert_eq!(g.poll_timeout(), Some(pair.until));

    let gone = g.handle_timeout(pair.until);
    assert_eq!(gone, vec![pair]);
    assert_eq!(g.poll_timeout(), None);
    assert_eq!(g.banned_addresses(), 0);
    assert!(g.bans(now + secs(400)).is_empty());
}

#[test]
fn expired_bans_stop_applying_even_without_handle_timeout() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    let _ = g.check_request(now, ip(1), Some("sipvicious"));
    let end = now + secs(300);
    assert_eq!(g.check_request(end, ip(1), None), Verdict::Allow);
    assert!(g.bans(end).is_empty());
    assert!(g.export(end).is_empty());
}

#[test]
fn lifting_a_source_ban_lets_it_in_and_clears_its_count() {
    let config = AbuseConfig {
        rate_limit: 3,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let now = t0();
    let ban = (0..4)
        .find_map(|_| match g.check_request(now, ip(1), None) {
            Verdict::Banned(b) => Some(b),
            _ => None,
        })
        .unwrap();
    assert!(g.lift(&ban.target));
    assert!(!g.lift(&ban.target), "nothing left to lift");
    // Three more in the same window: the old count did not survive the lift.
    for _ in 0..3 {
        assert_eq!(g.check_request(now, ip(1), None), Verdict::Allow);
    }
    assert!(g.poll_timeout().is_none());
}

#[test]
fn lifting_a_pair_ban_leaves_other_bans_in_place() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    for name in ["alice", "bob"] {
        for i in 0..5 {
            g.auth_failed(now + secs(i), ip(1), name);
        }
    }
    let alice: BanTarget = "alice@10.0.0.1".parse().unwrap();
    assert!(g.is_banned(now + secs(5), ip(1), Some("alice")));
    assert!(g.lift(&alice));
    assert!(!g.is_banned(now + secs(5), ip(1), Some("alice")));
    assert!(g.is_banned(now + secs(5), ip(1), Some("bob")));
    // Alice's count was cleared too: one more failure does not ban her again.
    assert_eq!(g.auth_failed(now + secs(6), ip(1), "alice"), None);
}

#[test]
fn lift_all_clears_every_ban_of_an_address() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    for i in 0..5 {
        g.auth_failed(now + secs(i), ip(1), "alice");
    }
    g.ban(now, BanTarget::Source(ip(1)), secs(60));
    g.ban(now, BanTarget::Source(ip(2)), secs(60));
    assert_eq!(g.lift_all(ip(1)), 2);
    assert_eq!(g.lift_all(ip(1)), 0);
    assert!(!g.is_banned(now, ip(1), Some("alice")));
    assert!(g.is_banned(now, ip(2), None));
}

#[test]
fn manual_bans_are_listed_with_reason_and_times() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    let ban = g.ban(now, BanTarget::Source(ip(5)), secs(3600));
    assert_eq!(ban.reason, BanReason::Manual);
    let _ = g.check_request(now + secs(1), ip(6), Some("friendly-scanner"));
    let list = g.bans(now + secs(2));
    assert_eq!(list.len(), 2);
    assert_eq!(list[0], ban);
    assert_eq!(list[0].remaining(now + secs(2)), secs(3598));
    assert_eq!(list[1].reason, BanReason::ScannerUserAgent);
    assert_eq!(list[1].since, now + secs(1));
    assert_eq!(g.check_request(now + secs(2), ip(5), None), Verdict::Drop);
    assert_eq!(g.stats().bans_issued(BanReason::Manual), 1);
    assert_eq!(g.stats().bans_issued_total(), 2);
}

#[test]
fn a_new_manual_ban_replaces_the_old_one() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    g.ban(now, BanTarget::Source(ip(5)), secs(3600));
    g.ban(now, BanTarget::Source(ip(5)), secs(10));
    assert_eq!(g.bans(now).len(), 1);
    assert!(!g.is_banned(now + secs(10), ip(5), None));
    assert_eq!(g.poll_timeout(), Some(now + secs(10)));
}
