//! RFC 5626 outbound: `+sip.instance` with `reg-id` names one flow of one UA instance; a new
//! flow replaces the old one; the first-hop rule (439); `Require: outbound` in the 200.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use sip_message::HeaderName;
use sip_registrar::{Decision, RegistrarConfig, ok_response, process};

const INSTANCE: &str = "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";

fn flow(call_id: &str, cseq: u32, uri: &str, reg_id: u32) -> common::Reg {
    reg(call_id, cseq)
        .contact(&format!(
            "<{uri}>;+sip.instance=\"{INSTANCE}\";reg-id={reg_id}"
        ))
        .header("Supported: path, outbound")
}

#[test]
fn reg_id_is_stored_and_the_200_requires_outbound() {
    let r = flow("c1", 1, "sip:alice@192.0.2.4;ob", 1).build();
    let b = updated(run(&r, 1000, &[]));
    assert_eq!(b[0].instance_id.as_deref(), Some(INSTANCE));
    assert_eq!(b[0].reg_id, Some(1));
    let resp = reparse(&ok_response(&RegistrarConfig::default(), &r, &b, 1000));
    assert_eq!(
        header(&resp, HeaderName::Require).as_deref(),
        Some("outbound")
    );
    assert!(contacts(&resp)[0].contains(";reg-id=1"));
}

#[test]
fn same_instance_and_reg_id_from_a_new_flow_replaces_the_old_binding() {
    let first = updated(run(
        &flow("c1", 1, "sip:alice@192.0.2.4:5000;ob", 1).build(),
        1000,
        &[],
    ));
    // The UA's connection broke; it registers again from a new address and port.
    let r = flow("c1", 2, "sip:alice@198.51.100.9:6000;ob", 1).build();
    let b = updated(run(&r, 1100, &first));
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].uri, "sip:alice@198.51.100.9:6000;ob");
    assert_eq!(b[0].created_at, 1000);
}

#[test]
fn a_second_reg_id_is_a_second_flow() {
    let first = updated(run(
        &flow("c1", 1, "sip:alice@192.0.2.4;ob", 1).build(),
        1000,
        &[],
    ));
    let r = flow("c2", 1, "sip:alice@192.0.2.4;ob", 2).build();
    let b = updated(run(&r, 1100, &first));
    let ids: Vec<_> = b.iter().map(|b| b.reg_id).collect();
    assert_eq!(ids, [Some(1), Some(2)]);
}

#[test]
fn an_old_flow_registration_is_still_ordered_by_cseq() {
    let first = updated(run(
        &flow("c1", 5, "sip:alice@192.0.2.4;ob", 1).build(),
        1000,
        &[],
    ));
    let r = flow("c1", 4, "sip:alice@198.51.100.9;ob", 1).build();
    assert_eq!(rejected(run(&r, 1100, &first)).status, 500);
}

#[test]
fn via_a_proxy_that_added_no_ob_path_the_answer_is_439() {
    let r = flow("c1", 1, "sip:alice@192.0.2.4;ob", 1).vias(2).build();
    let rej = rejected(run(&r, 1000, &[]));
    assert_eq!(
        (rej.status, rej.reason),
        (439, "First Hop Lacks Outbound Support")
    );
    let r = flow("c1", 1, "sip:alice@192.0.2.4;ob", 1)
        .vias(2)
        .header("Path: <sip:edge.example.net;lr>")
        .build();
    assert_eq!(rejected(run(&r, 1000, &[])).status, 439);
}

#[test]
fn via_an_edge_proxy_whose_path_has_ob_the_flow_is_accepted() {
    let r = flow("c1", 1, "sip:alice@192.0.2.4;ob", 1)
        .vias(2)
        .header("Path: <sip:edge.example.net;lr;ob>")
        .build();
    let b = updated(run(&r, 1000, &[]));
    assert_eq!(b[0].reg_id, Some(1));
    assert_eq!(b[0].path, ["sip:edge.example.net;lr;ob"]);
}

#[test]
fn without_supported_outbound_reg_id_is_ignored() {
    let r = reg("c1", 1)
        .vias(2)
        .contact(&format!(
            "<sip:alice@192.0.2.4>;+sip.instance=\"{INSTANCE}\";reg-id=1"
        ))
        .build();
    let b = updated(run(&r, 1000, &[]));
    assert_eq!(b[0].reg_id, None);
    assert_eq!(b[0].instance_id.as_deref(), Some(INSTANCE));
    let resp = reparse(&ok_response(&RegistrarConfig::default(), &r, &b, 1000));
    assert!(!resp.headers().contains(HeaderName::Require));
}

#[test]
fn with_outbound_disabled_reg_id_is_ignored_and_no_439() {
    let mut config = RegistrarConfig::default();
    config.outbound = false;
    let r = flow("c1", 1, "sip:alice@192.0.2.4;ob", 1).vias(2).build();
    let Decision::Update { bindings } = process(&config, &r, &ctx(1000), &[]) else {
        panic!("accepted without outbound processing")
    };
    assert_eq!(bindings[0].reg_id, None);
}

#[test]
fn reg_id_without_instance_is_ignored() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>;reg-id=1")
        .header("Supported: outbound")
        .build();
    assert_eq!(updated(run(&r, 1000, &[]))[0].reg_id, None);
}

#[test]
fn two_live_contacts_with_a_reg_id_are_a_bad_request() {
    let r = flow("c1", 1, "sip:alice@192.0.2.4;ob", 1)
        .contact("<sip:alice@192.0.2.5>")
        .build();
    assert_eq!(rejected(run(&r, 1000, &[])).status, 400);
    // Removing another contact in the same request is allowed.
    let r = flow("c1", 1, "sip:alice@192.0.2.4;ob", 1)
        .contact("<sip:alice@192.0.2.5>;expires=0")
        .build();
    assert_eq!(updated(run(&r, 1000, &[])).len(), 1);
}

#[test]
fn invalid_reg_id_is_a_bad_request() {
    for id in ["0", "x", "2147483648"] {
        let r = reg("c1", 1)
            .contact(&format!(
                "<sip:alice@192.0.2.4>;+sip.instance=\"{INSTANCE}\";reg-id={id}"
            ))
            .header("Supported: outbound")
            .build();
        assert_eq!(rejected(run(&r, 1000, &[])).status, 400, "reg-id={id}");
    }
}

#[test]
fn an_instance_without_reg_id_replaces_its_earlier_contact() {
    let contact = |uri: &str| format!("<{uri}>;+sip.instance=\"{INSTANCE}\"");
    let first = updated(run(
        &reg("c1", 1)
            .contact(&contact("sip:alice@192.0.2.4"))
            .build(),
        1000,
        &[],
    ));
    let r = reg("c1", 2)
        .contact(&contact("sip:alice@192.0.2.77"))
        .build();
    let b = updated(run(&r, 1100, &first));
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].uri, "sip:alice@192.0.2.77");
}
