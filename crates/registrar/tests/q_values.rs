//! q-values (RFC 3261 §20.10): kept in thousandths, refused when malformed, echoed in the
//! 200, and used to order forking.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use sip_registrar::{RegistrarConfig, ok_response, targets};

#[test]
fn q_is_stored_in_thousandths() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;q=0.5")
        .contact("<sip:alice@192.0.2.5>;q=1")
        .contact("<sip:alice@192.0.2.6>")
        .build();
    let b = updated(run(&r, 1000, &[]));
    let qs: Vec<_> = b.iter().map(|b| b.q).collect();
    assert_eq!(qs, [Some(500), Some(1000), None]);
}

#[test]
fn malformed_q_is_a_bad_request() {
    for q in ["1.5", "0.1234", "high", "-1"] {
        let r = reg("c1", 1)
            .contact(&format!("<sip:alice@192.0.2.4>;q={q}"))
            .build();
        let rej = rejected(run(&r, 1000, &[]));
        assert_eq!((rej.status, rej.reason), (400, "Invalid q-value"), "q={q}");
    }
}

#[test]
fn ok_response_echoes_q() {
    let r = reg("c1", 1).contact("<sip:alice@192.0.2.4>;q=0.25").build();
    let b = updated(run(&r, 1000, &[]));
    let resp = reparse(&ok_response(&RegistrarConfig::default(), &r, &b, 1000));
    assert_eq!(
        contacts(&resp),
        ["<sip:alice@192.0.2.4>;expires=3600;q=0.25"]
    );
}

#[test]
fn targets_group_by_q_highest_first_with_unspecified_as_one() {
    let r = reg("c1", 1)
        .contact("<sip:a@192.0.2.1>;q=0.5")
        .contact("<sip:b@192.0.2.2>")
        .contact("<sip:c@192.0.2.3>;q=0.1")
        .contact("<sip:d@192.0.2.4>;q=1.0")
        .contact("<sip:e@192.0.2.5>;q=0.5")
        .build();
    let b = updated(run(&r, 1000, &[]));
    let groups: Vec<Vec<&str>> = targets(&b)
        .iter()
        .map(|g| g.iter().map(|b| b.uri.as_str()).collect())
        .collect();
    assert_eq!(
        groups,
        [
            vec!["sip:b@192.0.2.2", "sip:d@192.0.2.4"],
            vec!["sip:a@192.0.2.1", "sip:e@192.0.2.5"],
            vec!["sip:c@192.0.2.3"],
        ]
    );
    assert!(targets(&[]).is_empty());
}
