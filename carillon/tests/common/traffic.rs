//! Load helpers for the abuse, overload and crash tests: requests retransmitted like a real
//! user agent's (RFC 3261 §17.1.2.2: a lost datagram under load is not a failure), OPTIONS
//! pings from any loopback address, and the server's memory. Included with
//! `#[path = "common/traffic.rs"] mod traffic;` next to `mod common;`.

#![allow(dead_code, unreachable_pub)]

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use crate::common::client::{Req, Ua};
use sip_message::Response;

/// Timer T1.
const T1: Duration = Duration::from_millis(500);
/// Timer T2: retransmissions of non-INVITE requests stop doubling here.
const T2: Duration = Duration::from_secs(4);

/// Sends `req` and waits for its final response, retransmitting it at T1, 2·T1... (capped at
/// T2) as a UDP client would, for at most `limit`.
pub fn transact(ua: &mut Ua, req: &Req, limit: Duration) -> Option<Response> {
    let end = Instant::now() + limit;
    let mut wait = T1;
    loop {
        ua.send(req);
        let left = end.checked_duration_since(Instant::now())?;
        if let Some(r) = ua.final_response(req, wait.min(left)) {
            return Some(r);
        }
        if Instant::now() >= end {
            return None;
        }
        wait = (wait * 2).min(T2);
    }
}

/// Like [`transact`], answering one 401 or 407 with the agent's credentials (non-INVITE
/// requests only: no ACK is sent). Returns the final response.
pub fn transact_authenticated(ua: &mut Ua, req: Req, limit: Duration) -> Option<Response> {
    let first = transact(ua, &req, limit)?;
    if !matches!(first.status(), 401 | 407) {
        return Some(first);
    }
    let (user, password) = (ua.user.clone(), ua.password.clone());
    let retry = ua.with_credentials(&req, &first, &user, &password);
    transact(ua, &retry, limit)
}

/// Sends one OPTIONS for the server itself from `ip` over UDP (retransmitted); returns the
/// first line of the answer, or `None` after about two seconds of silence.
pub fn ping_from(ip: &str, port: u16) -> Option<String> {
    let sock = UdpSocket::bind((ip, 0)).expect("bind");
    let local = sock.local_addr().expect("local");
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let tag = crate::common::client::unique();
    let msg = format!(
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{tag};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:probe@example.org>;tag={tag}\r\nTo: <sip:127.0.0.1:{port}>\r\n\
         Call-ID: ping-{tag}@{ip}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    let mut buf = [0u8; 4096];
    for _ in 0..4 {
        sock.send_to(msg.as_bytes(), ("127.0.0.1", port)).ok()?;
        while let Ok((n, _)) = sock.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]);
            let line = text.lines().next().unwrap_or_default().to_owned();
            // 100 Trying is not an answer; OPTIONS does not get one, but be safe.
            if !line.starts_with("SIP/2.0 1") {
                return Some(line);
            }
        }
    }
    None
}

/// The resident memory of process `pid` in kB (`VmRSS` in `/proc/PID/status`).
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Whether process `pid` is still running (not gone, not a zombie).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim_start().to_owned()))
        .is_some_and(|r| !r.starts_with('Z') && !r.starts_with('X'))
}
