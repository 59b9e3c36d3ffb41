//! RFC 4475 torture tests: every message is handled as the RFC classifies it, and the values
//! that parsers get wrong are checked one by one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use sip_message::header::{Contact, Via};
use sip_message::{HeaderName, Host, Message, Method};

mod common;
use common::{Outcome, outcome};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/rfc4475")
}

fn load(name: &str) -> Bytes {
    Bytes::from(std::fs::read(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn parse(name: &str) -> Message {
    Message::parse(load(name)).unwrap_or_else(|e| panic!("{name} must parse: {e}"))
}

/// Our reading of each row of EXPECTED.tsv, as a UAS / registrar. Where the RFC allows a
/// liberal element to accept, we reject: guessing at malformed input is how parsers
/// disagree and how requests get smuggled.
fn expected() -> BTreeMap<&'static str, (&'static str, Outcome)> {
    use Outcome::*;
    BTreeMap::from([
        ("wsinv.dat", ("valid", Accept)),
        ("intmeth.dat", ("valid", Respond(501))),
        ("esc01.dat", ("valid", Accept)),
        ("escnull.dat", ("valid", Accept)),
        ("esc02.dat", ("valid", Respond(501))),
        ("lwsdisp.dat", ("valid", Accept)),
        ("longreq.dat", ("valid", Accept)),
        ("dblreq.dat", ("valid", Accept)),
        ("semiuri.dat", ("valid", Accept)),
        ("transports.dat", ("valid", Accept)),
        ("mpart01.dat", ("valid", Accept)),
        ("unreason.dat", ("valid", Accept)),
        ("noreason.dat", ("valid", Accept)),
        ("badinv01.dat", ("invalid", Respond(400))),
        ("clerr.dat", ("invalid", Respond(400))),
        ("ncl.dat", ("invalid", Respond(400))),
        ("scalar02.dat", ("invalid", Respond(400))),
        ("scalarlg.dat", ("invalid", Drop)),
        ("quotbal.dat", ("invalid", Respond(400))),
        ("ltgtruri.dat", ("invalid", Respond(400))),
        ("lwsruri.dat", ("invalid", Respond(400))),
        ("lwsstart.dat", ("invalid", Respond(400))),
        ("trws.dat", ("invalid", Respond(400))),
        ("escruri.dat", ("invalid", Respond(400))),
        ("baddate.dat", ("invalid", Respond(400))),
        ("regbadct.dat", ("invalid", Respond(400))),
        ("badaspec.dat", ("invalid", Respond(400))),
        ("baddn.dat", ("invalid", Respond(400))),
        ("badvers.dat", ("invalid", Respond(505))),
        ("mismatch01.dat", ("invalid", Respond(400))),
        ("mismatch02.dat", ("invalid", Respond(501))),
        ("bigcode.dat", ("invalid", Drop)),
        // The transaction layer falls back to RFC 2543 matching; the message itself is fine.
        ("badbranch.dat", ("valid-transaction-layer", Accept)),
        ("insuf.dat", ("valid-but-semantic-error", Respond(400))),
        ("unkscm.dat", ("valid-but-semantic-error", Respond(416))),
        ("novelsc.dat", ("valid-but-semantic-error", Respond(416))),
        ("unksm2.dat", ("valid-but-semantic-error", Respond(400))),
        ("bext01.dat", ("valid-but-semantic-error", Respond(420))),
        ("invut.dat", ("valid-but-semantic-error", Respond(415))),
        // Parsed and passed on: the registrar answers 401 with a Digest challenge.
        ("regaut01.dat", ("valid-but-semantic-error", Accept)),
        ("multi01.dat", ("valid-but-semantic-error", Respond(400))),
        ("mcl01.dat", ("valid-but-semantic-error", Respond(400))),
        // A parsed response; forwarding to its broadcast Via is refused by the proxy layer,
        // and bcast_via_is_recognisable_as_broadcast checks the value it decides on.
        ("bcast.dat", ("valid-but-semantic-error", Accept)),
        // An endpoint answers OPTIONS with Max-Forwards 0; the proxy case is tested below.
        ("zeromf.dat", ("valid-but-semantic-error", Accept)),
        ("cparam01.dat", ("valid", Accept)),
        ("cparam02.dat", ("valid", Accept)),
        ("regescrt.dat", ("valid", Accept)),
        ("sdp01.dat", ("valid-but-semantic-error", Respond(406))),
        ("inv2543.dat", ("valid-backward-compat", Accept)),
    ])
}

#[test]
fn every_rfc4475_message_gets_the_classified_outcome() {
    let tsv = std::fs::read_to_string(data_dir().join("EXPECTED.tsv")).unwrap();
    let table = expected();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, verdict) = (cols[0], cols[3]);
        if verdict == "unclassified" {
            continue;
        }
        let (our_verdict, want) = table
            .get(file)
            .unwrap_or_else(|| panic!("{file} has no expectation"));
        assert_eq!(
            *our_verdict, verdict,
            "{file}: EXPECTED.tsv classifies it differently"
        );
        let got = outcome(load(file), false);
        if got != *want {
            failures.push(format!("{file}: expected {want:?}, got {got:?}"));
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 49);
    assert_eq!(table.len(), 49);
}

#[test]
fn unclassified_test_dat_does_not_crash() {
    let _ = outcome(load("test.dat"), false);
    let _ = outcome(load("test.dat"), true);
}

#[test]
fn a_proxy_answers_max_forwards_zero_with_483() {
    assert_eq!(
        outcome(load("zeromf.dat"), true),
        Outcome::Accept,
        "OPTIONS is answered by the proxy itself"
    );
    let raw = String::from_utf8(load("zeromf.dat").to_vec())
        .unwrap()
        .replace("OPTIONS", "MESSAGE");
    assert_eq!(outcome(Bytes::from(raw), true), Outcome::Respond(483));
}

#[test]
fn wsinv_keeps_unusual_values_and_unknown_headers_opaque() {
    let m = parse("wsinv.dat");
    assert_eq!(m.as_request().unwrap().method(), &Method::Invite);
    let vias: Vec<Via<'_>> = m
        .headers()
        .typed_all::<Via<'_>>()
        .map(Result::unwrap)
        .collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].host_str(), "192.0.2.2");
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(vias[1].transport(), "TCP");
    assert_eq!(vias[1].host_str(), "spindle.example.com");
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].host_str(), "192.168.255.111");
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(m.cseq().unwrap().seq(), 9);
    assert_eq!(
        m.headers()
            .typed::<sip_message::header::MaxForwards>()
            .unwrap()
            .0,
        68
    );
    assert_eq!(m.to().unwrap().tag(), Some("1918181833n"));
    assert_eq!(
        m.from().unwrap().display_name().as_deref(),
        Some(r#"J Rosenberg \""#)
    );
    assert_eq!(m.from().unwrap().tag(), Some("98asjd8"));
    assert!(
        m.as_request()
            .unwrap()
            .uri()
            .unwrap()
            .params()
            .contains("unknownparam")
    );
    assert_eq!(
        m.headers().get_by_name("UnknownHeaderWithUnusualValue"),
        Some(&b";;,,;;,;"[..])
    );
    assert_eq!(
        m.to_bytes(),
        load("wsinv.dat"),
        "printing an untouched message reproduces it"
    );
}

#[test]
fn intmeth_method_and_quoted_nul_survive() {
    let m = parse("intmeth.dat");
    let req = m.as_request().unwrap();
    assert_eq!(
        req.method().as_str(),
        "!interesting-Method0123456789_*+`.%indeed'~"
    );
    let to = m.to().unwrap();
    assert!(
        to.display_name_raw().unwrap().contains("\\\u{0}"),
        "quoted-pair NUL kept"
    );
}

#[test]
fn esc01_escapes_decode_once() {
    let m = parse("esc01.dat");
    let req = m.as_request().unwrap();
    let uri = req.uri().unwrap();
    assert_eq!(uri.user(), Some("sips%3Auser%40example.com"));
    assert_eq!(
        uri.user_unescaped().unwrap().as_ref(),
        b"sips:user@example.com"
    );
    assert_eq!(uri.host_str(), "example.net");
    assert_eq!(
        m.to().unwrap().uri().user_unescaped().unwrap().as_ref(),
        b"user"
    );
    assert_eq!(
        m.from().unwrap().uri().user_unescaped().unwrap().as_ref(),
        b"I have spaces"
    );
    let contact = m.headers().typed::<Contact<'_>>().unwrap();
    let params = contact.addr().unwrap().uri().params();
    assert!(params.contains("%6C%72"));
    // value%25%34%31 means "value%41", never "valueA": no recursive unescaping.
    assert_eq!(params.get("n%61me"), Some(Some("v%61lue%25%34%31")));
}

#[test]
fn escnull_has_two_distinct_contacts_with_nuls() {
    let m = parse("escnull.dat");
    let users: Vec<Vec<u8>> = m
        .headers()
        .typed_all::<Contact<'_>>()
        .map(|c| {
            c.unwrap()
                .addr()
                .unwrap()
                .uri()
                .user_unescaped()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(users, vec![b"\0".to_vec(), b"\0\0".to_vec()]);
    assert_eq!(
        m.to().unwrap().uri().user_unescaped().unwrap().as_ref(),
        b"null-\0-null"
    );
}

#[test]
fn esc02_percent_is_literal_outside_uris() {
    let m = parse("esc02.dat");
    assert_eq!(m.as_request().unwrap().method().as_str(), "RE%47IST%45R");
    assert_eq!(
        m.headers().typed_all::<Contact<'_>>().count(),
        2,
        "C%6Fntact is an extension header"
    );
    assert!(m.headers().get_by_name("C%6Fntact").is_some());
    assert_eq!(m.to().unwrap().display_name().as_deref(), Some("%Z%45"));
}

#[test]
fn dblreq_ignores_octets_after_content_length() {
    let m = parse("dblreq.dat");
    assert_eq!(m.as_request().unwrap().method(), &Method::Register);
    assert!(m.body().is_empty());
    assert!(!m.to_bytes().windows(6).any(|w| w == b"INVITE"));
}

#[test]
fn semiuri_user_part_contains_the_semicolon() {
    let m = parse("semiuri.dat");
    let uri = m.as_request().unwrap().uri().unwrap();
    assert_eq!(
        uri.user_unescaped().unwrap().as_ref(),
        b"user;par=u@example.net"
    );
    assert_eq!(uri.host_str(), "example.com");
    assert!(uri.params().is_empty());
}

#[test]
fn transports_lists_every_via_transport() {
    let m = parse("transports.dat");
    let t: Vec<&str> = m
        .headers()
        .typed_all::<Via<'_>>()
        .map(|v| v.unwrap().transport())
        .collect();
    assert_eq!(t, vec!["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
}

#[test]
fn mpart01_binary_body_is_framed_by_content_length() {
    let m = parse("mpart01.dat");
    assert_eq!(m.body().len(), 553);
    assert!(m.body().contains(&0), "binary part with NUL kept");
    assert!(
        m.body().windows(20).any(|w| w == b"--7a9cbec02ceef655--"),
        "closing boundary inside the body"
    );
    assert_eq!(m.to_bytes(), load("mpart01.dat"));
}

#[test]
fn unusual_and_empty_reason_phrases_are_kept() {
    let m = parse("unreason.dat");
    let r = m.as_response().unwrap();
    assert_eq!(r.status(), 200);
    assert!(std::str::from_utf8(r.reason()).unwrap().contains("простое"));
    let m = parse("noreason.dat");
    assert_eq!(m.as_response().unwrap().status(), 100);
    assert_eq!(m.as_response().unwrap().reason(), b"");
}

#[test]
fn badbranch_is_parsed_but_has_no_rfc3261_branch() {
    let m = parse("badbranch.dat");
    let v = m.via().unwrap();
    assert_eq!(v.branch(), Some("z9hG4bK"));
    assert!(!v.has_rfc3261_branch());
}

#[test]
fn bcast_via_is_recognisable_as_broadcast() {
    let m = parse("bcast.dat");
    let vias: Vec<Via<'_>> = m
        .headers()
        .typed_all::<Via<'_>>()
        .map(Result::unwrap)
        .collect();
    assert!(matches!(vias[1].host(), Host::Ipv4(a) if a.is_broadcast()));
}

#[test]
fn regaut01_unknown_authorization_scheme_is_kept() {
    let m = parse("regaut01.dat");
    let auth = m.headers().get(HeaderName::Authorization).unwrap();
    assert!(auth.starts_with(b"NoOneKnowsThisScheme"));
}

#[test]
fn cparam01_unknownparam_is_a_contact_parameter() {
    let m = parse("cparam01.dat");
    let c = m.headers().typed::<Contact<'_>>().unwrap();
    let a = c.addr().unwrap();
    assert_eq!(a.uri().as_str(), "sip:+19725552222@gw1.example.net");
    assert!(a.params().contains("unknownparam"));
}

#[test]
fn cparam02_unknownparam_is_a_uri_parameter() {
    let m = parse("cparam02.dat");
    let c = m.headers().typed::<Contact<'_>>().unwrap();
    let a = c.addr().unwrap();
    assert_eq!(
        a.uri().as_str(),
        "sip:+19725552222@gw1.example.net;unknownparam"
    );
    assert!(a.params().is_empty());
}

#[test]
fn regescrt_contact_keeps_its_escaped_header() {
    let m = parse("regescrt.dat");
    let c = m.headers().typed::<Contact<'_>>().unwrap();
    let uri = c.addr().unwrap().uri();
    assert_eq!(
        uri.as_str(),
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E"
    );
    assert_eq!(uri.headers(), Some("Route=%3Csip:sip.example.com%3E"));
}

#[test]
fn inv2543_body_is_the_rest_of_the_datagram() {
    let m = parse("inv2543.dat");
    assert!(!m.headers().contains(HeaderName::ContentLength));
    assert!(m.body().starts_with(b"v=0"));
    assert!(m.from().unwrap().tag().is_none());
    assert!(m.via().unwrap().branch().is_none());
}

#[test]
fn lwsdisp_and_longreq_decode() {
    let m = parse("lwsdisp.dat");
    assert_eq!(m.from().unwrap().display_name().as_deref(), Some("caller"));
    let m = parse("longreq.dat");
    assert!(m.headers().typed_all::<Via<'_>>().count() > 30);
    assert!(m.from().unwrap().tag().unwrap().len() > 100);
}
