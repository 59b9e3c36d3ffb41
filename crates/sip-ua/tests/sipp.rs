//! Interop with SIPp 3.6 (`apt-get install -y sip-tester`): its built-in `uac` scenario calls
//! our agent, and our agent calls its built-in `uas` scenario, over UDP and over TCP.
//!
//! Success is SIPp's exit code 0 (every call succeeded, `-timeout_error` making a stall an
//! error), its statistics screen counting one successful and no failed call, and our agent's
//! exit code 0 with its own report of the call.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Proc, TempDir, expect_both, free_port, report, sipp, ua_command, wait_listening};

/// Each test's bound: the peers' own timeouts (20 s) end them before this.
const LIMIT: Duration = Duration::from_secs(30);
const READY: Duration = Duration::from_secs(10);

fn sipp_command(sipp: &std::path::Path, scenario: &str, port: u16, tcp: bool) -> Command {
    let mut cmd = Command::new(sipp);
    cmd.args(["-sn", scenario, "-i", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["-mp"])
        .arg(free_port().to_string())
        .args(["-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error"])
        .args(["-t", if tcp { "t1" } else { "u1" }])
        .arg("-trace_err");
    cmd
}

/// The cumulative value of a counter on SIPp's last statistics screen.
fn sipp_counter(stdout: &str, name: &str) -> Option<u64> {
    stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with(name))
        .and_then(|l| l.split('|').nth(2))
        .and_then(|v| v.trim().parse().ok())
}

fn assert_sipp_one_success(stdout: &str) {
    assert_eq!(
        (
            sipp_counter(stdout, "Successful call"),
            sipp_counter(stdout, "Failed call")
        ),
        (Some(1), Some(0)),
        "SIPp's statistics screen:\n{stdout}"
    );
}

fn sipp_calls_us(tcp: bool) {
    let test = format!("sipp_uac_calls_ua_over_{}", if tcp { "tcp" } else { "udp" });
    let Some(sipp) = sipp(&test) else { return };
    let dir = TempDir::new(&test);
    let ua_port = free_port();
    let listen = format!("{}:127.0.0.1:{ua_port}", if tcp { "tcp" } else { "udp" });
    let mut ua = Proc::spawn(
        "carillon-ua",
        ua_command(&[
            "answer",
            "--listen",
            &listen,
            "--calls",
            "1",
            "--timeout",
            "20",
            "--verbose",
        ]),
        dir.path(),
    );
    wait_listening(!tcp, ua_port, READY, &mut ua);

    let mut cmd = sipp_command(&sipp, "uac", free_port(), tcp);
    cmd.arg(format!("127.0.0.1:{ua_port}")).args(["-d", "500"]);
    let mut peer = Proc::spawn("sipp", cmd, dir.path());

    let (sipp_out, ua_out, took) = expect_both(&mut peer, &mut ua, LIMIT);
    assert_sipp_one_success(&sipp_out);
    let line = report(&ua_out);
    assert!(
        line.contains("result=ok calls_completed=1 calls_failed=0"),
        "{line}\n{ua_out}"
    );
    println!("{test}: ok in {took:.2?}");
}

fn we_call_sipp(tcp: bool) {
    let test = format!("ua_calls_sipp_uas_over_{}", if tcp { "tcp" } else { "udp" });
    let Some(sipp) = sipp(&test) else { return };
    let dir = TempDir::new(&test);
    let sipp_port = free_port();
    let mut peer = Proc::spawn(
        "sipp",
        sipp_command(&sipp, "uas", sipp_port, tcp),
        dir.path(),
    );
    wait_listening(!tcp, sipp_port, READY, &mut peer);

    let target = format!("sip:service@127.0.0.1:{sipp_port}");
    let mut ua = Proc::spawn(
        "carillon-ua",
        ua_command(&[
            "call",
            "--transport",
            if tcp { "tcp" } else { "udp" },
            "--target",
            &target,
            "--hold",
            "0.5",
            "--timeout",
            "15",
            "--verbose",
        ]),
        dir.path(),
    );

    let (ua_out, sipp_out, took) = expect_both(&mut ua, &mut peer, LIMIT);
    assert_sipp_one_success(&sipp_out);
    let line = report(&ua_out);
    assert!(
        line.contains("result=ok") && line.contains("invite_status=200 bye_status=200"),
        "{line}\n{ua_out}"
    );
    println!("{test}: ok in {took:.2?}");
}

#[test]
fn sipp_uac_calls_ua_over_udp() {
    sipp_calls_us(false);
}

#[test]
fn sipp_uac_calls_ua_over_tcp() {
    sipp_calls_us(true);
}

#[test]
fn ua_calls_sipp_uas_over_udp() {
    we_call_sipp(false);
}

#[test]
fn ua_calls_sipp_uas_over_tcp() {
    we_call_sipp(true);
}
