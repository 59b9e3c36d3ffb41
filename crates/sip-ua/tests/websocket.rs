//! Interop with a browser-style SIP-over-WebSocket client: `tests/interop/ws_client.py`, on
//! the Python `websockets` package (`pip install websockets`, in the venv `scripts/test.sh`
//! makes). It checks that a handshake without sub-protocol `sip` is refused, then sends an
//! OPTIONS and a MESSAGE over a `sip` connection to our agent's WebSocket listener and checks
//! both are answered 200.
//!
//! Success is both exit codes 0, the client printing `OK`, and our agent reporting the two
//! requests it answered.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Proc, TempDir, expect_both, free_port, python, report, ua_command, wait_listening};

#[test]
fn websocket_client_exchanges_options_and_message() {
    let test = "websocket_client_exchanges_options_and_message";
    let Some(py) = python(test, &["websockets"]) else {
        return;
    };
    let dir = TempDir::new("ws");
    let port = free_port();
    let listen = format!("ws:127.0.0.1:{port}");
    let mut ua = Proc::spawn(
        "carillon-ua",
        ua_command(&[
            "answer",
            "--listen",
            &listen,
            "--calls",
            "0",
            "--requests",
            "2",
            "--timeout",
            "20",
            "--verbose",
        ]),
        dir.path(),
    );
    wait_listening(false, port, Duration::from_secs(10), &mut ua);

    let mut client = Command::new(py);
    client
        .arg(common::workspace().join("tests/interop/ws_client.py"))
        .args(["--port", &port.to_string()]);
    let mut client = Proc::spawn("ws_client", client, dir.path());

    let (client_out, ua_out, took) = expect_both(&mut client, &mut ua, Duration::from_secs(30));
    assert_eq!(
        client_out.lines().last(),
        Some("OK"),
        "ws_client.py:\n{client_out}"
    );
    assert!(
        client_out.contains("no sub-protocol: refused with HTTP 400"),
        "{client_out}"
    );
    assert!(
        client_out.contains("OPTIONS: SIP/2.0 200") && client_out.contains("MESSAGE: SIP/2.0 200"),
        "{client_out}"
    );
    let line = report(&ua_out);
    assert!(
        line.contains("result=ok") && line.contains("requests_answered=2"),
        "{line}\n{ua_out}"
    );
    assert!(
        ua_out.contains("answered OPTIONS 200") && ua_out.contains("answered MESSAGE 200"),
        "{ua_out}"
    );
    println!("{test}: ok in {took:.2?}");
}
