//! The contact URI is stored byte for byte as received (RFC 4475 §3.3.12 cparam01,
//! §3.3.13 cparam02, §3.3.14 regescrt), with header parameters kept apart from it.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use sip_message::Request;
use sip_message::header::Contact;
use sip_registrar::{RegisterContext, RegistrarConfig, aor_from_uri, ok_response, process};

fn torture(name: &str) -> Request {
    let path = format!(
        "{}/../../tests/data/rfc4475/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    parse_request(std::fs::read(path).unwrap())
}

fn register(
    r: &Request,
    now: u64,
    current: &[sip_registrar::Binding],
) -> Vec<sip_registrar::Binding> {
    let aor = aor_from_uri(&r.to().unwrap().uri()).unwrap();
    let ctx = RegisterContext {
        aor: &aor,
        now,
        source: None,
        transport: "udp",
        local: None,
    };
    updated(process(&RegistrarConfig::default(), r, &ctx, current))
}

#[test]
fn cparam01_unknownparam_is_a_contact_parameter_not_part_of_the_uri() {
    let r = torture("cparam01");
    let b = register(&r, 1000, &[]);
    assert_eq!(b[0].aor, "sip:watson@example.com");
    assert_eq!(b[0].uri, "sip:+19725552222@gw1.example.net");
    assert_eq!(b[0].params, ";unknownparam");
    let resp = reparse(&ok_response(&RegistrarConfig::default(), &r, &b, 1000));
    assert_eq!(
        contacts(&resp),
        ["<sip:+19725552222@gw1.example.net>;unknownparam;expires=3600"]
    );
}

#[test]
fn cparam02_unknownparam_inside_brackets_stays_in_the_uri() {
    let r = torture("cparam02");
    let b = register(&r, 1000, &[]);
    assert_eq!(b[0].uri, "sip:+19725552222@gw1.example.net;unknownparam");
    assert_eq!(b[0].params, "");
    let resp = reparse(&ok_response(&RegistrarConfig::default(), &r, &b, 1000));
    let listed: Vec<String> = resp
        .headers()
        .typed_all::<Contact<'_>>()
        .map(|c| c.unwrap().addr().unwrap().uri().as_str().to_owned())
        .collect();
    assert_eq!(listed, ["sip:+19725552222@gw1.example.net;unknownparam"]);
}

#[test]
fn cparam02_after_cparam01_refreshes_the_same_binding() {
    // By RFC 3261 §19.1.4 an unknown URI parameter present in only one URI is ignored, so
    // the two contacts are the same binding; the stored URI becomes the newer text.
    let first = register(&torture("cparam01"), 1000, &[]);
    let b = register(&torture("cparam02"), 1100, &first);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].uri, "sip:+19725552222@gw1.example.net;unknownparam");
    assert_eq!(b[0].created_at, 1000);
}

#[test]
fn regescrt_escaped_headers_are_kept_verbatim() {
    let r = torture("regescrt");
    let b = register(&r, 1000, &[]);
    assert_eq!(b[0].aor, "sip:user@example.com");
    assert_eq!(
        b[0].uri,
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E"
    );
    let resp = reparse(&ok_response(&RegistrarConfig::default(), &r, &b, 1000));
    assert_eq!(
        contacts(&resp),
        ["<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=3600"]
    );
}

#[test]
fn sips_uri_case_and_ipv6_are_kept_as_written() {
    let r = reg("c1", 1)
        .contact("\"Alice\" <sips:Alice@[2001:DB8::1]:5061;Transport=TLS>;q=0.7 ; foo")
        .build();
    let b = updated(run(&r, 1000, &[]));
    assert_eq!(b[0].uri, "sips:Alice@[2001:DB8::1]:5061;Transport=TLS");
    assert_eq!(b[0].q, Some(700));
}
