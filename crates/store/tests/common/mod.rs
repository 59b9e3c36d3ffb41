//! Helpers shared by the store tests.
#![allow(dead_code, unreachable_pub)]

use carillon_store::Binding;

/// A binding of `aor` to `uri`, live until `expires_at`, with every optional field filled so
/// that a round trip through the file checks them all.
pub fn binding(aor: &str, uri: &str, q: Option<u16>, expires_at: u64, updated_at: u64) -> Binding {
    Binding {
        aor: aor.to_owned(),
        uri: uri.to_owned(),
        params: ";expires=3600;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\""
            .to_owned(),
        q,
        expires_at,
        call_id: format!("call-{uri}"),
        cseq: 7,
        source: Some("192.0.2.4:5060".parse().expect("address")),
        transport: Some("udp".to_owned()),
        local: Some("[2001:db8::1]:5061".parse().expect("address")),
        path: vec![
            "<sip:edge1.example.com;lr>".to_owned(),
            "<sip:edge2.example.com;lr;x=\"a,b\nc\">".to_owned(),
        ],
        instance_id: Some("<urn:uuid:00000000-0000-1000-8000-000A95A0E128>".to_owned()),
        reg_id: Some(1),
        user_agent: Some("test/1.0".to_owned()),
        created_at: 1_000,
        updated_at,
    }
}

/// A binding with few optional fields set.
pub fn bare_binding(aor: &str, uri: &str, expires_at: u64) -> Binding {
    Binding {
        aor: aor.to_owned(),
        uri: uri.to_owned(),
        params: String::new(),
        q: None,
        expires_at,
        call_id: "c".to_owned(),
        cseq: 1,
        source: None,
        transport: None,
        local: None,
        path: Vec::new(),
        instance_id: None,
        reg_id: None,
        user_agent: None,
        created_at: 0,
        updated_at: 0,
    }
}

/// Rows in the bindings table of the store in `dir`, read directly from the file.
pub fn rows_on_disk(dir: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(dir.join(carillon_store::DATABASE_FILE)).expect("open");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    conn.query_row("SELECT count(*) FROM bindings", [], |row| row.get(0))
        .expect("count")
}
