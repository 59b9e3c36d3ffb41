//! The proxy relaying calls between a scripted caller and callee, with Record-Route.
//!
//! The caller and the callee are not user agents: they write their messages as text with
//! branches and tags derived from the call's index, and the callee builds its responses by
//! copying header lines, so nearly all the instructions counted are the proxy's (and the
//! parser's, since the proxy parses what it receives and prints what it sends).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_message::{Message, Method};
use sip_proxy::{
    ForwardPlan, LocalAddr, Proxy, ProxyConfig, ProxyEvent, ProxyOutput, ProxyTransmit, Target,
};
use sip_transaction::{Peer, Transport};

const CONTACT_BOB: &str = "sip:bob@192.0.2.2:5060";
const RECORD_ROUTE: &[u8] = b"Record-Route: <sip:192.0.2.10:5060;lr>\r\n";
const SDP_OFFER: &str = "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n\
t=0 0\r\nm=audio 49170 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n";
const SDP_ANSWER: &str = "v=0\r\no=bob 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\n\
t=0 0\r\nm=audio 3456 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/// What the endpoints and the server saw, checked at the end.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Responses the caller got for its INVITEs: 100, 180, 200.
    caller_invite: [u64; 3],
    /// 200s the caller got for its BYEs.
    caller_bye_ok: u64,
    /// Requests the callee got: INVITE, ACK, BYE.
    callee: [u64; 3],
    /// Requests the proxy raised: INVITE, ACK, BYE.
    raised: [u64; 3],
    /// Finished events with status 200: INVITE, BYE.
    finished_ok: [u64; 2],
    /// Anything else: unexpected messages, statuses or events.
    unexpected: u64,
}

struct Call {
    proxy: Proxy,
    here: SocketAddr,
    caller: Peer,
    callee: Peer,
    invite_plan: ForwardPlan,
    now: Instant,
    tally: Tally,
}

/// Relays `n` calls, 1 ms of simulated time between steps, then lets every timer run out so
/// that each call's whole life in the proxy is counted.
pub(crate) fn run(n: u64) -> Result<(), String> {
    let here: SocketAddr = "192.0.2.10:5060".parse().map_err(|_| "address")?;
    let caller = Peer::udp("192.0.2.1:5060".parse().map_err(|_| "address")?);
    let callee = Peer::udp("192.0.2.2:5060".parse().map_err(|_| "address")?);
    let mut call = Call {
        proxy: Proxy::new(
            ProxyConfig::new(vec![LocalAddr::new(Transport::Udp, here)]),
            1,
        ),
        here,
        caller,
        callee,
        // The location lookup's answer, the same for every call.
        invite_plan: ForwardPlan::single(Target::new(CONTACT_BOB, callee)).record_route(true),
        // The only clock read; the proxy gets it as input and it moves by fixed steps.
        now: Instant::now(),
        tally: Tally::default(),
    };
    for i in 0..n {
        call.caller_sends(invite(i))?;
        call.step();
        call.caller_sends(ack(i))?;
        call.step();
        call.caller_sends(bye(i))?;
        call.step();
    }
    // Past Timers L, M, J and K (at most 64 T1 = 32 s).
    call.now += Duration::from_secs(40);
    call.proxy.handle_timeout(call.now);
    call.pump()?;

    let expected = Tally {
        caller_invite: [n; 3],
        caller_bye_ok: n,
        callee: [n; 3],
        raised: [n; 3],
        finished_ok: [n; 2],
        unexpected: 0,
    };
    if call.tally != expected {
        return Err(format!("expected {expected:?}, saw {:?}", call.tally));
    }
    if call.proxy.pending() != 0 || !call.proxy.transactions().is_empty() {
        return Err(format!(
            "left after their timers: {} requests, {} transactions",
            call.proxy.pending(),
            call.proxy.transactions().len()
        ));
    }
    Ok(())
}

impl Call {
    /// One millisecond later, with the timers that came due.
    fn step(&mut self) {
        self.now += Duration::from_millis(1);
        if self.proxy.poll_timeout().is_some_and(|t| t <= self.now) {
            self.proxy.handle_timeout(self.now);
        }
    }

    fn caller_sends(&mut self, text: String) -> Result<(), String> {
        self.receive(self.caller, Bytes::from(text))
    }

    /// The proxy receives `bytes` from `source`, then everything it outputs is delivered.
    fn receive(&mut self, source: Peer, bytes: Bytes) -> Result<(), String> {
        let message = Message::parse(bytes).map_err(|e| format!("proxy parse: {e}"))?;
        self.proxy
            .handle_input(self.now, source, self.here, message)
            .map_err(|e| format!("proxy input: {e}"))?;
        self.pump()
    }

    fn pump(&mut self) -> Result<(), String> {
        while let Some(out) = self.proxy.poll_output() {
            match out {
                ProxyOutput::Transmit(t) if t.destination == self.caller => {
                    self.deliver_to_caller(&t)
                }
                ProxyOutput::Transmit(t) if t.destination == self.callee => {
                    self.deliver_to_callee(&t)?
                }
                ProxyOutput::Event(ProxyEvent::Request {
                    id,
                    request,
                    in_dialog,
                    stateless,
                    next_hop,
                    ..
                }) => {
                    match request.method() {
                        Method::Invite => self.tally.raised[0] += 1,
                        Method::Ack => self.tally.raised[1] += 1,
                        Method::Bye => self.tally.raised[2] += 1,
                        _ => self.tally.unexpected += 1,
                    }
                    let plan = if in_dialog || stateless {
                        let peer = next_hop
                            .and_then(|h| h.peer)
                            .ok_or("an in-dialog request with no IP next hop")?;
                        ForwardPlan::by_route(&request, peer)
                    } else {
                        self.invite_plan.clone()
                    };
                    self.proxy
                        .forward(self.now, id, plan)
                        .map_err(|e| format!("forward: {e}"))?;
                }
                ProxyOutput::Event(ProxyEvent::Finished { method, status, .. }) => {
                    match (method, status) {
                        (Method::Invite, 200) => self.tally.finished_ok[0] += 1,
                        (Method::Bye, 200) => self.tally.finished_ok[1] += 1,
                        _ => self.tally.unexpected += 1,
                    }
                }
                _ => self.tally.unexpected += 1,
            }
        }
        Ok(())
    }

    /// The caller only looks at the start line and CSeq method, and that the 200 for its
    /// INVITE carries the proxy's Record-Route (its ACK and BYE route through the proxy).
    fn deliver_to_caller(&mut self, t: &ProxyTransmit) {
        let b = &t.bytes[..];
        let invite = find(b, b"INVITE\r\n").is_some();
        match (status_of(b), invite) {
            (Some(100), true) => self.tally.caller_invite[0] += 1,
            (Some(180), true) => self.tally.caller_invite[1] += 1,
            (Some(200), true) if find(b, RECORD_ROUTE).is_some() => {
                self.tally.caller_invite[2] += 1;
            }
            (Some(200), false) if find(b, b" BYE\r\n").is_some() => self.tally.caller_bye_ok += 1,
            _ => self.tally.unexpected += 1,
        }
    }

    /// The callee answers INVITE with 100, 180, 200 and BYE with 200; ACK gets nothing.
    fn deliver_to_callee(&mut self, t: &ProxyTransmit) -> Result<(), String> {
        let b = &t.bytes[..];
        if b.starts_with(b"INVITE ") {
            self.tally.callee[0] += 1;
            for (status, reason) in [(100, "Trying"), (180, "Ringing"), (200, "OK")] {
                let response = respond(b, status, reason)?;
                self.receive(self.callee, response)?;
            }
        } else if b.starts_with(b"ACK ") {
            self.tally.callee[1] += 1;
        } else if b.starts_with(b"BYE ") {
            self.tally.callee[2] += 1;
            let response = respond(b, 200, "OK")?;
            self.receive(self.callee, response)?;
        } else {
            self.tally.unexpected += 1;
        }
        Ok(())
    }
}

fn invite(i: u64) -> String {
    format!(
        "INVITE sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-inv-{i}\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice\" <sip:alice@example.com>;tag=a{i}\r\n\
         To: <sip:bob@example.com>\r\n\
         Call-ID: call-{i}@192.0.2.1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:alice@192.0.2.1:5060>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{SDP_OFFER}",
        SDP_OFFER.len()
    )
}

/// The ACK and the BYE go to Bob's Contact through the proxy's Record-Route.
fn in_dialog(method: &str, cseq: u32, i: u64) -> String {
    format!(
        "{method} {CONTACT_BOB} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-{method}-{i}\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:192.0.2.10:5060;lr>\r\n\
         From: \"Alice\" <sip:alice@example.com>;tag=a{i}\r\n\
         To: <sip:bob@example.com>;tag=b{i}\r\n\
         Call-ID: call-{i}@192.0.2.1\r\n\
         CSeq: {cseq} {method}\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

fn ack(i: u64) -> String {
    in_dialog("ACK", 1, i)
}

fn bye(i: u64) -> String {
    in_dialog("BYE", 2, i)
}

/// A response to `request` as the callee writes it: the Via, Record-Route, From, Call-ID and
/// CSeq lines copied, the To line with the callee's tag (`b` and the number of the From tag,
/// so the caller's scripted in-dialog requests match it).
fn respond(request: &[u8], status: u16, reason: &str) -> Result<Bytes, String> {
    let head_end = find(request, b"\r\n\r\n").ok_or("no end of headers")?;
    let head = &request[..head_end];
    let mut out = format!("SIP/2.0 {status} {reason}\r\n").into_bytes();
    let mut from_tag: &[u8] = b"";
    let mut vias = 0;
    let is_invite = request.starts_with(b"INVITE ");
    // Lines found with memchr: the callee's share of the count stays small.
    let mut start = find(head, b"\r\n").ok_or("no start line")? + 2;
    while start < head.len() {
        let end = memchr::memchr(b'\r', &head[start..]).map_or(head.len(), |e| start + e);
        let line = &head[start..end];
        start = end + 2;
        let copy = if line.starts_with(b"Via:") {
            vias += 1;
            true
        } else if line.starts_with(b"From:") {
            let at = find(line, b";tag=a").ok_or("From without tag")?;
            from_tag = &line[at + 6..];
            true
        } else {
            line.starts_with(b"Call-ID:")
                || line.starts_with(b"CSeq:")
                || (status > 100 && line.starts_with(b"Record-Route:"))
        };
        if copy {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        } else if line.starts_with(b"To:") {
            out.extend_from_slice(line);
            if status > 100 && find(line, b";tag=").is_none() {
                out.extend_from_slice(b";tag=b");
                out.extend_from_slice(from_tag);
            }
            out.extend_from_slice(b"\r\n");
        }
    }
    if vias == 0 || from_tag.is_empty() {
        return Err("request without Via or From tag".into());
    }
    if is_invite && status == 200 {
        out.extend_from_slice(
            format!(
                "Contact: <{CONTACT_BOB}>\r\nContent-Type: application/sdp\r\n\
                 Content-Length: {}\r\n\r\n{SDP_ANSWER}",
                SDP_ANSWER.len()
            )
            .as_bytes(),
        );
    } else {
        if is_invite && status == 180 {
            out.extend_from_slice(format!("Contact: <{CONTACT_BOB}>\r\n").as_bytes());
        }
        out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    }
    Ok(Bytes::from(out))
}

/// The status of a response's start line, `None` for a request.
fn status_of(message: &[u8]) -> Option<u16> {
    let rest = message.strip_prefix(b"SIP/2.0 ")?;
    std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()
}

/// The first occurrence of a short needle: cheaper than `memmem::find`, which sets up a
/// searcher on every call, for the few hundred bytes of a SIP message.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    memchr::memchr_iter(first, haystack).find(|&i| haystack[i..].starts_with(needle))
}
