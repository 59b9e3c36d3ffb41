#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use super::*;

const AOR: &str = "sip:alice@example.com";

fn full(uri: &str, expires_at: u64) -> Binding {
    Binding {
        aor: AOR.to_owned(),
        uri: uri.to_owned(),
        params: ";expires=3600;+sip.instance=\"<urn:uuid:1>\";reg-id=1".to_owned(),
        q: Some(500),
        expires_at,
        call_id: "a84b4c76e66710@pc33.example.com".to_owned(),
        cseq: u32::MAX,
        source: Some("192.0.2.4:5060".parse().unwrap()),
        transport: Some("wss".to_owned()),
        local: Some("[2001:db8::1]:5061".parse().unwrap()),
        path: vec![
            "<sip:edge1.example.com;lr>".to_owned(),
            "<sip:édge2.example.com;lr;x=\"a,b\nc\">".to_owned(),
        ],
        instance_id: Some("<urn:uuid:00000000-0000-1000-8000-000A95A0E128>".to_owned()),
        reg_id: Some(u32::MAX),
        user_agent: Some("test/1.0".to_owned()),
        created_at: expires_at.saturating_sub(7200),
        updated_at: expires_at.saturating_sub(3600),
    }
}

fn bare(uri: &str, expires_at: u64) -> Binding {
    Binding {
        aor: AOR.to_owned(),
        uri: uri.to_owned(),
        params: String::new(),
        q: None,
        expires_at,
        call_id: String::new(),
        cseq: 0,
        source: None,
        transport: None,
        local: None,
        path: Vec::new(),
        instance_id: None,
        reg_id: None,
        user_agent: None,
        created_at: 0,
        updated_at: u64::MAX,
    }
}

fn decoded(packed: &Packed, now: u64) -> Vec<Binding> {
    let mut out = Vec::new();
    packed.decode_live(now, &mut out);
    out
}

#[test]
fn every_field_survives_packing_in_order() {
    let mut odd = full("sip:b@192.0.2.9", u64::MAX);
    odd.transport = Some("SCTP-custom".to_owned());
    odd.source = Some("[fe80::1%7]:5060".parse().unwrap());
    odd.local = Some(SocketAddr::V6(SocketAddrV6::new(
        Ipv6Addr::LOCALHOST,
        0,
        0x12345,
        0,
    )));
    odd.q = Some(0);
    odd.reg_id = Some(0);
    odd.instance_id = Some(String::new());
    odd.user_agent = Some(String::new());
    let bindings = vec![
        full("sip:a@192.0.2.4:5060;transport=udp", 2_000_000_000),
        bare("sip:c@[2001:db8::2]", 1),
        odd,
    ];
    let packed = Packed::new(AOR, &bindings);
    assert_eq!(decoded(&packed, 0), bindings);
    assert_eq!(packed.len(), 3);
    assert_eq!(packed.aor_bytes(), AOR.as_bytes());
}

#[test]
fn contact_uris_sharing_the_start_of_the_aor_survive_packing() {
    let aor = "sip:élise@example.com";
    for uri in [
        "sip:élise@example.com",
        "sip:élise@example.com:5070;transport=tcp",
        "sip:èlise@example.com",
        "sip:él",
        "sips:élise@example.com",
        "",
        "tel:+1555",
    ] {
        let packed = Packed::new(aor, &[bare(uri, 10)]);
        assert_eq!(decoded(&packed, 0)[0].uri, uri);
    }
}

#[test]
fn the_aor_given_replaces_that_of_each_binding() {
    let mut b = bare("sip:a@h", 10);
    b.aor = "sip:other@example.com".to_owned();
    let packed = Packed::new(AOR, &[b]);
    assert_eq!(decoded(&packed, 0)[0].aor, AOR);
}

#[test]
fn liveness_is_checked_without_decoding_and_filters() {
    let bindings = vec![
        bare("sip:a@h", 100),
        bare("sip:b@h", 50),
        bare("sip:c@h", 101),
    ];
    let packed = Packed::new(AOR, &bindings);
    assert_eq!(packed.live_count(0), 3);
    assert_eq!(packed.live_count(100), 1);
    let uris: Vec<String> = decoded(&packed, 50).into_iter().map(|b| b.uri).collect();
    assert_eq!(uris, ["sip:a@h", "sip:c@h"]);
    // Ending exactly at `now` is ended.
    assert_eq!(packed.live_count(101), 0);
}

#[test]
fn retain_live_keeps_the_live_bindings_in_order_or_nothing() {
    let bindings = vec![
        full("sip:a@h", 100),
        full("sip:b@h", 50),
        full("sip:c@h", 101),
    ];
    let packed = Packed::new(AOR, &bindings);
    let kept = packed.retain_live(50).unwrap();
    assert_eq!(kept.aor_bytes(), AOR.as_bytes());
    assert_eq!(
        decoded(&kept, 0),
        vec![bindings[0].clone(), bindings[2].clone()]
    );
    assert!(packed.retain_live(101).is_none());
}

#[test]
fn a_set_of_packed_is_found_by_the_aor_bytes() {
    let mut set = HashSet::new();
    set.insert(Packed::new(AOR, &[bare("sip:a@h", 10)]));
    set.insert(Packed::new("sip:bob@example.com", &[bare("sip:b@h", 10)]));
    let found = set.get(AOR.as_bytes()).unwrap();
    assert_eq!(decoded(found, 0)[0].uri, "sip:a@h");
    // Replacing by a value of the same address of record swaps the bindings.
    set.replace(Packed::new(AOR, &[bare("sip:z@h", 10)]));
    assert_eq!(set.len(), 2);
    assert_eq!(
        decoded(set.get(AOR.as_bytes()).unwrap(), 0)[0].uri,
        "sip:z@h"
    );
    assert!(set.remove("sip:bob@example.com".as_bytes()));
    assert!(!set.contains("sip:bob@example.com".as_bytes()));
}

#[test]
fn a_typical_binding_packs_into_about_a_hundred_bytes() {
    let b = Binding {
        aor: "sip:m12345@127.0.0.1".to_owned(),
        uri: "sip:m12345@127.0.0.1:6300;transport=udp".to_owned(),
        params: String::new(),
        q: None,
        expires_at: 1_700_003_600,
        call_id: "12345-4242@127.0.0.1".to_owned(),
        cseq: 1,
        source: Some("127.0.0.1:6300".parse().unwrap()),
        transport: Some("udp".to_owned()),
        local: Some("127.0.0.1:5060".parse().unwrap()),
        path: Vec::new(),
        instance_id: None,
        reg_id: None,
        user_agent: Some("SIPp".to_owned()),
        created_at: 1_700_000_000,
        updated_at: 1_700_000_000,
    };
    let packed = Packed::new(&b.aor.clone(), &[b]);
    assert!(packed.0.len() <= 104, "{} bytes", packed.0.len());
}

#[test]
fn truncated_bytes_decode_to_nothing_instead_of_panicking() {
    let packed = Packed::new(AOR, &[full("sip:a@h", 100)]);
    for cut in 0..packed.0.len() {
        let truncated = Packed(packed.0[..cut].into());
        let mut out = Vec::new();
        truncated.decode_live(0, &mut out);
        assert!(out.is_empty(), "cut at {cut}");
    }
    let mut rest = Vec::new();
    encode_rest(&mut rest, AOR, &full("sip:a@h", 100));
    assert!(decode_rest(AOR, 100, &rest).is_some());
    for cut in 0..rest.len() {
        assert!(
            decode_rest(AOR, 100, &rest[..cut]).is_none(),
            "cut at {cut}"
        );
    }
}
