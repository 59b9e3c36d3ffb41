//! `kill -9` in the middle of a REGISTER and MESSAGE load: SIPp registers users with digest
//! authentication at a few hundred a second while a client sends MESSAGEs to users who are
//! not registered (stored, answered 202). After the restart every registration that got its
//! 200 is listed by `carillon registrations`, every MESSAGE that got its 202 is delivered when
//! its recipient registers, and the restarted server answered within 2 s.
//!
//! What counts as acknowledged is what the clients saw: SIPp's message trace (`-trace_msg`)
//! for the 200s, the MESSAGE client's own record for the 202s. A response the server sent
//! but the client never read is not counted, which only makes the check weaker, never wrong.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/traffic.rs"]
mod traffic;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::client::{Ua, poll};
use common::{Proc, Server, TempDir, free_port, injection, sipp, sipp_cmd};
use traffic::{ping_from, transact_authenticated};

const USERS: usize = 3000;
const REGISTER_RATE: u32 = 300;
/// Recipients of the MESSAGEs: enough that none reaches its stored-message cap (100).
const INBOXES: usize = 40;
/// How long the load runs before the kill.
const LOAD: Duration = Duration::from_secs(3);
const RESTART_LIMIT: Duration = Duration::from_secs(2);

/// Sends MESSAGEs from `sender` to the inbox users in turn, each with a unique body, until
/// `stop` or until the server stops answering; returns the bodies answered 202, by inbox.
fn send_messages(port: u16, stop: Arc<AtomicBool>) -> BTreeMap<String, BTreeSet<String>> {
    let mut ua = Ua::udp_on("127.0.0.2", port, "sender", "pw-sender");
    let mut acked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let inbox = format!("inbox{}", n % INBOXES);
        let uri = format!("sip:{inbox}@127.0.0.1");
        let body = format!("message {n} for {inbox}");
        n += 1;
        let m = ua
            .request("MESSAGE", &uri, &uri)
            .header("Content-Type", "text/plain")
            .body(body.clone());
        match transact_authenticated(&mut ua, m, Duration::from_secs(2)) {
            Some(r) if r.status() == 202 => {
                acked.entry(inbox).or_default().insert(body);
            }
            Some(r) => panic!("MESSAGE {n} answered {} before the kill", r.status()),
            // The server is gone.
            None => break,
        }
    }
    acked
}

/// The users whose REGISTER got a 200, from SIPp's message trace.
fn registered_in_trace(dir: &Path) -> BTreeSet<String> {
    let mut users = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with("_messages.log") {
            continue;
        }
        let trace = std::fs::read_to_string(e.path()).unwrap();
        for block in trace.split("message received") {
            let mut lines = block.lines().skip_while(|l| !l.starts_with("SIP/2.0"));
            if lines.next().is_none_or(|l| !l.starts_with("SIP/2.0 200")) {
                continue;
            }
            let to = lines.find(|l| {
                let l = l.to_ascii_lowercase();
                l.starts_with("to:") || l.starts_with("t:")
            });
            if let Some(user) = to
                .and_then(|l| l.split("sip:").nth(1))
                .and_then(|r| r.split('@').next())
            {
                users.insert(user.to_owned());
            }
        }
    }
    users
}

#[test]
fn acknowledged_registrations_and_messages_survive_kill_9_under_load() {
    let test = "acknowledged_registrations_and_messages_survive_kill_9_under_load";
    let Some(sipp) = sipp(test) else { return };
    let dir = TempDir::new(test);
    let config = dir.path().join("carillon.toml");
    // All the registrations come from one SIPp at hundreds a second (it stands for many
    // phones): the per-address rate limit would ban it.
    std::fs::write(
        &config,
        "[security]\nrate_limit = 0\n[nat]\nkeepalive_interval = 0\n",
    )
    .unwrap();
    let mut server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]);
    let users: Vec<Vec<String>> = (0..USERS)
        .map(|i| vec![format!("user{i}"), "127.0.0.1".into(), format!("pw-{i}")])
        .collect();
    let mut lines: Vec<String> = users
        .iter()
        .map(|u| format!("{}@{} {}", u[0], u[1], u[2]))
        .collect();
    lines.push("sender@127.0.0.1 pw-sender".into());
    lines.extend((0..INBOXES).map(|i| format!("inbox{i}@127.0.0.1 pw-inbox{i}")));
    let list = dir.path().join("users.txt");
    std::fs::write(&list, lines.join("\n")).unwrap();
    server.cli(&["user", "import", list.to_str().unwrap()]);
    let inf = injection(dir.path(), "users.csv", &users);

    let mut cmd: Command = sipp_cmd(&sipp, "register.xml", server.port, free_port(), false);
    cmd.arg("-inf")
        .arg(&inf)
        .args(["-m", &USERS.to_string(), "-r", &REGISTER_RATE.to_string()])
        .args(["-trace_msg", "-max_recv_loops", "1000"]);
    let mut registrar_load = Proc::spawn("sipp-register", cmd, dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (port, stop) = (server.port, stop.clone());
        thread::spawn(move || send_messages(port, stop))
    };

    // Kill in the middle of the load, once both kinds of work are acknowledged.
    let started = Instant::now();
    poll(LOAD * 3, || {
        let regs = server.metric("carillon_registered_contacts")?;
        let stored = server.metric("carillon_messages_stored_total")?;
        (started.elapsed() >= LOAD && regs > 0.0 && stored > 0.0).then_some(())
    })
    .expect("load under way");
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    let acked_messages = sender.join().unwrap();
    if registrar_load.try_wait().ok().flatten().is_none() {
        let _ = Command::new("kill")
            .args(["-TERM", &registrar_load.id().to_string()])
            .status();
    }
    registrar_load
        .wait(Duration::from_secs(10))
        .expect("SIPp ends");
    let acked_registrations = registered_in_trace(dir.path());
    assert!(
        !acked_registrations.is_empty() && acked_registrations.len() < USERS,
        "the kill did not land during the registrations: {} acknowledged",
        acked_registrations.len()
    );

    let restart = Instant::now();
    let listening = server.crash_and_restart();
    let answered = poll(RESTART_LIMIT, || {
        (ping_from("127.0.0.4", server.port).as_deref() == Some("SIP/2.0 200 OK"))
            .then(|| restart.elapsed())
    });
    eprintln!(
        "{} registrations and {} MESSAGEs acknowledged before the kill; restarted server \
         listening after {listening:?}, answering after {answered:?}",
        acked_registrations.len(),
        acked_messages.values().map(BTreeSet::len).sum::<usize>()
    );
    assert!(
        answered.is_some_and(|t| t <= RESTART_LIMIT),
        "restarted server not answering within {RESTART_LIMIT:?} (listening after {listening:?})"
    );

    let listing = server.cli(&["registrations"]);
    let lost: Vec<&String> = acked_registrations
        .iter()
        .filter(|u| !listing.contains(&format!("sip:{u}@127.0.0.1 ")))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged registrations lost: {lost:?}",
        lost.len()
    );

    // Every acknowledged message reaches its recipient once it registers.
    for i in 0..INBOXES {
        let inbox = format!("inbox{i}");
        let want = acked_messages.get(&inbox).cloned().unwrap_or_default();
        let mut ua = Ua::udp_on("127.0.0.3", server.port, &inbox, &format!("pw-{inbox}"));
        let contact = format!("<{}>", ua.own_contact());
        ua.register_ok(&[&contact], Some(600));
        let mut got = BTreeSet::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !want.is_subset(&got) && Instant::now() < deadline {
            if let Some(m) = ua.wait_request("MESSAGE", Duration::from_millis(500)) {
                got.insert(String::from_utf8_lossy(m.request().body()).into_owned());
                ua.respond(&m, 200, "OK");
            }
        }
        let missing: Vec<_> = want.difference(&got).collect();
        assert!(
            missing.is_empty(),
            "{inbox}: {} of {} acknowledged messages not delivered: {missing:?}",
            missing.len(),
            want.len()
        );
    }
}
