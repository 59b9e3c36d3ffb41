//! Bans survive a restart through export and import.

#![allow(clippy::unwrap_used)]

mod common;

use common::{guard, ip, secs, t0};
use serde::{Deserialize, Serialize};
use sip_abuse::{AbuseConfig, BanReason, BanTarget, SavedBan, Verdict};

#[derive(Serialize, Deserialize)]
struct File {
    bans: Vec<SavedBan>,
}

#[test]
fn exported_bans_restored_in_a_new_guard_keep_their_remaining_time() {
    let mut old = guard(AbuseConfig::default());
    let start = t0();
    let _ = old.check_request(start, ip(1), Some("friendly-scanner"));
    for i in 0..5 {
        old.auth_failed(start + secs(i), ip(2), "alice@example.com");
    }
    old.ban(
        start,
        BanTarget::Source("2001:db8::1".parse().unwrap()),
        secs(1000),
    );

    let saved_at = start + secs(100);
    let text = toml::to_string(&File {
        bans: old.export(saved_at),
    })
    .unwrap();
    let file: File = toml::from_str(&text).unwrap();
    assert_eq!(file.bans.len(), 3);

    // A new process: its clock has nothing to do with the old one.
    let mut new = guard(AbuseConfig::default());
    let boot = start + secs(5000);
    assert_eq!(new.import(boot, file.bans), 3);
    assert_eq!(new.bans(boot), {
        let mut b = new.bans(boot);
        b.sort_by_key(|b| b.since);
        b
    });
    let scanner = new
        .bans(boot)
        .into_iter()
        .find(|b| b.target == BanTarget::Source(ip(1)))
        .unwrap();
    assert_eq!(scanner.reason, BanReason::ScannerUserAgent);
    assert_eq!(scanner.since, boot - secs(100));
    assert_eq!(scanner.until, boot + secs(200));
    assert_eq!(new.check_request(boot, ip(1), None), Verdict::Drop);
    assert!(new.is_banned(boot, ip(2), Some("alice@example.com")));
    assert!(!new.is_banned(boot + secs(200), ip(1), None));
    assert!(new.is_banned(boot + secs(899), "2001:db8::1".parse().unwrap(), None));
    // Restored, not issued.
    assert_eq!(new.stats().bans_issued_total(), 0);
}

#[test]
fn import_skips_bans_with_no_time_left() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    let saved = SavedBan {
        target: BanTarget::Source(ip(1)),
        reason: BanReason::Manual,
        age_secs: 10,
        remaining_secs: 0,
    };
    assert_eq!(g.import(now, [saved]), 0);
    assert!(g.bans(now).is_empty());
}
