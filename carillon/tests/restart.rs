//! Durability: 1,000 users register through SIPp (digest authentication), the server is
//! killed with SIGKILL right after the last 200 OK, and the restarted server has every
//! binding, answers at once, and routes to them.

mod common;

use std::time::Duration;

use common::{Proc, Server, TempDir, free_port, injection, sipp, sipp_cmd, sipp_counter};

const USERS: usize = 1000;

#[test]
fn thousand_bindings_survive_kill_9() {
    let test = "thousand_bindings_survive_kill_9";
    let Some(sipp) = sipp(test) else { return };
    let dir = TempDir::new(test);
    // One SIPp address sends every REGISTER here, at 500 requests/s: not what the per-address
    // rate limit is for, and not what this test is about.
    let config = dir.path().join("carillon.toml");
    std::fs::write(&config, "[security]\nrate_limit = 0\n").expect("config");
    let mut server = Server::start_with(dir.path(), &["--config", config.to_str().expect("path")]);
    let users: Vec<Vec<String>> = (0..USERS)
        .map(|i| vec![format!("u{i:04}"), "127.0.0.1".into(), format!("secret{i}")])
        .collect();
    let list: String = users
        .iter()
        .map(|u| format!("{}@{} {}\n", u[0], u[1], u[2]))
        .collect();
    let list_file = dir.path().join("users.txt");
    std::fs::write(&list_file, list).expect("write user list");
    server.cli(&["user", "import", list_file.to_str().expect("utf-8 path")]);
    let inf = injection(dir.path(), "users.csv", &users);

    let mut cmd = sipp_cmd(&sipp, "register.xml", server.port, free_port(), false);
    cmd.arg("-inf")
        .arg(&inf)
        .args(["-m", &USERS.to_string(), "-r", "250", "-l", "100"]);
    let mut peer = Proc::spawn("sipp", cmd, dir.path());
    let (out, took) = peer.expect_success(Duration::from_secs(120));
    // SIPp has exited: its last 200 OK has been received. Kill the server at once.
    server.kill9();
    assert_eq!(
        sipp_counter(&out, "Successful call"),
        Some(USERS as u64),
        "{out}"
    );
    println!("{USERS} registrations in {took:.2?}");

    let restart = server.crash_and_restart();
    println!("restarted and listening in {restart:.2?}");
    assert!(restart < Duration::from_secs(2), "restart took {restart:?}");
    assert_eq!(
        server.ping().as_deref(),
        Some("SIP/2.0 200 OK"),
        "the restarted server does not answer OPTIONS"
    );
    let listing = server.cli(&["registrations"]);
    assert!(
        listing.starts_with(&format!("{USERS} registered contact(s)")),
        "{}",
        &listing[..listing.len().min(2000)]
    );
    for u in &users {
        assert!(
            listing.contains(&format!("sip:{}@127.0.0.1 ", u[0])),
            "{} lost",
            u[0]
        );
    }
    assert_eq!(
        server.metric("carillon_registered_contacts"),
        Some(USERS as f64)
    );
}
