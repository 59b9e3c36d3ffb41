//! Forwarding to a domain the server does not serve, found through DNS (RFC 3263): alice,
//! authenticated, calls `sip:carol@remote.test`; the server asks the name server in its
//! `[dns]` section (a tiny one the test runs on 127.0.0.1), follows the SRV record to the
//! SIPp uas listening for remote.test, and the call completes through the proxy. A domain
//! with no records gets 404.

mod common;

use std::collections::HashMap;
use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

use common::{Proc, Server, TempDir, free_port, injection, sipp, sipp_cmd, sipp_counter};
use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, SOA, SRV};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};

const LIMIT: Duration = Duration::from_secs(60);

fn name(s: &str) -> Name {
    Name::from_ascii(s).expect("test name")
}

/// Answers from `zone` on a thread until the process ends; NXDOMAIN (with an SOA, so the
/// negative answer can be cached) for anything else. Returns its port.
fn start_dns(zone: HashMap<(String, RecordType), RData>) -> u16 {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind DNS");
    let port = sock.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        loop {
            let (n, peer) = match sock.recv_from(&mut buf) {
                Ok(got) => got,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut r = Message::new();
            r.set_id(q.id())
                .set_message_type(MessageType::Response)
                .set_op_code(q.op_code())
                .set_recursion_desired(q.recursion_desired())
                .set_authoritative(true);
            for question in q.queries() {
                r.add_query(question.clone());
                let key = (question.name().to_ascii(), question.query_type());
                match zone.get(&key) {
                    Some(data) => {
                        r.add_answer(Record::from_rdata(
                            question.name().clone(),
                            60,
                            data.clone(),
                        ));
                    }
                    None => {
                        r.set_response_code(ResponseCode::NXDomain);
                        let soa = SOA::new(name("ns.test."), name("h.test."), 1, 60, 60, 60, 5);
                        r.add_name_server(Record::from_rdata(name("test."), 5, RData::SOA(soa)));
                    }
                }
            }
            if let Ok(bytes) = r.to_vec() {
                let _ = sock.send_to(&bytes, peer);
            }
        }
    });
    port
}

#[test]
fn authenticated_call_to_another_domain_follows_dns() {
    let test = "authenticated_call_to_another_domain_follows_dns";
    let Some(sipp) = sipp(test) else { return };
    let dir = TempDir::new(test);
    let remote_port = free_port();
    let mut zone = HashMap::new();
    zone.insert(
        ("_sip._udp.remote.test.".to_owned(), RecordType::SRV),
        RData::SRV(SRV::new(0, 0, remote_port, name("sip.remote.test."))),
    );
    zone.insert(
        ("sip.remote.test.".to_owned(), RecordType::A),
        RData::A(A(Ipv4Addr::LOCALHOST)),
    );
    let dns = start_dns(zone);
    let config = dir.path().join("carillon.toml");
    std::fs::write(
        &config,
        format!("[dns]\nservers = [\"127.0.0.1:{dns}\"]\ntimeout = 2\n"),
    )
    .expect("config");
    let server = Server::start_with(dir.path(), &["--config", config.to_str().expect("path")]);
    server.add_user("alice@127.0.0.1", "alice-pw");

    let mut uas = sipp_cmd(&sipp, "uas.xml", server.port, remote_port, false);
    uas.args(["-m", "1"]);
    let mut uas = Proc::spawn("sipp-uas", uas, dir.path());
    common::wait_listening(true, remote_port, common::READY, &mut uas);

    let row = |target: &str, domain: &str| {
        vec![
            "alice".to_owned(),
            "127.0.0.1".to_owned(),
            "alice-pw".to_owned(),
            target.to_owned(),
            domain.to_owned(),
        ]
    };
    let inf = injection(dir.path(), "alice.csv", &[row("carol", "remote.test")]);
    let mut uac = sipp_cmd(&sipp, "uac_auth.xml", server.port, free_port(), false);
    uac.arg("-inf").arg(&inf).args(["-m", "1"]);
    let mut uac = Proc::spawn("sipp-uac", uac, dir.path());
    let both = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        common::expect_both(&mut uac, &mut uas, LIMIT)
    }));
    let Ok((uac_out, uas_out, _)) = both else {
        panic!("the call failed; server log:\n{}", server.proc.stderr());
    };
    assert_eq!(
        sipp_counter(&uac_out, "Successful call"),
        Some(1),
        "{uac_out}"
    );
    assert_eq!(
        sipp_counter(&uas_out, "Successful call"),
        Some(1),
        "{uas_out}"
    );

    // A domain without records: the INVITE gets 404, after the challenge.
    let inf = injection(dir.path(), "nowhere.csv", &[row("dave", "nowhere.test")]);
    let mut uac = sipp_cmd(&sipp, "uac_auth.xml", server.port, free_port(), false);
    uac.arg("-inf")
        .arg(&inf)
        .args(["-m", "1", "-timeout", "10s"]);
    let mut uac = Proc::spawn("sipp-uac-nowhere", uac, dir.path());
    let status = uac.wait(LIMIT).expect("sipp ends");
    assert!(!status.success(), "a call to nowhere.test succeeded");
    let metrics = server.metrics_text();
    assert!(
        metrics.contains("carillon_transactions_total{method=\"INVITE\",class=\"4xx\"} 3"),
        "want two 407 and one 404:\n{metrics}"
    );
    let log = server.proc.stderr();
    assert!(
        log.lines()
            .any(|l| l.contains("method=\"INVITE\" status=404") && l.contains("transaction")),
        "no INVITE answered 404 in the log:\n{log}"
    );
}
