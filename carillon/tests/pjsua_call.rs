//! PJSIP (pjsua2) phones through the server: bob registers with SHA-256 digest, alice with
//! MD5 (the server offers MD5 then SHA-256; PJSIP given the password picks SHA-256, alice's
//! PJSIP holds only an MD5 HA1), alice calls bob, bob answers, audio flows directly between the two phones, alice
//! hangs up. Over UDP, TCP and TLS (the server's certificate verified by the phones).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Pki, Proc, Server, TempDir, free_port, python, workspace};

const LIMIT: Duration = Duration::from_secs(60);

/// Both digest algorithms offered (only MD5 by default).
const BOTH: &str = "[auth]\nalgorithms = [\"MD5\", \"SHA-256\"]\n";

fn phone(
    py: &std::path::Path,
    mode: &str,
    server: &str,
    user: &str,
    algo: &str,
    transport: &str,
    ca: Option<&std::path::Path>,
) -> Command {
    let mut cmd = Command::new(py);
    cmd.arg(workspace().join("tests/interop/pjsua_phone.py"))
        .arg(mode)
        .args(["--server", server, "--user", user])
        .args(["--password", &format!("{user}-secret")])
        .args(["--algo", algo, "--transport", transport])
        .arg("--port")
        .arg(free_port().to_string());
    if mode == "call" {
        cmd.args(["--target", "bob"]);
    }
    if let Some(ca) = ca {
        cmd.arg("--ca").arg(ca);
    }
    cmd
}

/// Waits until `proc` printed `line` on its standard output.
fn wait_for_line(proc: &mut Proc, line: &str, timeout: Duration) {
    let end = Instant::now() + timeout;
    while !proc.stdout().lines().any(|l| l == line) {
        if let Ok(Some(_)) | Err(_) = proc.try_wait() {
            panic!(
                "{} ended before printing {line}\n{}",
                proc.name,
                proc.output()
            );
        }
        assert!(
            Instant::now() < end,
            "{} never printed {line}\n{}",
            proc.name,
            proc.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The `MEDIA local=.. remote=.. rx=..` line of a phone: (local, remote, packets).
fn media(stdout: &str) -> (String, String, u64) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("MEDIA "))
        .unwrap_or_else(|| panic!("no MEDIA line in\n{stdout}"));
    let field = |k: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .unwrap_or_default()
            .to_owned()
    };
    (
        field("local="),
        field("remote="),
        field("rx=").parse().unwrap_or(0),
    )
}

fn call(transport: &str) {
    let test = format!("pjsua_phones_call_through_server_over_{transport}");
    let Some(py) = python(&test, &["pjsua2"]) else {
        return;
    };
    let dir = TempDir::new(&test);
    let (server, target, ca) = if transport == "tls" {
        let pki = Pki::new(dir.path());
        let tls_port = free_port();
        let config = dir.path().join("carillon.toml");
        std::fs::write(
            &config,
            format!(
                "{BOTH}[tls]\ncertificate = \"{}\"\nprivate_key = \"{}\"\n",
                pki.cert.display(),
                pki.key.display()
            ),
        )
        .expect("config");
        let listen = format!("tls:127.0.0.1:{tls_port}");
        let mut server = Server::start_with(
            dir.path(),
            &[
                "--config",
                config.to_str().expect("path"),
                "--listen",
                &listen,
            ],
        );
        common::wait_listening(false, tls_port, common::READY, &mut server.proc);
        (server, format!("127.0.0.1:{tls_port}"), Some(pki.ca))
    } else {
        let config = dir.path().join("carillon.toml");
        std::fs::write(&config, BOTH).expect("config");
        let server = Server::start_with(dir.path(), &["--config", config.to_str().expect("path")]);
        let target = format!("127.0.0.1:{}", server.port);
        (server, target, None)
    };
    server.add_user("alice@127.0.0.1", "alice-secret");
    server.add_user("bob@127.0.0.1", "bob-secret");

    let mut bob = Proc::spawn(
        "bob",
        phone(
            &py,
            "answer",
            &target,
            "bob",
            "sha256",
            transport,
            ca.as_deref(),
        ),
        dir.path(),
    );
    wait_for_line(&mut bob, "REGISTERED", Duration::from_secs(20));
    let mut alice = Proc::spawn(
        "alice",
        phone(
            &py,
            "call",
            &target,
            "alice",
            "md5",
            transport,
            ca.as_deref(),
        ),
        dir.path(),
    );
    let (alice_out, bob_out, took) = common::expect_both(&mut alice, &mut bob, LIMIT);
    let (a_local, a_remote, a_rx) = media(&alice_out);
    let (b_local, b_remote, b_rx) = media(&bob_out);
    assert!(
        a_rx > 0 && b_rx > 0,
        "no audio: alice rx={a_rx} bob rx={b_rx}"
    );
    // Directly between the phones: each sends to the other's media address.
    assert_eq!(
        a_remote, b_local,
        "alice's RTP does not go to bob\n{alice_out}\n{bob_out}"
    );
    assert_eq!(
        b_remote, a_local,
        "bob's RTP does not go to alice\n{alice_out}\n{bob_out}"
    );
    let metrics = server.metrics_text();
    // Both algorithms verified at least once (each phone registers, alice also for INVITE).
    for algo in ["MD5", "SHA-256"] {
        let key = format!("carillon_auth_successes_total{{algorithm=\"{algo}\"}} ");
        let n: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(key.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        assert!(n > 0, "no {algo} authentication succeeded\n{metrics}");
    }
    for line in [
        "carillon_transactions_total{method=\"INVITE\",class=\"2xx\"} 1",
        "carillon_transactions_total{method=\"BYE\",class=\"2xx\"} 1",
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    println!("{test}: ok in {took:.2?}");
}

#[test]
fn pjsua_phones_call_through_server_over_udp() {
    call("udp");
}

#[test]
fn pjsua_phones_call_through_server_over_tcp() {
    call("tcp");
}

#[test]
fn pjsua_phones_call_through_server_over_tls() {
    call("tls");
}
