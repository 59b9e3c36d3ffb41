//! Every RFC 4475 torture message, byte for byte, sent over UDP to the running server: each
//! gets the answer `tests/data/rfc4475/EXPECTED.tsv` calls for (as this server's policy
//! makes it concrete: the table below, one row per file with the reason), and the server
//! still answers OPTIONS after each one.
//!
//! The messages name third-party addresses (192.0.2.x, example.com), so the test must run in
//! a network namespace with only loopback, as `scripts/test.sh` does. Responses go where the
//! top Via says: the server adds `received=127.0.0.1`, and RFC 3261 §18.2.2 then sends to
//! that address at the Via's port (5060 when absent), so the test listens on 127.0.0.1:5060
//! and on the other Via ports the messages name, while the server listens elsewhere.

mod common;

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Server, TempDir};

/// What the server must do with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A final response with this status (100 Trying may come first).
    Status(u16),
    /// No response at all.
    Silence,
}

use Outcome::{Silence, Status};

/// The server's answer to each file, with `domains = ["example.com"]` configured and no
/// users: malformed requests get the status `sip_message::validate` maps them to; requests
/// claiming example.com in From are challenged (407, 401 for REGISTER) before anything
/// else; requests from elsewhere to example.com users get 404 (there are none); responses
/// are dropped.
const EXPECTED: &[(&str, Outcome, &str)] = &[
    (
        "wsinv.dat",
        Status(404),
        "valid; its To has a tag but it did not come through our Record-Route: not a dialog of ours (Kamailio answers 404 too)",
    ),
    (
        "intmeth.dat",
        Status(407),
        "valid unknown method; From claims example.com: authenticate first",
    ),
    (
        "esc01.dat",
        Status(403),
        "valid; R-URI in example.net, not served",
    ),
    (
        "escnull.dat",
        Status(401),
        "valid REGISTER to example.com: challenged",
    ),
    (
        "esc02.dat",
        Status(407),
        "RE%47IST%45R is an unknown method (not REGISTER), proxied like any; From claims example.com: authenticate first",
    ),
    (
        "lwsdisp.dat",
        Status(407),
        "valid; From caller@example.com: authenticate first",
    ),
    (
        "longreq.dat",
        Status(404),
        "valid; from example.net to user@example.com, no such user",
    ),
    (
        "dblreq.dat",
        Status(401),
        "valid REGISTER to example.com, trailing bytes ignored: challenged",
    ),
    (
        "semiuri.dat",
        Status(404),
        "valid; the user part is `user;par=u@example.net` at example.com: no such user",
    ),
    (
        "transports.dat",
        Status(407),
        "valid; From caller@example.com: authenticate first",
    ),
    (
        "mpart01.dat",
        Status(407),
        "valid MESSAGE; From fluffy@example.com: authenticate first",
    ),
    (
        "unreason.dat",
        Silence,
        "a response matching nothing: dropped",
    ),
    (
        "noreason.dat",
        Silence,
        "a response matching nothing: dropped",
    ),
    ("badinv01.dat", Status(400), "invalid"),
    (
        "clerr.dat",
        Status(400),
        "Content-Length larger than the datagram",
    ),
    ("ncl.dat", Status(400), "negative Content-Length"),
    ("scalar02.dat", Status(400), "CSeq above 2^32-1"),
    ("scalarlg.dat", Silence, "malformed response: dropped"),
    ("quotbal.dat", Status(400), "unterminated quote"),
    ("ltgtruri.dat", Status(400), "R-URI in angle brackets"),
    ("lwsruri.dat", Status(400), "LWS in the R-URI"),
    ("lwsstart.dat", Status(400), "extra SP in the request line"),
    ("trws.dat", Status(400), "trailing SP in the request line"),
    ("escruri.dat", Status(400), "R-URI with escaped headers"),
    ("baddate.dat", Status(400), "non-GMT Date"),
    (
        "regbadct.dat",
        Status(400),
        "Contact URI with parameters outside <>",
    ),
    ("badaspec.dat", Status(400), "spaces in an addr-spec"),
    (
        "baddn.dat",
        Status(400),
        "unquoted display name with special characters",
    ),
    ("badvers.dat", Status(505), "SIP/7.0"),
    (
        "mismatch01.dat",
        Status(400),
        "CSeq method differs from the request method",
    ),
    (
        "mismatch02.dat",
        Status(501),
        "unknown method with a CSeq mismatch",
    ),
    ("bigcode.dat", Silence, "response code 4294967301: dropped"),
    (
        "badbranch.dat",
        Status(404),
        "parsed (bare cookie as branch, RFC 2543 matching); to user@example.com: no such user",
    ),
    ("insuf.dat", Status(400), "missing Call-ID, From, To..."),
    ("unkscm.dat", Status(416), "R-URI scheme unknown"),
    ("novelsc.dat", Status(416), "R-URI scheme soap.beep"),
    (
        "unksm2.dat",
        Status(400),
        "REGISTER whose To is not a SIP AOR",
    ),
    (
        "bext01.dat",
        Status(420),
        "Proxy-Require of an unknown extension",
    ),
    (
        "invut.dat",
        Status(404),
        "a proxy does not look at the body; to user@example.com: no such user",
    ),
    (
        "regaut01.dat",
        Status(401),
        "REGISTER with credentials for another realm: challenged",
    ),
    (
        "multi01.dat",
        Status(400),
        "several values in single-valued headers",
    ),
    ("mcl01.dat", Status(400), "several Content-Length headers"),
    (
        "bcast.dat",
        Silence,
        "a response whose next Via is 255.255.255.255: matches nothing, never forwarded",
    ),
    ("zeromf.dat", Status(483), "Max-Forwards 0"),
    ("cparam01.dat", Status(401), "valid REGISTER: challenged"),
    ("cparam02.dat", Status(401), "valid REGISTER: challenged"),
    ("regescrt.dat", Status(401), "valid REGISTER: challenged"),
    (
        "sdp01.dat",
        Status(404),
        "a proxy does not negotiate SDP; to user@example.com: no such user",
    ),
    (
        "inv2543.dat",
        Status(404),
        "RFC 2543 INVITE accepted; to UserB@example.com: no such user",
    ),
];

fn data_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/rfc4475")
}

/// The ports named in top Via headers of the message (5060 when absent), so the test can
/// listen there.
fn via_ports(msg: &[u8]) -> Vec<u16> {
    let text = String::from_utf8_lossy(msg);
    let mut ports = vec![5060];
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        if !(lower.starts_with("via:") || lower.starts_with("v:")) {
            continue;
        }
        for word in line.split_whitespace() {
            let host = word.split(';').next().unwrap_or("");
            if let Some((_, port)) = host.rsplit_once(':')
                && let Ok(p) = port.trim_end_matches(',').parse::<u16>()
                && !ports.contains(&p)
            {
                ports.push(p);
            }
        }
    }
    ports
}

/// The first line's method and the top Via's sent-by and branch, roughly: enough to tell
/// when two files would be one transaction to the server.
fn transaction_key(msg: &[u8]) -> String {
    let text = String::from_utf8_lossy(msg);
    let method = text.split(' ').next().unwrap_or("").to_owned();
    let via = text
        .lines()
        .find(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("via") || l.starts_with("v:") || l.starts_with("v ")
        })
        .unwrap_or("")
        .split_whitespace()
        .collect::<String>();
    format!("{method} {via}")
}

/// Status codes received on any of `socks` until a final one or `wait` passes.
fn collect(socks: &[UdpSocket], wait: Duration) -> Vec<u16> {
    let end = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65_536];
    while Instant::now() < end {
        for s in socks {
            if let Ok((n, _)) = s.recv_from(&mut buf) {
                let line = String::from_utf8_lossy(&buf[..n.min(40)]).into_owned();
                if let Some(code) = line
                    .strip_prefix("SIP/2.0 ")
                    .and_then(|r| r.get(..3))
                    .and_then(|c| c.parse().ok())
                {
                    got.push(code);
                    if code >= 200 {
                        return got;
                    }
                }
            }
        }
    }
    got
}

#[test]
fn rfc4475_messages_get_the_expected_answers_from_the_running_server() {
    let dir = TempDir::new("rfc4475_server");
    let config = dir.path().join("carillon.toml");
    std::fs::write(
        &config,
        "[server]\ndomains = [\"example.com\"]\n[nat]\nkeepalive_interval = 0\n",
    )
    .expect("config");
    let mut server = Server::start_with(dir.path(), &["--config", config.to_str().expect("path")]);
    let mut failures = Vec::new();
    let mut seen = BTreeMap::new();
    let mut keys = std::collections::HashSet::new();
    for (file, want, why) in EXPECTED {
        let bytes = std::fs::read(data_dir().join(file)).expect("read message");
        // Several files reuse one branch and sent-by: to the server the later one is a
        // retransmission of the earlier (RFC 3261 §17.2.3), answered to the earlier sender.
        // Each file is a test of its own, so those get a fresh server.
        if !keys.insert(transaction_key(&bytes)) {
            server.crash_and_restart();
            keys.clear();
            keys.insert(transaction_key(&bytes));
        }
        let mut socks = Vec::new();
        for p in via_ports(&bytes) {
            if p == server.port || p == server.metrics {
                continue;
            }
            match UdpSocket::bind(("127.0.0.1", p)) {
                Ok(s) => {
                    s.set_read_timeout(Some(Duration::from_millis(20)))
                        .expect("timeout");
                    socks.push(s);
                }
                Err(e) => panic!("cannot listen on 127.0.0.1:{p} for {file}'s answer: {e}"),
            }
        }
        let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");
        sender
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        sender
            .send_to(&bytes, ("127.0.0.1", server.port))
            .expect("send");
        socks.push(sender);
        let wait = if *want == Silence {
            Duration::from_millis(700)
        } else {
            Duration::from_secs(3)
        };
        let got = collect(&socks, wait);
        let outcome = match got.iter().find(|c| **c >= 200) {
            Some(c) => Status(*c),
            None => Silence,
        };
        if outcome != *want {
            failures.push(format!(
                "{file}: got {outcome:?} ({got:?}), want {want:?}: {why}"
            ));
        }
        seen.insert(*file, outcome);
        drop(socks);
        if server.ping().as_deref() != Some("SIP/2.0 200 OK") {
            failures.push(format!(
                "after {file}: the server no longer answers OPTIONS"
            ));
            break;
        }
    }
    // Every file of the corpus is in the table.
    let listed = std::fs::read_to_string(data_dir().join("EXPECTED.tsv")).expect("EXPECTED.tsv");
    for line in listed.lines().skip(1) {
        let file = line.split('\t').next().unwrap_or("");
        if file != "test.dat" && !EXPECTED.iter().any(|(f, _, _)| *f == file) {
            failures.push(format!("{file} is in EXPECTED.tsv but not in this test"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nall: {seen:#?}",
        failures.join("\n")
    );
}
