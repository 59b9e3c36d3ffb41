//! Time and memory: stale nonces, nonce-count replays, and the bounded replay table.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use sip_auth::{Algorithm, AuthConfig, NC_WINDOW, Rejection, Verdict};

#[test]
fn nonce_is_good_for_its_lifetime_then_stale() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Sha256);
    let at_end = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut auth, T0 + 300, "REGISTER", REGISTER_URI, &at_end),
        alice(Algorithm::Sha256)
    );
    let late = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 2);
    assert_eq!(
        verify(&mut auth, T0 + 301, "REGISTER", REGISTER_URI, &late),
        Verdict::Stale
    );
}

#[test]
fn lifetime_follows_the_config() {
    let mut auth = server_with(AuthConfig {
        nonce_lifetime: Duration::from_secs(30),
        ..AuthConfig::default()
    });
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut auth, T0 + 31, "REGISTER", REGISTER_URI, &value),
        Verdict::Stale
    );
}

#[test]
fn stale_nonce_with_wrong_password_is_a_credential_failure_not_stale() {
    // stale=true tells the client its password was right; it must not be said to a guesser.
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "guess", 1);
    assert_eq!(
        verify(&mut auth, T0 + 1000, "REGISTER", REGISTER_URI, &value),
        Verdict::Rejected(Rejection::WrongResponse)
    );
}

#[test]
fn stale_client_retrying_with_the_new_nonce_succeeds() {
    let mut auth = server();
    let old = challenge_for(&auth, T0, Algorithm::Md5);
    let value = answer(&old, "REGISTER", REGISTER_URI, "alice", "wonderland", 7);
    let now = T0 + 3600;
    assert_eq!(
        verify(&mut auth, now, "REGISTER", REGISTER_URI, &value),
        Verdict::Stale
    );
    let fresh = auth.challenge(now, REALM, true).remove(1);
    let retry = answer(&fresh, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut auth, now, "REGISTER", REGISTER_URI, &retry),
        alice(Algorithm::Md5)
    );
}

#[test]
fn replayed_request_with_the_same_nc_is_rejected() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Sha256);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert!(verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value).is_authenticated());
    assert_eq!(
        verify(&mut auth, T0 + 5, "REGISTER", REGISTER_URI, &value),
        Verdict::Rejected(Rejection::Replayed { nc: 1 })
    );
    // The client's next request, nc=2, is fine.
    let next = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 2);
    assert!(verify(&mut auth, T0 + 6, "REGISTER", REGISTER_URI, &next).is_authenticated());
}

#[test]
fn sipp_style_replay_is_rejected() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let value = sipp_style(&nonce_of(&ch), &opaque_of(&ch), "bob", "builder", 1);
    assert!(verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value).is_authenticated());
    assert_eq!(
        verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value),
        Verdict::Rejected(Rejection::Replayed { nc: 1 })
    );
}

#[test]
fn out_of_order_nonce_counts_are_accepted_once_each() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let uri = "sip:bob@example.com";
    let requests: Vec<String> = (1..=4)
        .map(|nc| answer(&ch, "INVITE", uri, "alice", "wonderland", nc))
        .collect();
    for i in [2, 0, 3, 1] {
        assert!(
            verify(&mut auth, T0, "INVITE", uri, &requests[i]).is_authenticated(),
            "nc {}",
            i + 1
        );
    }
    for (i, r) in requests.iter().enumerate() {
        assert_eq!(
            verify(&mut auth, T0, "INVITE", uri, r),
            Verdict::Rejected(Rejection::Replayed { nc: i as u32 + 1 })
        );
    }
}

#[test]
fn nonce_count_far_below_the_highest_is_stale() {
    let mut auth = server();
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let high = answer(
        &ch,
        "REGISTER",
        REGISTER_URI,
        "alice",
        "wonderland",
        NC_WINDOW + 10,
    );
    assert!(verify(&mut auth, T0, "REGISTER", REGISTER_URI, &high).is_authenticated());
    let low = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert_eq!(
        verify(&mut auth, T0, "REGISTER", REGISTER_URI, &low),
        Verdict::Stale
    );
}

#[test]
fn two_clients_challenged_in_the_same_second_do_not_collide() {
    let mut auth = server();
    let for_alice = challenge_for(&auth, T0, Algorithm::Md5);
    let for_bob = challenge_for(&auth, T0, Algorithm::Md5);
    let a = answer(
        &for_alice,
        "REGISTER",
        REGISTER_URI,
        "alice",
        "wonderland",
        1,
    );
    let b = answer(&for_bob, "REGISTER", REGISTER_URI, "bob", "builder", 1);
    assert!(verify(&mut auth, T0, "REGISTER", REGISTER_URI, &a).is_authenticated());
    assert!(verify(&mut auth, T0, "REGISTER", REGISTER_URI, &b).is_authenticated());
}

#[test]
fn tracked_nonces_are_capped_and_forgotten_ones_are_never_accepted_again() {
    let mut auth = server_with(AuthConfig {
        max_tracked_nonces: 10,
        ..AuthConfig::default()
    });
    let mut used = Vec::new();
    for i in 0..50 {
        let ch = challenge_for(&auth, T0 + i, Algorithm::Md5);
        let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
        assert!(verify(&mut auth, T0 + i, "REGISTER", REGISTER_URI, &value).is_authenticated());
        assert!(auth.tracked_nonces() <= 10);
        used.push(value);
    }
    assert_eq!(auth.tracked_nonces(), 10);
    let now = T0 + 50;
    // Forgotten under pressure: a replay gets a fresh challenge, not access.
    assert_eq!(
        verify(&mut auth, now, "REGISTER", REGISTER_URI, &used[0]),
        Verdict::Stale
    );
    // Still tracked: an exact replay is recognised.
    assert_eq!(
        verify(&mut auth, now, "REGISTER", REGISTER_URI, &used[49]),
        Verdict::Rejected(Rejection::Replayed { nc: 1 })
    );
}

#[test]
fn stale_nonces_leave_the_table() {
    let mut auth = server();
    for i in 0..5 {
        let ch = challenge_for(&auth, T0, Algorithm::Sha256);
        let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
        assert!(verify(&mut auth, T0 + i, "REGISTER", REGISTER_URI, &value).is_authenticated());
    }
    assert_eq!(auth.tracked_nonces(), 5);
    let later = T0 + 301;
    let ch = challenge_for(&auth, later, Algorithm::Sha256);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    assert!(verify(&mut auth, later, "REGISTER", REGISTER_URI, &value).is_authenticated());
    assert_eq!(auth.tracked_nonces(), 1);
}

#[test]
fn challenges_cost_no_memory() {
    let mut auth = server();
    for i in 0..1000 {
        let _ = auth.challenge(T0 + i, REALM, false);
    }
    assert_eq!(auth.tracked_nonces(), 0);
    let ch = challenge_for(&auth, T0, Algorithm::Md5);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "guess", 1);
    assert!(!verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value).is_authenticated());
    // Failed attempts do not take a slot either.
    assert_eq!(auth.tracked_nonces(), 0);
}

#[test]
fn nonce_of_another_instance_is_stale_with_qop_so_replays_cannot_cross_restarts() {
    let before_restart = server();
    let ch = challenge_for(&before_restart, T0, Algorithm::Md5);
    let value = answer(&ch, "REGISTER", REGISTER_URI, "alice", "wonderland", 1);
    // Same secret, new process: the nonce is genuine but its used counts are unknown.
    let mut after_restart = server();
    assert_eq!(
        verify(&mut after_restart, T0 + 1, "REGISTER", REGISTER_URI, &value),
        Verdict::Stale
    );
    let wrong = answer(&ch, "REGISTER", REGISTER_URI, "alice", "guess", 1);
    assert_eq!(
        verify(&mut after_restart, T0 + 1, "REGISTER", REGISTER_URI, &wrong),
        Verdict::Rejected(Rejection::WrongResponse)
    );
}

#[test]
fn nonce_of_another_instance_is_accepted_without_qop() {
    let other = server();
    let ch = challenge_for(&other, T0, Algorithm::Md5);
    let nonce = nonce_of(&ch);
    let h = sip_auth::ha1(Algorithm::Md5, "alice", REALM, "wonderland");
    let response =
        sip_auth::request_digest(Algorithm::Md5, &h, &nonce, "REGISTER", REGISTER_URI, None);
    let value = format!(
        r#"Digest username="alice", realm="{REALM}", nonce="{nonce}", uri="{REGISTER_URI}", response="{response}", algorithm=MD5"#
    );
    let mut auth = server();
    assert_eq!(
        verify(&mut auth, T0, "REGISTER", REGISTER_URI, &value),
        alice(Algorithm::Md5)
    );
}
