//! A REGISTER without Contact only asks (RFC 3261 §10.2.3, §10.3 step 6): nothing is written
//! and the 200 lists the live bindings.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use sip_message::HeaderName;
use sip_registrar::{Decision, RegistrarConfig, ok_response};

#[test]
fn no_contact_is_a_query() {
    let current = registered("sip:alice@192.0.2.4", "c1", 1, 1000);
    assert_eq!(run(&reg("c2", 1).build(), 1500, &current), Decision::Query);
    // Even an out-of-order CSeq: a query changes nothing, so it cannot be stale.
    assert_eq!(run(&reg("c1", 1).build(), 1500, &current), Decision::Query);
}

#[test]
fn the_200_lists_only_live_bindings() {
    let current = [
        registered("sip:alice@192.0.2.4", "c1", 1, 1000),
        updated(run(
            &reg("c2", 1)
                .contact("<sip:alice@192.0.2.5>;expires=60")
                .build(),
            1000,
            &[],
        )),
    ]
    .concat();
    let r = reg("c3", 1).build();
    let resp = reparse(&ok_response(
        &RegistrarConfig::default(),
        &r,
        &current,
        1100,
    ));
    assert_eq!(contacts(&resp), ["<sip:alice@192.0.2.4>;expires=3500"]);
}

#[test]
fn the_200_to_a_query_with_no_bindings_has_no_contact() {
    let r = reg("c3", 1).build();
    let resp = reparse(&ok_response(&RegistrarConfig::default(), &r, &[], 1100));
    assert!(contacts(&resp).is_empty());
}

#[test]
fn the_200_has_a_to_tag_date_supported_and_the_transaction_headers() {
    let r = reg("c3", 4).build();
    let first = ok_response(&RegistrarConfig::default(), &r, &[], 1_289_690_940);
    let resp = reparse(&first);
    assert_eq!(resp.as_response().unwrap().status(), 200);
    let tag = resp.to().unwrap().tag().unwrap().to_owned();
    assert_eq!(tag.len(), 16);
    assert_eq!(
        header(&resp, HeaderName::Date).as_deref(),
        Some("Sat, 13 Nov 2010 23:29:00 GMT")
    );
    assert_eq!(
        header(&resp, HeaderName::Supported).as_deref(),
        Some("path, outbound, gruu")
    );
    assert_eq!(resp.call_id().unwrap(), "c3");
    assert_eq!(resp.cseq().unwrap().seq(), 4);
    assert_eq!(resp.via().unwrap().branch(), Some("z9hG4bK-c3-4-0"));
    assert!(!resp.headers().contains(HeaderName::Require));
    // The same request gets the same tag; another request another one.
    let again = reparse(&ok_response(
        &RegistrarConfig::default(),
        &r,
        &[],
        1_289_690_940,
    ));
    assert_eq!(again.to().unwrap().tag(), Some(tag.as_str()));
    let other = reparse(&ok_response(
        &RegistrarConfig::default(),
        &reg("c3", 5).build(),
        &[],
        0,
    ));
    assert_ne!(other.to().unwrap().tag(), Some(tag.as_str()));
}
