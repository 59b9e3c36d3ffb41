//! How long a binding lasts: contact `expires`, the Expires header, the default, 423 with
//! Min-Expires below the minimum, the maximum, and removal with 0 (RFC 3261 §10.3 step 7).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use sip_message::HeaderName;
use sip_registrar::{Decision, RegistrarConfig, ok_response, process, reject_response};

#[test]
fn contact_expires_parameter_wins_over_the_expires_header() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;expires=120")
        .header("Expires: 600")
        .build();
    let b = updated(run(&r, 1000, &[]));
    assert_eq!(b[0].expires_at, 1120);
}

#[test]
fn expires_header_applies_when_the_contact_has_no_parameter() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>")
        .header("Expires: 600")
        .build();
    assert_eq!(updated(run(&r, 1000, &[]))[0].expires_at, 1600);
}

#[test]
fn default_applies_when_neither_says() {
    let r = reg("c1", 1).contact("<sip:alice@192.0.2.4>").build();
    assert_eq!(updated(run(&r, 1000, &[]))[0].expires_at, 1000 + 3600);
}

#[test]
fn interval_below_the_minimum_is_answered_423_with_min_expires() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;expires=30")
        .build();
    let rej = rejected(run(&r, 1000, &[]));
    assert_eq!(rej.status, 423);
    let resp = reparse(&reject_response(&r, &rej));
    let resp_ref = resp.as_response().unwrap();
    assert_eq!(resp_ref.status(), 423);
    assert_eq!(resp_ref.reason(), b"Interval Too Brief");
    assert_eq!(header(&resp, HeaderName::MinExpires).as_deref(), Some("60"));
    assert!(
        resp.to().unwrap().tag().is_some(),
        "a final answer carries a To tag"
    );
}

#[test]
fn one_brief_contact_refuses_the_whole_request() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;expires=3600")
        .contact("<sip:alice@192.0.2.5>;expires=10")
        .build();
    assert_eq!(rejected(run(&r, 1000, &[])).status, 423);
}

#[test]
fn an_hour_or_more_is_never_refused_even_with_a_higher_minimum() {
    let mut config = RegistrarConfig::default();
    config.min_expires = 7200;
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;expires=3600")
        .build();
    let b = updated(process(&config, &r, &ctx(1000), &[]));
    assert_eq!(b[0].expires_at, 1000 + 3600, "granted as asked, not raised");
    let r = reg("c1", 2)
        .contact("<sip:alice@192.0.2.4>;expires=3599")
        .build();
    assert_eq!(rejected(process(&config, &r, &ctx(1000), &b)).status, 423);
}

#[test]
fn interval_above_the_maximum_is_shortened() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;expires=999999")
        .build();
    assert_eq!(updated(run(&r, 1000, &[]))[0].expires_at, 1000 + 86_400);
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;expires=99999999999999")
        .build();
    assert_eq!(updated(run(&r, 1000, &[]))[0].expires_at, 1000 + 86_400);
}

#[test]
fn malformed_expires_counts_as_3600() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;expires=soon")
        .build();
    assert_eq!(updated(run(&r, 1000, &[]))[0].expires_at, 1000 + 3600);
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>")
        .header("Expires: -5")
        .build();
    assert_eq!(updated(run(&r, 1000, &[]))[0].expires_at, 1000 + 3600);
}

#[test]
fn zero_removes_the_binding() {
    let current = registered("sip:alice@192.0.2.4", "c1", 1, 1000);
    let other = registered("sip:alice@192.0.2.9", "c9", 1, 1000);
    let both = [current, other.clone()].concat();
    let r = reg("c1", 2)
        .contact("<sip:alice@192.0.2.4>;expires=0")
        .build();
    assert_eq!(updated(run(&r, 1100, &both)), other);
    let r = reg("c1", 2)
        .contact("<sip:alice@192.0.2.4>")
        .header("Expires: 0")
        .build();
    assert_eq!(updated(run(&r, 1100, &both)), other);
}

#[test]
fn removing_an_unknown_contact_changes_nothing() {
    let current = registered("sip:alice@192.0.2.4", "c1", 1, 1000);
    let r = reg("c2", 1)
        .contact("<sip:alice@192.0.2.99>;expires=0")
        .build();
    assert_eq!(updated(run(&r, 1100, &current)), current);
}

#[test]
fn ok_response_gives_the_seconds_left() {
    let current = registered("sip:alice@192.0.2.4", "c1", 1, 1000);
    let r = reg("c1", 2).build();
    assert_eq!(run(&r, 1500, &current), Decision::Query);
    let resp = reparse(&ok_response(
        &RegistrarConfig::default(),
        &r,
        &current,
        1500,
    ));
    assert_eq!(contacts(&resp), ["<sip:alice@192.0.2.4>;expires=3100"]);
}
