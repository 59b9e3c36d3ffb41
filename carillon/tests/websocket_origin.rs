//! SIP over WebSocket (RFC 7118) with an Origin check: with `[websocket] allowed_origins`
//! set, a page from a listed origin gets its OPTIONS answered over the WebSocket, a page from
//! another origin has its handshake refused.

mod common;

use std::process::Command;

use common::{Server, TempDir, free_port, python};

/// Opens a WebSocket (sub-protocol `sip`) with `origin`, sends OPTIONS to the server and
/// prints the status line of the answer, or `REFUSED` when the handshake fails.
const CLIENT: &str = r#"
import sys, uuid
from websockets.sync.client import connect
port, origin = int(sys.argv[1]), sys.argv[2]
me = uuid.uuid4().hex[:12]
msg = "\r\n".join([
    f"OPTIONS sip:127.0.0.1:{port};transport=ws SIP/2.0",
    f"Via: SIP/2.0/WS {me}.invalid;branch=z9hG4bK{uuid.uuid4().hex[:16]}",
    "Max-Forwards: 70",
    f"To: <sip:127.0.0.1:{port}>",
    f"From: <sip:page@{me}.invalid>;tag={me}",
    f"Call-ID: {uuid.uuid4().hex}",
    "CSeq: 1 OPTIONS",
    "Content-Length: 0", "", ""])
try:
    ws = connect(f"ws://127.0.0.1:{port}", subprotocols=["sip"], origin=origin, open_timeout=5)
except Exception as e:
    print("REFUSED", type(e).__name__)
    sys.exit(0)
with ws:
    ws.send(msg)
    while True:
        answer = ws.recv(timeout=5)
        first = answer.split("\r\n", 1)[0]
        if not first.startswith("SIP/2.0 1"):
            print(first)
            break
"#;

fn handshake(py: &std::path::Path, port: u16, origin: &str) -> String {
    let out = Command::new(py)
        .args(["-c", CLIENT, &port.to_string(), origin])
        .output()
        .expect("run the WebSocket client");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn websocket_pages_from_other_origins_are_refused() {
    let test = "websocket_pages_from_other_origins_are_refused";
    let Some(py) = python(test, &["websockets"]) else {
        return;
    };
    let dir = TempDir::new(test);
    let ws_port = free_port();
    let config = dir.path().join("carillon.toml");
    std::fs::write(
        &config,
        "[websocket]\nallowed_origins = [\"https://phone.example.com\"]\n",
    )
    .expect("config");
    let listen = format!("ws:127.0.0.1:{ws_port}");
    let mut server = Server::start_with(
        dir.path(),
        &[
            "--config",
            config.to_str().expect("path"),
            "--listen",
            &listen,
        ],
    );
    common::wait_listening(false, ws_port, common::READY, &mut server.proc);
    assert_eq!(
        handshake(&py, ws_port, "https://phone.example.com"),
        "SIP/2.0 200 OK"
    );
    let refused = handshake(&py, ws_port, "https://evil.example.net");
    assert!(refused.starts_with("REFUSED"), "{refused}");
}
