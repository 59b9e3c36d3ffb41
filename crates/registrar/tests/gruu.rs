//! GRUUs (RFC 5627): a public and a temporary GRUU for each contact with an instance ID,
//! when the REGISTER supports `gruu`; the proxy maps them back with `resolve_gruu`.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use sip_message::Uri;
use sip_message::header::Contact;
use sip_registrar::{Gruu, RegistrarConfig, ok_response, resolve_gruu};

const INSTANCE: &str = "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";

fn config() -> RegistrarConfig {
    let mut c = RegistrarConfig::default();
    c.gruu_secret = Some([42; 32]);
    c
}

fn register(supported: &str) -> (sip_message::Request, Vec<sip_registrar::Binding>) {
    let r = reg("c1", 1)
        .contact(&format!(
            "<sip:alice@192.0.2.4>;+sip.instance=\"{INSTANCE}\""
        ))
        .contact("<sip:alice@192.0.2.5>")
        .header(&format!("Supported: {supported}"))
        .build();
    let b = updated(run(&r, 1000, &[]));
    (r, b)
}

/// The (pub-gruu, temp-gruu) of each Contact of a 200.
fn gruus(config: &RegistrarConfig, supported: &str) -> Vec<(Option<String>, Option<String>)> {
    let (r, b) = register(supported);
    let resp = reparse(&ok_response(config, &r, &b, 1000));
    resp.headers()
        .typed_all::<Contact<'_>>()
        .map(|c| {
            let c = c.unwrap();
            let p = c.addr().unwrap().params();
            let get = |n| p.get_unquoted(n).flatten().map(str::to_owned);
            (get("pub-gruu"), get("temp-gruu"))
        })
        .collect()
}

#[test]
fn contacts_with_an_instance_get_both_gruus() {
    let g = gruus(&config(), "gruu");
    assert_eq!(
        g[0].0.as_deref(),
        Some("sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6")
    );
    let temp = g[0].1.as_deref().unwrap();
    assert!(temp.starts_with("sip:tgruu.") && temp.ends_with("@example.com;gr"));
    assert_eq!(g[1], (None, None), "no instance, no GRUU");
}

#[test]
fn both_gruus_resolve_to_the_aor_and_instance() {
    let config = config();
    let g = gruus(&config, "path, gruu");
    for (uri, temporary) in [
        (g[0].0.clone().unwrap(), false),
        (g[0].1.clone().unwrap(), true),
    ] {
        let resolved = resolve_gruu(&config, &Uri::parse(&uri).unwrap()).unwrap();
        assert_eq!(
            resolved,
            Gruu {
                aor: AOR.to_owned(),
                instance: INSTANCE.to_owned(),
                temporary
            }
        );
    }
}

#[test]
fn no_gruu_unless_the_register_supports_it() {
    assert_eq!(gruus(&config(), "path"), [(None, None), (None, None)]);
}

#[test]
fn no_gruu_when_disabled() {
    let mut c = config();
    c.gruu = false;
    assert_eq!(gruus(&c, "gruu"), [(None, None), (None, None)]);
}

#[test]
fn without_a_key_only_the_public_gruu_is_given() {
    let g = gruus(&RegistrarConfig::default(), "gruu");
    assert!(g[0].0.is_some());
    assert_eq!(g[0].1, None);
}

#[test]
fn the_instance_is_echoed_with_the_gruus() {
    let (r, b) = register("gruu");
    let resp = reparse(&ok_response(&config(), &r, &b, 1000));
    let first = &contacts(&resp)[0];
    assert!(first.starts_with(&format!(
        "<sip:alice@192.0.2.4>;+sip.instance=\"{INSTANCE}\";expires=3600;pub-gruu="
    )));
}
