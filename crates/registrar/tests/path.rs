//! Path (RFC 3327 §5.3): stored in order with each binding and echoed in the 200 when the
//! UA supports it; refused with 421 when it does not (unless configured otherwise).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use sip_message::HeaderName;
use sip_registrar::{RegistrarConfig, ok_response, process, reject_response};

fn with_path(supported: bool) -> sip_message::Request {
    let mut r = reg("c1", 1)
        .vias(3)
        .header("Path: <sip:edge1.example.net;lr>")
        .header("Path: <sip:edge2.example.net;lr>, <sip:edge3.example.net;lr>")
        .contact("<sip:alice@192.0.2.4>");
    if supported {
        r = r.header("Supported: path");
    }
    r.build()
}

#[test]
fn path_is_stored_in_order_when_supported() {
    let b = updated(run(&with_path(true), 1000, &[]));
    assert_eq!(
        b[0].path,
        [
            "sip:edge1.example.net;lr",
            "sip:edge2.example.net;lr",
            "sip:edge3.example.net;lr"
        ]
    );
}

#[test]
fn path_is_echoed_in_the_200_when_supported() {
    let r = with_path(true);
    let b = updated(run(&r, 1000, &[]));
    let resp = reparse(&ok_response(&RegistrarConfig::default(), &r, &b, 1000));
    let echoed: Vec<_> = resp
        .headers()
        .get_all(HeaderName::Path)
        .map(|v| String::from_utf8(v.to_vec()).unwrap())
        .collect();
    assert_eq!(
        echoed,
        [
            "<sip:edge1.example.net;lr>",
            "<sip:edge2.example.net;lr>, <sip:edge3.example.net;lr>"
        ]
    );
}

#[test]
fn path_without_support_is_refused_with_421_require_path() {
    let r = with_path(false);
    let rej = rejected(run(&r, 1000, &[]));
    assert_eq!(rej.status, 421);
    let resp = reparse(&reject_response(&r, &rej));
    assert_eq!(header(&resp, HeaderName::Require).as_deref(), Some("path"));
}

#[test]
fn path_without_support_can_be_stored_but_not_echoed() {
    let mut config = RegistrarConfig::default();
    config.accept_path_without_support = true;
    let r = with_path(false);
    let b = updated(process(&config, &r, &ctx(1000), &[]));
    assert_eq!(b[0].path.len(), 3);
    let resp = reparse(&ok_response(&config, &r, &b, 1000));
    assert!(!resp.headers().contains(HeaderName::Path));
}

#[test]
fn no_path_stores_none() {
    let r = reg("c1", 1)
        .contact("<sip:alice@192.0.2.4>")
        .header("Supported: path")
        .build();
    let b = updated(run(&r, 1000, &[]));
    assert!(b[0].path.is_empty());
    let resp = reparse(&ok_response(&RegistrarConfig::default(), &r, &b, 1000));
    assert!(!resp.headers().contains(HeaderName::Path));
}
