//! Interop with PJSIP 2.15 through pjsua2-python (`pip install pjsua2-python`, in the venv
//! `scripts/test.sh` makes), driven by `tests/interop/pjsua_peer.py`: pjsua calls our agent
//! and our agent calls pjsua, over UDP, TCP and TLS (PJSIP's TLS is 1.2; ours offers 1.2 and
//! 1.3). For TLS the test makes a CA and a certificate for 127.0.0.1 with rcgen; each side
//! presents it as a server and verifies the other with the CA.
//!
//! Success is both exit codes 0, the script printing `OK` (its call was confirmed and ended
//! cleanly), and our agent's own report of the call.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{
    Pki, Proc, TempDir, expect_both, free_port, python, report, ua_command, wait_listening,
};

const LIMIT: Duration = Duration::from_secs(40);
const READY: Duration = Duration::from_secs(15);

fn script() -> std::path::PathBuf {
    common::workspace().join("tests/interop/pjsua_peer.py")
}

fn pjsua_command(py: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(py);
    cmd.arg(script()).args(args);
    cmd
}

fn assert_pjsua_ok(stdout: &str) {
    assert_eq!(
        stdout.lines().last().map(str::trim),
        Some("OK"),
        "pjsua_peer.py output:\n{stdout}"
    );
}

fn pjsua_calls_us(transport: &str) {
    let test = format!("pjsua_calls_ua_over_{transport}");
    let Some(py) = python(&test, &["pjsua2"]) else {
        return;
    };
    let dir = TempDir::new(&test);
    let pki = Pki::new(dir.path());
    let (ua_port, pj_port) = (free_port(), free_port());
    let listen = match transport {
        "tls" => format!(
            "tls:127.0.0.1:{ua_port}:{}:{}",
            pki.cert.display(),
            pki.key.display()
        ),
        t => format!("{t}:127.0.0.1:{ua_port}"),
    };
    let mut ua = Proc::spawn(
        "carillon-ua",
        ua_command(&[
            "answer",
            "--listen",
            &listen,
            "--calls",
            "1",
            "--timeout",
            "30",
            "--verbose",
        ]),
        dir.path(),
    );
    wait_listening(transport == "udp", ua_port, READY, &mut ua);

    let target = format!("sip:carillon@127.0.0.1:{ua_port}");
    let (pj_port, ca, cert, key) = (
        pj_port.to_string(),
        pki.ca.display().to_string(),
        pki.cert.display().to_string(),
        pki.key.display().to_string(),
    );
    let mut args = vec![
        "call",
        "--transport",
        transport,
        "--port",
        &pj_port,
        "--target",
        &target,
        "--hold",
        "0.5",
        "--timeout",
        "20",
    ];
    if transport == "tls" {
        args.extend(["--ca", &ca, "--cert", &cert, "--key", &key]);
    }
    let mut peer = Proc::spawn("pjsua", pjsua_command(&py, &args), dir.path());

    let (pj_out, ua_out, took) = expect_both(&mut peer, &mut ua, LIMIT);
    assert_pjsua_ok(&pj_out);
    let line = report(&ua_out);
    assert!(
        line.contains("result=ok calls_completed=1 calls_failed=0"),
        "{line}\n{ua_out}"
    );
    if transport == "tls" {
        // PJSIP's TLS stops at 1.2: our listener must have accepted 1.2.
        assert!(ua_out.contains("(TLSv1_2)"), "{ua_out}");
    }
    println!("{test}: ok in {took:.2?}");
}

fn we_call_pjsua(transport: &str) {
    let test = format!("ua_calls_pjsua_over_{transport}");
    let Some(py) = python(&test, &["pjsua2"]) else {
        return;
    };
    let dir = TempDir::new(&test);
    let pki = Pki::new(dir.path());
    let pj_port = free_port();
    let (port, ca, cert, key) = (
        pj_port.to_string(),
        pki.ca.display().to_string(),
        pki.cert.display().to_string(),
        pki.key.display().to_string(),
    );
    let mut args = vec![
        "answer",
        "--transport",
        transport,
        "--port",
        &port,
        "--timeout",
        "25",
    ];
    if transport == "tls" {
        args.extend(["--cert", &cert, "--key", &key]);
    }
    let mut peer = Proc::spawn("pjsua", pjsua_command(&py, &args), dir.path());
    wait_listening(transport == "udp", pj_port, READY, &mut peer);

    let mut target = format!("sip:pjsua@127.0.0.1:{pj_port}");
    if transport != "udp" {
        target.push_str(";transport=");
        target.push_str(transport);
    }
    let mut args = vec![
        "call",
        "--transport",
        transport,
        "--target",
        &target,
        "--hold",
        "0.5",
        "--timeout",
        "20",
        "--verbose",
    ];
    if transport == "tls" {
        args.extend(["--ca", &ca, "--cert", &cert, "--key", &key]);
    }
    let mut ua = Proc::spawn("carillon-ua", ua_command(&args), dir.path());

    let (ua_out, pj_out, took) = expect_both(&mut ua, &mut peer, LIMIT);
    assert_pjsua_ok(&pj_out);
    let line = report(&ua_out);
    assert!(
        line.contains("result=ok") && line.contains("invite_status=200 bye_status=200"),
        "{line}\n{ua_out}"
    );
    if transport == "tls" {
        assert!(line.contains("tls=TLSv1_2"), "{line}");
    }
    println!("{test}: ok in {took:.2?}");
}

#[test]
fn pjsua_calls_ua_over_udp() {
    pjsua_calls_us("udp");
}

#[test]
fn pjsua_calls_ua_over_tcp() {
    pjsua_calls_us("tcp");
}

#[test]
fn pjsua_calls_ua_over_tls() {
    pjsua_calls_us("tls");
}

#[test]
fn ua_calls_pjsua_over_udp() {
    we_call_pjsua("udp");
}

#[test]
fn ua_calls_pjsua_over_tcp() {
    we_call_pjsua("tcp");
}

#[test]
fn ua_calls_pjsua_over_tls() {
    we_call_pjsua("tls");
}
