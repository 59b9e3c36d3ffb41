//! Every PROTOS c07-sip case (4527 INVITEs with their CANCEL teardowns) and every RFC 4475
//! torture message sent to the running server over UDP and over TCP (one connection per
//! message): the process stays alive, and after every batch of cases the valid reference
//! OPTIONS is still answered 200 (over UDP, and over a new TCP connection after TCP batches).
//! What each case is answered is `rfc4475_server.rs`'s and `sip-message`'s business; this is
//! about surviving them on the wire.
//!
//! The cases are rendered as `crates/sip-message/tests/common/mod.rs` renders them, with
//! loopback addresses only (`tests/data/protos-c07-sip/README.md`). The 81 INVITEs larger than
//! one UDP datagram go over TCP only.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/traffic.rs"]
mod traffic;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::client::{PROMPT, Ua};
use common::{Server, TempDir};
use traffic::{alive, ping_from};

/// Cases sent between two checks of the reference OPTIONS.
const BATCH: usize = 50;
/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65_507;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

/// One message to send, named for the failure report.
struct Case {
    name: String,
    bytes: Vec<Vec<u8>>,
}

/// The PROTOS cases: each INVITE followed by its teardown.
fn protos() -> Vec<Case> {
    let dir = data().join("protos-c07-sip/cases");
    (0..4527)
        .map(|n| {
            let raw = std::fs::read(dir.join(format!("{n:07}"))).unwrap();
            let (invite, rest) = length_prefixed(&raw).unwrap();
            let (teardown, _) = length_prefixed(rest).unwrap();
            Case {
                name: format!("PROTOS case {n}"),
                bytes: vec![render(invite, n), render(teardown, n)],
            }
        })
        .collect()
}

/// The RFC 4475 messages, byte for byte.
fn rfc4475() -> Vec<Case> {
    let dir = data().join("rfc4475");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "dat"))
        .collect();
    files.sort();
    assert!(files.len() >= 49, "RFC 4475 messages missing in {dir:?}");
    files
        .into_iter()
        .map(|p| Case {
            name: format!("RFC 4475 {}", p.file_name().unwrap().to_string_lossy()),
            bytes: vec![std::fs::read(&p).unwrap()],
        })
        .collect()
}

/// Splits `<decimal length> <bytes>` off the front.
fn length_prefixed(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = b.iter().position(|&c| c == b' ')?;
    let len: usize = std::str::from_utf8(&b[..sp]).ok()?.parse().ok()?;
    let body = b.get(sp + 1..sp + 1 + len)?;
    Some((body, &b[sp + 1 + len..]))
}

/// Fills the placeholders with loopback values and a Content-Length matching the body.
fn render(template: &[u8], n: usize) -> Vec<u8> {
    let subs: [(&[u8], String); 9] = [
        (b"<To>", "bob@127.0.0.1".into()),
        (b"<From-Address>", "127.0.0.1".into()),
        (b"<Local-Port>", "5062".into()),
        (b"<Branch-ID>", format!("{n}")),
        (b"<From>", "alice@127.0.0.1".into()),
        (b"<Call-ID>", format!("protos-{n}")),
        (b"<CSeq>", "1".into()),
        (b"<From-IP>", "127.0.0.1".into()),
        (b"<Teardown-Method>", "CANCEL".into()),
    ];
    let mut out = template.to_vec();
    for (from, to) in &subs {
        out = replace_all(&out, from, to.as_bytes());
    }
    let body_len = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |i| out.len() - i - 4);
    replace_all(&out, b"<Content-Length>", body_len.to_string().as_bytes())
}

fn replace_all(h: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(h.len());
    let mut i = 0;
    while i < h.len() {
        if h[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(h[i]);
            i += 1;
        }
    }
    out
}

/// An OPTIONS for the server on a new TCP connection; the status of its answer.
fn tcp_ping(port: u16) -> Option<u16> {
    let mut ua = Ua::tcp(port, "probe", "");
    let mut req = ua.request(
        "OPTIONS",
        &format!("sip:127.0.0.1:{port}"),
        &format!("sip:127.0.0.1:{port}"),
    );
    req.from = format!("<sip:probe@example.org>;tag={}", common::client::unique());
    ua.send(&req);
    ua.final_response(&req, PROMPT).map(|r| r.status())
}

/// Sends every case over UDP in batches, checking the reference OPTIONS after each batch.
fn over_udp(server: &Server, cases: &[Case], failures: &mut Vec<String>) -> usize {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut sent = 0;
    for batch in cases.chunks(BATCH) {
        for case in batch {
            for b in case.bytes.iter().filter(|b| b.len() <= MAX_DATAGRAM) {
                sock.send_to(b, ("127.0.0.1", server.port)).unwrap();
                sent += 1;
            }
        }
        if !check(server, batch, "UDP", failures) {
            break;
        }
    }
    sent
}

/// Sends every case over TCP, one connection per case (all of a batch open at once, each
/// half-closed after writing and dropped after a short wait for answers), checking the
/// reference OPTIONS over UDP and TCP after each batch.
fn over_tcp(server: &Server, cases: &[Case], failures: &mut Vec<String>) -> usize {
    let mut sent = 0;
    for batch in cases.chunks(BATCH) {
        let mut conns = Vec::new();
        for case in batch {
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", server.port)) else {
                failures.push(format!("{}: TCP connection refused", case.name));
                continue;
            };
            for b in &case.bytes {
                // The server may close on a framing error before reading everything.
                if s.write_all(b).is_err() {
                    break;
                }
            }
            let _ = s.shutdown(Shutdown::Write);
            sent += 1;
            conns.push(s);
        }
        let end = Instant::now() + Duration::from_millis(200);
        let mut buf = [0u8; 16_384];
        for s in &mut conns {
            let left = end.saturating_duration_since(Instant::now());
            s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
        }
        drop(conns);
        if !check(server, batch, "TCP", failures) {
            break;
        }
        if tcp_ping(server.port) != Some(200) {
            failures.push(format!(
                "after {}..{} over TCP: OPTIONS on a new TCP connection not answered 200",
                batch[0].name,
                batch[batch.len() - 1].name
            ));
            break;
        }
    }
    sent
}

/// The process is alive and answers the reference OPTIONS; records a failure otherwise.
fn check(server: &Server, batch: &[Case], how: &str, failures: &mut Vec<String>) -> bool {
    let range = format!("{}..{}", batch[0].name, batch[batch.len() - 1].name);
    if !alive(server.proc.id()) {
        failures.push(format!("the server died during {range} over {how}"));
        return false;
    }
    match ping_from("127.0.0.2", server.port) {
        Some(l) if l == "SIP/2.0 200 OK" => true,
        other => {
            failures.push(format!(
                "after {range} over {how}: OPTIONS answered {other:?}"
            ));
            false
        }
    }
}

#[test]
fn protos_and_rfc4475_over_udp_and_tcp_leave_the_server_answering() {
    let dir = TempDir::new("malformed_over_udp_and_tcp");
    let config = dir.path().join("carillon.toml");
    // The cases come from one address as fast as they can be written, like a scanner's
    // flood: the per-address rate limit would ban the sender after 200 and the rest would
    // never be parsed. What is tested here is the parser and the transports, not the ban.
    std::fs::write(
        &config,
        "[security]\nrate_limit = 0\n[nat]\nkeepalive_interval = 0\n",
    )
    .unwrap();
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]);
    server.add_user("bob@127.0.0.1", "pw-bob");
    let mut cases = protos();
    let too_big = cases
        .iter()
        .filter(|c| c.bytes.iter().any(|b| b.len() > MAX_DATAGRAM))
        .count();
    cases.extend(rfc4475());

    let started = Instant::now();
    let mut failures = Vec::new();
    let udp = over_udp(&server, &cases, &mut failures);
    let udp_time = started.elapsed();
    let tcp = if failures.is_empty() {
        over_tcp(&server, &cases, &mut failures)
    } else {
        0
    };
    let received = server.metric("carillon_messages_received_total");
    let parse_errors = server.metric("carillon_parse_errors_total");
    eprintln!(
        "{} cases: {udp} datagrams over UDP in {udp_time:?} ({too_big} INVITEs too large for \
         UDP), {tcp} TCP connections, {:?} in all; server counted {received:?} messages \
         received and {parse_errors:?} parse errors",
        cases.len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(alive(server.proc.id()));
}
