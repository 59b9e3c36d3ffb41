//! SIPp registers users through digest authentication (401, then REGISTER with
//! Authorization, then 200), over UDP and TCP; wrong passwords are refused.

mod common;

use std::time::Duration;

use common::{Proc, Server, TempDir, free_port, injection, sipp, sipp_cmd, sipp_counter};

const LIMIT: Duration = Duration::from_secs(60);

fn register_with_digest(tcp: bool) {
    let test = format!(
        "sipp_registers_with_digest_over_{}",
        if tcp { "tcp" } else { "udp" }
    );
    let Some(sipp) = sipp(&test) else { return };
    let dir = TempDir::new(&test);
    let server = Server::start(dir.path());
    let users: Vec<Vec<String>> = (0..20)
        .map(|i| vec![format!("user{i}"), "127.0.0.1".into(), format!("pw-{i}")])
        .collect();
    for u in &users {
        server.add_user(&format!("{}@{}", u[0], u[1]), &u[2]);
    }
    let inf = injection(dir.path(), "users.csv", &users);
    let mut cmd = sipp_cmd(&sipp, "register.xml", server.port, free_port(), tcp);
    cmd.arg("-inf").arg(&inf).args(["-m", "20", "-r", "50"]);
    let mut peer = Proc::spawn("sipp", cmd, dir.path());
    let (out, _) = peer.expect_success(LIMIT);
    assert_eq!(sipp_counter(&out, "Successful call"), Some(20), "{out}");
    assert_eq!(sipp_counter(&out, "Failed call"), Some(0), "{out}");

    let listing = server.cli(&["registrations"]);
    assert!(listing.starts_with("20 registered contact(s)"), "{listing}");
    for u in &users {
        assert!(
            listing.contains(&format!("sip:{}@127.0.0.1 ", u[0])),
            "{listing}"
        );
    }
    assert_eq!(server.metric("carillon_registered_contacts"), Some(20.0));
    // One challenge per registration, and no failures.
    assert_eq!(server.metric("carillon_auth_challenges_total"), Some(20.0));
    assert_eq!(server.metric("carillon_auth_failures_total"), Some(0.0));
}

#[test]
fn sipp_registers_with_digest_over_udp() {
    register_with_digest(false);
}

#[test]
fn sipp_registers_with_digest_over_tcp() {
    register_with_digest(true);
}

#[test]
fn sipp_register_with_wrong_password_is_refused() {
    let test = "sipp_register_with_wrong_password_is_refused";
    let Some(sipp) = sipp(test) else { return };
    let dir = TempDir::new(test);
    let server = Server::start(dir.path());
    server.add_user("alice@127.0.0.1", "right");
    let inf = injection(
        dir.path(),
        "users.csv",
        &[vec!["alice".into(), "127.0.0.1".into(), "wrong".into()]],
    );
    let mut cmd = sipp_cmd(&sipp, "register.xml", server.port, free_port(), false);
    cmd.arg("-inf")
        .arg(&inf)
        .args(["-m", "1", "-timeout", "5s"]);
    let mut peer = Proc::spawn("sipp", cmd, dir.path());
    let status = peer.wait(LIMIT).expect("sipp ends");
    assert!(
        !status.success(),
        "a wrong password registered:\n{}",
        peer.output()
    );
    assert_eq!(sipp_counter(&peer.stdout(), "Successful call"), Some(0));
    let listing = server.cli(&["registrations"]);
    assert!(listing.starts_with("0 registered contact(s)"), "{listing}");
    assert_eq!(server.metric("carillon_auth_failures_total"), Some(1.0));
}
