//! A SIPp OPTIONS flood, then an INVITE flood, each from one address and far above the
//! default rate limit (200 requests per 2 s), is banned within 2 s, while 100 real users,
//! each on its own loopback address, register and send MESSAGEs all along with at least
//! 99.9 % success (every transaction a 2xx).
//!
//! The real users retransmit over UDP as any SIP client does (RFC 3261 §17.1.2.2): a
//! datagram lost in a socket buffer during the flood is not a failure, a request the server
//! refuses or never answers is.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/traffic.rs"]
mod traffic;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::client::Ua;
use common::{Proc, Server, TempDir, free_port, scenarios, sipp};
use traffic::{ping_from, transact_authenticated};

const USERS: usize = 100;
/// Each flood: SIPp's rate, and how many requests it sends (3 s worth).
const FLOOD_RATE: u32 = 2000;
const FLOOD_COUNT: u32 = 6000;
/// How long one transaction of a real user may take, retransmissions included.
const TRANSACTION: Duration = Duration::from_secs(8);

/// Outcome of the real users' traffic.
#[derive(Default)]
struct Tally {
    ok: u64,
    failures: Vec<String>,
}

/// One real user on 127.0.0.`10 + i`: registers, then sends a MESSAGE to `sink` every
/// 200 ms until `stop`.
fn real_user(port: u16, i: usize, stop: Arc<AtomicBool>) -> Tally {
    let ip = format!("127.0.0.{}", 10 + i);
    let user = format!("user{i}");
    let mut ua = Ua::udp_on(&ip, port, &user, &format!("pw-{i}"));
    let mut tally = Tally::default();
    let mut record = |what: String, resp: Option<sip_message::Response>| match resp {
        Some(r) if (200..300).contains(&r.status()) => tally.ok += 1,
        Some(r) => tally.failures.push(format!("{what}: {}", r.status())),
        None => tally.failures.push(format!("{what}: no answer")),
    };
    let contact = format!("<{}>", ua.own_contact());
    let reg = ua
        .register_request()
        .header("Contact", contact)
        .header("Expires", "600");
    let resp = transact_authenticated(&mut ua, reg, TRANSACTION);
    record(format!("{user} REGISTER"), resp);
    let sink = "sip:sink@127.0.0.1";
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let m = ua
            .request("MESSAGE", sink, sink)
            .header("Content-Type", "text/plain")
            .body(format!("{user} message {n}"));
        let resp = transact_authenticated(&mut ua, m, TRANSACTION);
        record(format!("{user} MESSAGE {n}"), resp);
        thread::sleep(Duration::from_millis(200));
    }
    tally
}

/// The recipient of every MESSAGE, on 127.0.0.5, answering 200 until `stop`.
fn sink(port: u16, stop: Arc<AtomicBool>) -> thread::JoinHandle<u64> {
    let mut ua = Ua::udp_on("127.0.0.5", port, "sink", "pw-sink");
    let contact = format!("<{}>", ua.own_contact());
    ua.register_ok(&[&contact], Some(600));
    thread::spawn(move || {
        let mut answered = 0;
        while !stop.load(Ordering::Relaxed) {
            if let Some(r) = ua.wait_request("MESSAGE", Duration::from_millis(100)) {
                ua.respond(&r, 200, "OK");
                answered += 1;
            }
        }
        answered
    })
}

/// SIPp sending `scenario` from `ip` at the flood rate.
fn flood(sipp: &Path, dir: &Path, scenario: &str, ip: &str, server_port: u16) -> Proc {
    let mut cmd = Command::new(sipp);
    cmd.arg("-sf")
        .arg(scenarios().join(scenario))
        .args(["-i", ip, "-p"])
        .arg(free_port().to_string())
        .arg("-mp")
        .arg(free_port().to_string())
        .args(["-nostdin", "-t", "u1", "-s", "nobody"])
        .args([
            "-r",
            &FLOOD_RATE.to_string(),
            "-m",
            &FLOOD_COUNT.to_string(),
        ])
        .args(["-timeout", "20s"])
        .arg(format!("127.0.0.1:{server_port}"));
    Proc::spawn(&format!("sipp-{scenario}"), cmd, dir)
}

/// Starts a flood and returns how long it took until `carillon_bans_total` reached `bans`.
fn time_to_ban(
    server: &Server,
    sipp: &Path,
    dir: &Path,
    scenario: &str,
    ip: &str,
    bans: f64,
) -> Duration {
    let start = Instant::now();
    let mut proc = flood(sipp, dir, scenario, ip, server.port);
    let banned = common::client::poll(Duration::from_secs(10), || {
        (server.metric("carillon_bans_total").unwrap_or(0.0) >= bans).then(|| start.elapsed())
    });
    let _ = proc.wait(Duration::from_secs(20));
    banned.unwrap_or_else(|| panic!("{scenario} from {ip} not banned:\n{}", proc.output()))
}

#[test]
fn floods_are_banned_within_two_seconds_while_real_users_keep_working() {
    let test = "floods_are_banned_within_two_seconds_while_real_users_keep_working";
    let Some(sipp) = sipp(test) else { return };
    let dir = TempDir::new(test);
    let config = dir.path().join("carillon.toml");
    // Keep-alive OPTIONS to the real users' sockets would go unanswered; not what is tested.
    std::fs::write(&config, "[nat]\nkeepalive_interval = 0\n").unwrap();
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]);
    let mut lines = vec!["sink@127.0.0.1 pw-sink".to_owned()];
    lines.extend((0..USERS).map(|i| format!("user{i}@127.0.0.1 pw-{i}")));
    let list = dir.path().join("users.txt");
    std::fs::write(&list, lines.join("\n")).unwrap();
    server.cli(&["user", "import", list.to_str().unwrap()]);

    let stop = Arc::new(AtomicBool::new(false));
    let sink = sink(server.port, stop.clone());
    let users_stop = Arc::new(AtomicBool::new(false));
    let users: Vec<_> = (0..USERS)
        .map(|i| {
            let stop = users_stop.clone();
            let port = server.port;
            thread::spawn(move || real_user(port, i, stop))
        })
        .collect();
    // Let every user register and start sending before the floods.
    common::client::poll(Duration::from_secs(15), || {
        (server.metric("carillon_registered_contacts")? >= (USERS + 1) as f64).then_some(())
    })
    .expect("the real users registered");

    let options_ban = time_to_ban(
        &server,
        &sipp,
        dir.path(),
        "options_flood.xml",
        "127.0.0.9",
        1.0,
    );
    let invite_ban = time_to_ban(
        &server,
        &sipp,
        dir.path(),
        "invite_flood.xml",
        "127.0.0.8",
        2.0,
    );

    users_stop.store(true, Ordering::Relaxed);
    let mut ok = 0;
    let mut failures = Vec::new();
    for u in users {
        let t = u.join().expect("a real user thread");
        ok += t.ok;
        failures.extend(t.failures);
    }
    stop.store(true, Ordering::Relaxed);
    let delivered = sink.join().expect("sink thread");
    let total = ok + failures.len() as u64;
    let success = ok as f64 / total as f64;
    eprintln!(
        "ban after {options_ban:?} (OPTIONS flood), {invite_ban:?} (INVITE flood); real users: \
         {ok}/{total} transactions succeeded ({:.3} %), {delivered} MESSAGEs answered by the sink",
        success * 100.0
    );
    assert!(
        options_ban <= Duration::from_secs(2),
        "OPTIONS flood banned after {options_ban:?}"
    );
    assert!(
        invite_ban <= Duration::from_secs(2),
        "INVITE flood banned after {invite_ban:?}"
    );
    assert!(total >= 1000, "too little real traffic to measure: {total}");
    assert!(
        success >= 0.999,
        "{:.3} % success; failures:\n{}",
        success * 100.0,
        failures.join("\n")
    );

    // The two flooders are banned for flooding, nobody else; the server still serves.
    let mut listing = String::new();
    common::client::poll(Duration::from_secs(12), || {
        listing = server.cli(&["bans"]);
        listing.starts_with("2 ban(s)").then_some(())
    })
    .unwrap_or_else(|| panic!("bans not saved:\n{listing}"));
    for ip in ["127.0.0.9", "127.0.0.8"] {
        assert!(
            listing.contains(&format!("{ip}  rate_limit")),
            "{ip} not banned for its rate:\n{listing}"
        );
    }
    assert!(server.metric("carillon_requests_dropped_total").unwrap() > 0.0);
    assert_eq!(
        ping_from("127.0.0.2", server.port).as_deref(),
        Some("SIP/2.0 200 OK")
    );
}
