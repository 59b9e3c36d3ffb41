//! SIPVicious against the running server: `svmap` (scan), `svwar` (extension enumeration)
//! and `svcrack` (password guessing), as an attacker on the internet runs them.
//!
//! Every SIPVicious tool sends `User-Agent: friendly-scanner`, which `[security]
//! blocked_user_agents` bans at the first request, and banned sources get no answer at all.
//! So with the default settings the honest outcome is that svmap finds nothing and the
//! scanner's address is in `carillon bans`. Each default-settings test has a twin with
//! scanner blocking off (`blocked_user_agents = []`) showing what stops an attacker who
//! changes that one line of SIPVicious: svmap then does find the server (so the first test is
//! not vacuous), svwar still tells no user apart, and svcrack is locked out of the user after
//! five wrong passwords, while the real user on another address keeps registering.
//!
//! `svwar` and `svcrack` ignore their `-b` option (SIPVicious does not pass it on), so the
//! tools send from 127.0.0.1, the kernel's choice towards the server; the real users use
//! 127.0.0.2 and up. Needs `pip install sipvicious` in the suite's Python (`scripts/test.sh`).

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/traffic.rs"]
mod traffic;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::client::{Ua, poll, text};
use common::{Proc, Server, TempDir, python};
use traffic::ping_from;

/// The address SIPVicious sends from (see the module comment).
const ATTACKER: &str = "127.0.0.1";
/// Where the real users are.
const LEGIT: &str = "127.0.0.2";
/// Bans reach the store within one housekeeping period (5 s); some slack for a busy machine.
const SAVED: Duration = Duration::from_secs(12);
const TOOL_LIMIT: Duration = Duration::from_secs(90);

fn server(dir: &Path, block_scanners: bool) -> Server {
    if block_scanners {
        return Server::start(dir);
    }
    let config = dir.join("carillon.toml");
    std::fs::write(&config, "[security]\nblocked_user_agents = []\n").unwrap();
    Server::start_with(dir, &["--config", config.to_str().unwrap()])
}

/// Runs `python -m sipvicious.TOOL ARGS` to the end; returns its exit code and output.
fn sipvicious(py: &Path, dir: &Path, tool: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut cmd = Command::new(py);
    cmd.arg("-m").arg(format!("sipvicious.{tool}")).args(args);
    let mut p = Proc::spawn(tool, cmd, dir);
    let status = p
        .wait(TOOL_LIMIT)
        .unwrap_or_else(|| panic!("{tool} did not end:\n{}", p.output()));
    (status.code(), p.output())
}

fn tools(test: &str) -> Option<PathBuf> {
    python(test, &["sipvicious"])
}

/// `carillon bans` once it lists `line` (bans are saved every 5 s).
fn wait_ban(server: &Server, line: &str) -> String {
    let mut last = String::new();
    poll(SAVED, || {
        last = server.cli(&["bans"]);
        last.lines().any(|l| l.starts_with(line)).then_some(())
    })
    .unwrap_or_else(|| panic!("`carillon bans` never listed `{line}`:\n{last}"));
    last
}

fn add_users(server: &Server, users: &[&str]) {
    for u in users {
        server.add_user(&format!("{u}@127.0.0.1"), &format!("secret{u}"));
    }
}

/// The real user registers from another address while the attacker is banned or locked out.
fn real_user_registers(server: &Server, user: &str) {
    let mut ua = Ua::udp_on(LEGIT, server.port, user, &format!("secret{user}"));
    let contact = format!("<{}>", ua.own_contact());
    ua.register_ok(&[&contact], Some(600));
}

#[test]
fn svmap_gets_no_answer_and_its_address_is_banned_as_a_scanner() {
    let test = "svmap_gets_no_answer_and_its_address_is_banned_as_a_scanner";
    let Some(py) = tools(test) else { return };
    let dir = TempDir::new(test);
    let server = server(dir.path(), true);
    add_users(&server, &["100"]);
    let port = server.port.to_string();
    let (_, out) = sipvicious(
        &py,
        dir.path(),
        "svmap",
        &["-b", ATTACKER, "-p", &port, "127.0.0.1"],
    );
    assert!(
        out.contains("found nothing") && !out.contains(&format!("127.0.0.1:{port}")),
        "svmap saw the server:\n{out}"
    );
    assert!(server.metric("carillon_bans_total").unwrap() >= 1.0);
    wait_ban(&server, &format!("{ATTACKER}  scanner_user_agent"));
    // Only the scanner's address is shut out.
    assert_eq!(
        ping_from(LEGIT, server.port).as_deref(),
        Some("SIP/2.0 200 OK")
    );
    real_user_registers(&server, "100");
}

#[test]
fn svmap_finds_the_server_when_scanner_blocking_is_off() {
    let test = "svmap_finds_the_server_when_scanner_blocking_is_off";
    let Some(py) = tools(test) else { return };
    let dir = TempDir::new(test);
    let server = server(dir.path(), false);
    let port = server.port.to_string();
    let (code, out) = sipvicious(
        &py,
        dir.path(),
        "svmap",
        &["-b", ATTACKER, "-p", &port, "127.0.0.1"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("127.0.0.1:{port}")) && out.contains("Carillon"),
        "svmap did not find the server:\n{out}"
    );
    assert_eq!(server.metric("carillon_bans_total"), Some(0.0));
}

/// svwar reports an extension when its answer differs from the answer to an extension that
/// cannot exist; it must report none of the real ones.
fn assert_svwar_found_nothing(out: &str, users: &[&str]) {
    assert!(
        out.contains("found nothing"),
        "svwar reported something:\n{out}"
    );
    for u in users {
        assert!(
            !out.contains(&format!("extension '{u}'")) && !out.contains(&format!("| {u} ")),
            "svwar enumerated {u}:\n{out}"
        );
    }
}

#[test]
fn svwar_enumerates_no_user_and_is_banned_as_a_scanner() {
    let test = "svwar_enumerates_no_user_and_is_banned_as_a_scanner";
    let Some(py) = tools(test) else { return };
    let dir = TempDir::new(test);
    let server = server(dir.path(), true);
    let users = ["100", "101", "105"];
    add_users(&server, &users);
    let port = server.port.to_string();
    // Its default method (REGISTER) over a range holding the real extensions.
    let (_, out) = sipvicious(
        &py,
        dir.path(),
        "svwar",
        &["-p", &port, "-e", "95-110", "127.0.0.1"],
    );
    assert_svwar_found_nothing(&out, &users);
    wait_ban(&server, &format!("{ATTACKER}  scanner_user_agent"));
    real_user_registers(&server, "101");
}

#[test]
fn svwar_without_scanner_user_agent_still_enumerates_no_user() {
    let test = "svwar_without_scanner_user_agent_still_enumerates_no_user";
    let Some(py) = tools(test) else { return };
    let dir = TempDir::new(test);
    let server = server(dir.path(), false);
    let users = ["100", "101", "105"];
    add_users(&server, &users);
    let port = server.port.to_string();
    for method in [None, Some("INVITE"), Some("OPTIONS")] {
        let mut args = vec!["-p", port.as_str(), "-e", "95-110"];
        if let Some(m) = method {
            args.extend(["-m", m]);
        }
        args.push("127.0.0.1");
        let (_, plain) = sipvicious(&py, dir.path(), "svwar", &args);
        assert_svwar_found_nothing(&plain, &users);
        args.insert(0, "--force");
        let (_, forced) = sipvicious(&py, dir.path(), "svwar", &args);
        assert_svwar_found_nothing(&forced, &users);
    }

    // What svwar compares, checked for every extension rather than the few svwar gets to
    // before giving up: the first line and the header names of the answer to a REGISTER.
    let shape = |user: &str| {
        let mut ua = Ua::udp_on(LEGIT, server.port, user, "guess");
        let req = ua.register_request();
        ua.send(&req);
        let resp = ua
            .final_response(&req, Duration::from_secs(5))
            .expect("an answer");
        let t = text(&resp);
        let names: Vec<String> = t
            .lines()
            .skip(1)
            .filter_map(|l| l.split(':').next())
            .map(str::to_ascii_lowercase)
            .collect();
        (resp.status(), resp.reason().to_vec(), names)
    };
    let unknown = shape("999");
    for u in users {
        assert_eq!(shape(u), unknown, "user {u} answers unlike an unknown user");
    }
    assert_eq!(server.metric("carillon_bans_total"), Some(0.0));
}

/// 30 guesses with the right password tenth: past the lockout (5), before the spray ban (20).
fn dictionary(dir: &Path, user: &str) -> PathBuf {
    let words: Vec<String> = (1..=30)
        .map(|i| {
            if i == 10 {
                format!("secret{user}")
            } else {
                format!("guess{i}")
            }
        })
        .collect();
    let path = dir.join("passwords.txt");
    std::fs::write(&path, words.join("\n") + "\n").unwrap();
    path
}

fn assert_not_cracked(out: &str) {
    assert!(
        !out.contains("The password for") && !out.contains("secret100"),
        "svcrack found the password:\n{out}"
    );
}

#[test]
fn svcrack_is_banned_before_twenty_passwords_while_the_real_user_registers() {
    let test = "svcrack_is_banned_before_twenty_passwords_while_the_real_user_registers";
    let Some(py) = tools(test) else { return };
    let dir = TempDir::new(test);
    let server = server(dir.path(), true);
    add_users(&server, &["100"]);
    let dict = dictionary(dir.path(), "100");
    let port = server.port.to_string();
    let (_, out) = sipvicious(
        &py,
        dir.path(),
        "svcrack",
        &[
            "-p",
            &port,
            "-u",
            "100",
            "-d",
            dict.to_str().unwrap(),
            "127.0.0.1",
        ],
    );
    assert_not_cracked(&out);
    let tried = server.metric("carillon_auth_failures_total").unwrap();
    assert!(tried < 20.0, "the server checked {tried} passwords");
    wait_ban(&server, ATTACKER);
    real_user_registers(&server, "100");
}

#[test]
fn svcrack_without_scanner_user_agent_is_locked_out_after_five_passwords() {
    let test = "svcrack_without_scanner_user_agent_is_locked_out_after_five_passwords";
    let Some(py) = tools(test) else { return };
    let dir = TempDir::new(test);
    let server = server(dir.path(), false);
    add_users(&server, &["100"]);
    let dict = dictionary(dir.path(), "100");
    let port = server.port.to_string();
    let (_, out) = sipvicious(
        &py,
        dir.path(),
        "svcrack",
        &[
            "-p",
            &port,
            "-u",
            "100",
            "-d",
            dict.to_str().unwrap(),
            "127.0.0.1",
        ],
    );
    // The right password came tenth, after the lockout: answered like a wrong one.
    assert_not_cracked(&out);
    // Passwords actually checked: the server logs each one that failed verification;
    // attempts on a locked-out pair are refused without looking (and counted in
    // carillon_auth_failures_total, which therefore counts every refused credential).
    let log = server.proc.output();
    let checked = log
        .lines()
        .filter(|l| l.contains("authentication failed") && l.contains("user=100"))
        .count();
    assert!(
        (1..20).contains(&checked),
        "{checked} passwords checked:\n{log}"
    );
    let refused = server.metric("carillon_auth_failures_total").unwrap();
    assert!(refused >= checked as f64, "{refused} < {checked}");
    wait_ban(&server, &format!("100@{ATTACKER}  auth_failures"));
    real_user_registers(&server, "100");
}
