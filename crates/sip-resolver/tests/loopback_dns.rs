//! The real resolver ([`HickoryLookup`] under [`Resolver`]) against a tiny authoritative DNS
//! server started inside the test on 127.0.0.1 with an ephemeral UDP port. Every record points
//! into 127.0.0.0/8 or at ::1; nothing leaves loopback.
#![cfg(feature = "hickory")]

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, NAPTR, SOA, SRV};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use sip_message::Uri;
use sip_resolver::{
    Config, Failure, HickoryLookup, Locator, LookupError, ResolveError, Resolver, SequenceRng,
    Targets,
};
use sip_transaction::Transport::{self, Tcp, Tls, Udp};
use tokio::net::UdpSocket;

type Zone = HashMap<(String, RecordType), Vec<RData>>;

fn name(s: &str) -> Name {
    Name::from_ascii(s).expect("valid test name")
}

fn naptr(order: u16, pref: u16, service: &str, replacement: &str) -> RData {
    RData::NAPTR(NAPTR::new(
        order,
        pref,
        b"S".to_vec().into_boxed_slice(),
        service.as_bytes().to_vec().into_boxed_slice(),
        Vec::new().into_boxed_slice(),
        name(replacement),
    ))
}

fn srv(priority: u16, weight: u16, port: u16, target: &str) -> RData {
    RData::SRV(SRV::new(priority, weight, port, name(target)))
}

fn a(last: u8) -> RData {
    RData::A(A(Ipv4Addr::new(127, 0, 0, last)))
}

fn localhost6() -> RData {
    RData::AAAA(AAAA(Ipv6Addr::LOCALHOST))
}

/// The test zones: `example.test` with NAPTR for TLS, TCP and UDP; `plain.test` with SRV but no
/// NAPTR; `bare.test` with addresses only; `broken.test` answers SERVFAIL.
fn zone() -> Zone {
    let mut z = Zone::new();
    let mut add = |n: &str, t: RecordType, d: RData| {
        z.entry((n.to_owned(), t)).or_default().push(d);
    };
    add(
        "example.test.",
        RecordType::NAPTR,
        naptr(30, 10, "SIP+D2U", "_sip._udp.example.test."),
    );
    add(
        "example.test.",
        RecordType::NAPTR,
        naptr(10, 10, "SIPS+D2T", "_sips._tcp.example.test."),
    );
    add(
        "example.test.",
        RecordType::NAPTR,
        naptr(20, 10, "SIP+D2T", "_sip._tcp.example.test."),
    );
    add(
        "_sips._tcp.example.test.",
        RecordType::SRV,
        srv(0, 0, 5061, "tls.example.test."),
    );
    add(
        "_sip._tcp.example.test.",
        RecordType::SRV,
        srv(20, 0, 5060, "tcp2.example.test."),
    );
    add(
        "_sip._tcp.example.test.",
        RecordType::SRV,
        srv(10, 0, 5060, "tcp1.example.test."),
    );
    add(
        "_sip._udp.example.test.",
        RecordType::SRV,
        srv(0, 0, 5060, "udp.example.test."),
    );
    add("tls.example.test.", RecordType::A, a(11));
    add("tcp1.example.test.", RecordType::A, a(12));
    add("tcp2.example.test.", RecordType::A, a(13));
    add("udp.example.test.", RecordType::A, a(14));
    add("udp.example.test.", RecordType::AAAA, localhost6());
    add(
        "_sip._udp.plain.test.",
        RecordType::SRV,
        srv(0, 0, 5080, "host.plain.test."),
    );
    add("host.plain.test.", RecordType::A, a(21));
    add("bare.test.", RecordType::A, a(31));
    add("bare.test.", RecordType::AAAA, localhost6());
    z
}

/// A minimal authoritative server: answers from `zone`, NXDOMAIN/NODATA with an SOA whose
/// MINIMUM is 5 s (the negative TTL), SERVFAIL under `broken.test`; logs each question.
struct TestServer {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    async fn start() -> TestServer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = socket.local_addr().expect("local addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let zone = zone();
        let task_log = log.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Ok(request) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let response = answer(&zone, &request, &task_log);
                if let Ok(bytes) = response.to_vec() {
                    let _ = socket.send_to(&bytes, peer).await;
                }
            }
        });
        TestServer { addr, log, task }
    }

    fn questions(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }

    fn clear(&self) {
        self.log.lock().expect("log lock").clear();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(zone: &Zone, request: &Message, log: &Mutex<Vec<String>>) -> Message {
    let mut response = Message::new();
    response
        .set_id(request.id())
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_authoritative(true)
        .set_recursion_desired(request.recursion_desired());
    let Some(q) = request.queries().first() else {
        response.set_response_code(ResponseCode::FormErr);
        return response;
    };
    response.add_query(q.clone());
    let qname = q.name().to_ascii().to_ascii_lowercase();
    log.lock()
        .expect("log lock")
        .push(format!("{qname} {}", q.query_type()));
    if qname.ends_with("broken.test.") {
        response.set_response_code(ResponseCode::ServFail);
        return response;
    }
    if let Some(rdatas) = zone.get(&(qname.clone(), q.query_type())) {
        for d in rdatas {
            response.add_answer(Record::from_rdata(q.name().clone(), 60, d.clone()));
        }
        return response;
    }
    let exists = zone.keys().any(|(n, _)| *n == qname);
    response.set_response_code(if exists {
        ResponseCode::NoError
    } else {
        ResponseCode::NXDomain
    });
    let apex = name(&qname).trim_to(2);
    let soa = SOA::new(
        name("ns.test."),
        name("hostmaster.test."),
        1,
        60,
        60,
        600,
        5,
    );
    response.add_name_server(Record::from_rdata(apex, 60, RData::SOA(soa)));
    response
}

fn resolver(server: &TestServer) -> Resolver<HickoryLookup, SequenceRng> {
    let lookup = HickoryLookup::with_nameservers(&[server.addr], Duration::from_secs(1));
    Resolver::with_locator(
        lookup,
        Locator::with_rng(Config::default(), SequenceRng::new([0])),
    )
}

fn pairs(targets: &Targets) -> Vec<(Transport, String)> {
    targets
        .as_slice()
        .iter()
        .map(|t| (t.transport(), t.addr().to_string()))
        .collect()
}

fn p(t: Transport, addr: &str) -> (Transport, String) {
    (t, addr.to_owned())
}

async fn resolve(
    r: &Resolver<HickoryLookup, SequenceRng>,
    uri: &str,
) -> Result<Targets, ResolveError> {
    r.resolve(&Uri::parse(uri).expect("test URI parses")).await
}

#[tokio::test(flavor = "current_thread")]
async fn naptr_srv_a_order_failover_and_cache() {
    let server = TestServer::start().await;
    let r = resolver(&server);
    let mut targets = resolve(&r, "sip:alice@example.test")
        .await
        .expect("resolves");
    assert_eq!(
        pairs(&targets),
        [
            p(Tls, "127.0.0.11:5061"),
            p(Tcp, "127.0.0.12:5060"),
            p(Tcp, "127.0.0.13:5060"),
            p(Udp, "127.0.0.14:5060"),
            p(Udp, "[::1]:5060"),
        ]
    );
    let questions = server.questions();
    assert_eq!(questions[0], "example.test. NAPTR");
    assert_eq!(questions.len(), 1 + 3 + 2 * 4, "{questions:?}");

    // RFC 3263 §4.3: each failure moves on and blacklists the failed target.
    let first = r.next_target(&mut targets).expect("first target");
    assert_eq!(first.host.as_deref(), Some("tls.example.test"));
    let second = r
        .report_failure(&mut targets, Failure::Transport)
        .expect("second");
    assert_eq!(second.addr(), "127.0.0.12:5060".parse().expect("addr"));
    let third = r
        .report_failure(
            &mut targets,
            Failure::ServiceUnavailable { retry_after: None },
        )
        .expect("third");
    assert_eq!(third.addr(), "127.0.0.13:5060".parse().expect("addr"));

    // The next request is served from the cache and skips the two blacklisted targets.
    server.clear();
    let mut again = resolve(&r, "sip:alice@example.test").await.expect("cached");
    assert!(server.questions().is_empty(), "{:?}", server.questions());
    let first = r.next_target(&mut again).expect("not blacklisted");
    assert_eq!(first.addr(), "127.0.0.13:5060".parse().expect("addr"));
    assert_eq!(r.with_locator_mut(|l| l.blacklist().len()), 2);

    // A sips URI keeps only the SIPS+D2T service.
    let sips = resolve(&r, "sips:alice@example.test")
        .await
        .expect("resolves");
    assert_eq!(pairs(&sips), [p(Tls, "127.0.0.11:5061")]);
}

#[tokio::test(flavor = "current_thread")]
async fn fallbacks_negative_cache_and_failures() {
    let server = TestServer::start().await;
    let r = resolver(&server);

    // No NAPTR: SRV for UDP, TCP and TLS; only UDP exists.
    let plain = resolve(&r, "sip:plain.test").await.expect("resolves");
    assert_eq!(pairs(&plain), [p(Udp, "127.0.0.21:5080")]);
    let q = server.questions();
    assert_eq!(
        q[..4],
        [
            "plain.test. NAPTR",
            "_sip._udp.plain.test. SRV",
            "_sip._tcp.plain.test. SRV",
            "_sips._tcp.plain.test. SRV"
        ]
    );

    // No NAPTR and no SRV: addresses on the default port.
    let bare = resolve(&r, "sip:bare.test").await.expect("resolves");
    assert_eq!(
        pairs(&bare),
        [p(Udp, "127.0.0.31:5060"), p(Udp, "[::1]:5060")]
    );

    // Explicit transport and port.
    let tcp = resolve(&r, "sip:bare.test:5090;transport=tcp")
        .await
        .expect("resolves");
    assert_eq!(
        pairs(&tcp),
        [p(Tcp, "127.0.0.31:5090"), p(Tcp, "[::1]:5090")]
    );

    // Nothing at all: NXDOMAIN, cached for the SOA's 5 s.
    assert_eq!(
        resolve(&r, "sip:nowhere.test").await,
        Err(ResolveError::NotFound("nowhere.test".into()))
    );
    server.clear();
    assert!(resolve(&r, "sip:nowhere.test").await.is_err());
    assert!(server.questions().is_empty(), "{:?}", server.questions());

    // SERVFAIL is a lookup failure, not cached.
    let err = resolve(&r, "sip:broken.test:5060")
        .await
        .expect_err("fails");
    assert!(
        matches!(
            &err,
            ResolveError::Lookup {
                error: LookupError::ServerFailure(_),
                ..
            }
        ),
        "{err:?}"
    );

    // Numeric hosts never reach DNS.
    server.clear();
    let direct = resolve(&r, "sips:127.0.0.40").await.expect("resolves");
    assert_eq!(pairs(&direct), [p(Tls, "127.0.0.40:5061")]);
    assert!(server.questions().is_empty());
}
