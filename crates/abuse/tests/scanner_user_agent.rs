//! Known scanner User-Agents are banned on the first request.

#![allow(clippy::unwrap_used)]

mod common;

use common::{guard, ip, secs, t0};
use sip_abuse::{AbuseConfig, BanReason, BanTarget, Verdict};

#[test]
fn sipvicious_default_user_agent_is_banned_at_once() {
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    match g.check_request(now, ip(1), Some("friendly-scanner")) {
        Verdict::Banned(ban) => {
            assert_eq!(ban.target, BanTarget::Source(ip(1)));
            assert_eq!(ban.reason, BanReason::ScannerUserAgent);
            assert_eq!(ban.until, now + secs(300));
        }
        other => panic!("expected a ban, got {other:?}"),
    }
    // Whatever it sends next, even with an innocent User-Agent.
    assert_eq!(
        g.check_request(now + secs(1), ip(1), Some("Linphone/5.2")),
        Verdict::Drop
    );
    assert_eq!(g.check_request(now + secs(1), ip(1), None), Verdict::Drop);
    assert_eq!(g.stats().bans_issued(BanReason::ScannerUserAgent), 1);
}

#[test]
fn well_known_scanners_match_in_any_case_and_position() {
    let uas = [
        "Friendly-Scanner",
        "sipvicious 0.3.4",
        "sipcli/v1.8",
        "VaxSIPUserAgent/3.1",
        "pplsip",
        "sundayddr",
        "iWar",
        "SIPBomber 1.0",
        "my sip-scan 2",
    ];
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    for (n, ua) in (1..).zip(uas) {
        assert!(
            matches!(g.check_request(now, ip(n), Some(ua)), Verdict::Banned(_)),
            "{ua} not banned"
        );
    }
}

#[test]
fn ordinary_phones_and_test_tools_are_not_taken_for_scanners() {
    let uas = [
        "Linphone/5.2.0 (belle-sip/5.2.0)",
        "Yealink SIP-T46U 108.86.0.40",
        "Grandstream GXP2170 1.0.11.3",
        "Zoiper rv2.10.19.6",
        "MicroSIP/3.21.3",
        "PJSUA v2.14 Linux-6.1/x86_64/glibc-2.36",
        "baresip v3.10.0 (x86_64/linux)",
        "sipsak 0.9.8",
        "SIPp/v3.7.3",
        "Asterisk PBX 20.5.0",
        "FreeSWITCH-mod_sofia/1.10.11",
        "Cisco-CP8845/12.8.1",
        "",
    ];
    let mut g = guard(AbuseConfig::default());
    let now = t0();
    for (n, ua) in (1..).zip(uas) {
        assert_eq!(
            g.check_request(now, ip(n), Some(ua)),
            Verdict::Allow,
            "{ua}"
        );
    }
}

#[test]
fn the_list_is_configurable() {
    let config = AbuseConfig {
        blocked_user_agents: vec!["EvilBot".into()],
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let now = t0();
    assert_eq!(
        g.check_request(now, ip(1), Some("friendly-scanner")),
        Verdict::Allow
    );
    assert!(matches!(
        g.check_request(now, ip(2), Some("x-evilbot/2")),
        Verdict::Banned(_)
    ));

    let config = AbuseConfig {
        blocked_user_agents: Vec::new(),
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    assert_eq!(
        g.check_request(now, ip(1), Some("friendly-scanner")),
        Verdict::Allow
    );
}
