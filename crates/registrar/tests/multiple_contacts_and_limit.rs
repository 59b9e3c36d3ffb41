//! Several contacts per address of record: adding, refreshing by URI equality (RFC 3261
//! §19.1.4), what a binding records, and the max_contacts limit.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use sip_registrar::{RegistrarConfig, process};

#[test]
fn contacts_of_several_requests_accumulate() {
    let a = registered("sip:alice@192.0.2.4", "c1", 1, 1000);
    let r = reg("c2", 1).contact("<sip:alice@192.0.2.5>").build();
    let b = updated(run(&r, 1100, &a));
    let uris: Vec<_> = b.iter().map(|b| b.uri.as_str()).collect();
    assert_eq!(uris, ["sip:alice@192.0.2.4", "sip:alice@192.0.2.5"]);
}

#[test]
fn one_request_may_carry_several_contacts() {
    let r = reg("c1", 1)
        .header("Contact: <sip:alice@192.0.2.4>, <sip:alice@192.0.2.5>;expires=60")
        .contact("<sip:alice@192.0.2.6>")
        .build();
    let b = updated(run(&r, 1000, &[]));
    let got: Vec<_> = b.iter().map(|b| (b.uri.as_str(), b.expires_at)).collect();
    assert_eq!(
        got,
        [
            ("sip:alice@192.0.2.4", 4600),
            ("sip:alice@192.0.2.5", 1060),
            ("sip:alice@192.0.2.6", 4600)
        ]
    );
}

#[test]
fn an_equal_uri_refreshes_and_keeps_created_at() {
    let a = registered(
        "sip:alice@client.example.org:5070;transport=tcp",
        "c1",
        1,
        1000,
    );
    let r = reg("c1", 2)
        .contact("<sip:%61lice@CLIENT.example.org:5070;transport=TCP;foo=bar>")
        .build();
    let b = updated(run(&r, 2000, &a));
    assert_eq!(b.len(), 1);
    assert_eq!(
        b[0].uri,
        "sip:%61lice@CLIENT.example.org:5070;transport=TCP;foo=bar"
    );
    assert_eq!((b[0].created_at, b[0].updated_at), (1000, 2000));
}

#[test]
fn a_different_port_or_transport_is_another_binding() {
    let a = registered("sip:alice@192.0.2.4", "c1", 1, 1000);
    let r = reg("c1", 2)
        .contact("<sip:alice@192.0.2.4:5060>")
        .contact("<sip:alice@192.0.2.4;transport=tcp>")
        .build();
    assert_eq!(updated(run(&r, 2000, &a)).len(), 3);
}

#[test]
fn the_binding_records_where_the_request_came_from() {
    let r = reg("c1", 7)
        .contact("<sip:alice@192.0.2.4>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000000000001>\"")
        .header("User-Agent: Softphone/1.2 (beta)")
        .build();
    let b = &updated(run(&r, 1000, &[]))[0];
    assert_eq!(b.aor, AOR);
    assert_eq!(b.call_id, "c1");
    assert_eq!(b.cseq, 7);
    assert_eq!(b.source, Some("198.51.100.7:40000".parse().unwrap()));
    assert_eq!(b.local, Some("192.0.2.1:5060".parse().unwrap()));
    assert_eq!(b.transport.as_deref(), Some("udp"));
    assert_eq!(b.user_agent.as_deref(), Some("Softphone/1.2 (beta)"));
    assert_eq!(
        b.params,
        ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000000000001>\""
    );
    assert_eq!(
        b.instance_id.as_deref(),
        Some("<urn:uuid:00000000-0000-1000-8000-000000000001>")
    );
    assert_eq!((b.created_at, b.updated_at), (1000, 1000));
}

#[test]
fn the_same_contact_twice_in_one_request_keeps_the_last() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;expires=100")
        .contact("<sip:alice@192.0.2.4>;expires=200")
        .build();
    let b = updated(run(&r, 1000, &[]));
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].expires_at, 1200);
}

fn limited(n: usize) -> RegistrarConfig {
    let mut c = RegistrarConfig::default();
    c.max_contacts = n;
    c
}

#[test]
fn more_contacts_than_the_limit_are_refused_with_403() {
    let config = limited(2);
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>")
        .contact("<sip:alice@192.0.2.5>")
        .build();
    let two = updated(process(&config, &r, &ctx(1000), &[]));
    let r = reg("c2", 1).contact("<sip:alice@192.0.2.6>").build();
    let rej = rejected(process(&config, &r, &ctx(1000), &two));
    assert_eq!(
        (rej.status, rej.reason),
        (403, "Too many registered contacts")
    );
}

#[test]
fn at_the_limit_refreshes_and_swaps_still_work() {
    let config = limited(2);
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>")
        .contact("<sip:alice@192.0.2.5>")
        .build();
    let two = updated(process(&config, &r, &ctx(1000), &[]));
    let refresh = reg("c1", 2).contact("<sip:alice@192.0.2.4>").build();
    assert_eq!(
        updated(process(&config, &refresh, &ctx(1100), &two)).len(),
        2
    );
    let swap = reg("c1", 3)
        .contact("<sip:alice@192.0.2.5>;expires=0")
        .contact("<sip:alice@192.0.2.6>")
        .build();
    assert_eq!(updated(process(&config, &swap, &ctx(1100), &two)).len(), 2);
}

#[test]
fn expired_bindings_do_not_count_against_the_limit() {
    let config = limited(1);
    let old = registered("sip:alice@192.0.2.4", "c1", 1, 1000);
    let r = reg("c2", 1).contact("<sip:alice@192.0.2.5>").build();
    let b = updated(process(&config, &r, &ctx(5000), &old));
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].uri, "sip:alice@192.0.2.5");
}

#[test]
fn a_malformed_contact_is_a_bad_request() {
    let r = reg("c1", 1).contact("<sip:alice@192.0.2.4").build();
    assert_eq!(rejected(run(&r, 1000, &[])).status, 400);
}
