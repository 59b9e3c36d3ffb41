//! Helpers shared by the registrar's behaviour tests: REGISTERs built as text and parsed
//! with sip-message, so they take the same road as received ones.
#![allow(dead_code, clippy::unwrap_used)]

use bytes::Bytes;
use sip_message::{Message, Request, Response};
use sip_registrar::{Binding, Decision, RegisterContext, RegistrarConfig, Rejection, process};

pub(crate) const AOR: &str = "sip:alice@example.com";

/// A REGISTER for alice under construction.
pub(crate) struct Reg {
    call_id: String,
    cseq: u32,
    vias: usize,
    headers: Vec<String>,
}

pub(crate) fn reg(call_id: &str, cseq: u32) -> Reg {
    Reg {
        call_id: call_id.to_owned(),
        cseq,
        vias: 1,
        headers: Vec::new(),
    }
}

impl Reg {
    /// Adds a `Contact:` line with this value.
    pub(crate) fn contact(self, value: &str) -> Self {
        self.header(&format!("Contact: {value}"))
    }

    /// Adds a header line (`Name: value`).
    pub(crate) fn header(mut self, line: &str) -> Self {
        self.headers.push(line.to_owned());
        self
    }

    /// Makes the request arrive through `n - 1` proxies (n Vias).
    pub(crate) fn vias(mut self, n: usize) -> Self {
        self.vias = n;
        self
    }

    pub(crate) fn build(self) -> Request {
        let mut text = String::from("REGISTER sip:example.com SIP/2.0\r\n");
        for i in (0..self.vias).rev() {
            text.push_str(&format!(
                "Via: SIP/2.0/UDP 192.0.2.{}:5060;branch=z9hG4bK-{}-{}-{i}\r\n",
                10 + i,
                self.call_id,
                self.cseq
            ));
        }
        text.push_str("Max-Forwards: 70\r\nTo: <sip:alice@example.com>\r\n");
        text.push_str("From: <sip:alice@example.com>;tag=f1\r\n");
        text.push_str(&format!(
            "Call-ID: {}\r\nCSeq: {} REGISTER\r\n",
            self.call_id, self.cseq
        ));
        for h in &self.headers {
            text.push_str(h);
            text.push_str("\r\n");
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        parse_request(text.into_bytes())
    }
}

pub(crate) fn parse_request(bytes: impl Into<Bytes>) -> Request {
    match Message::parse(bytes.into()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => panic!("not a request"),
    }
}

/// Prints and parses a response again, as a peer would see it.
pub(crate) fn reparse(r: &Response) -> Message {
    let m = Message::parse(r.to_bytes()).unwrap();
    m.validate().unwrap();
    m
}

pub(crate) fn ctx(now: u64) -> RegisterContext<'static> {
    RegisterContext {
        aor: AOR,
        now,
        source: Some("198.51.100.7:40000".parse().unwrap()),
        transport: "UDP",
        local: Some("192.0.2.1:5060".parse().unwrap()),
    }
}

/// Runs the registrar with the default configuration.
pub(crate) fn run(request: &Request, now: u64, current: &[Binding]) -> Decision {
    process(&RegistrarConfig::default(), request, &ctx(now), current)
}

/// The new binding set of an update; panics on any other decision.
pub(crate) fn updated(d: Decision) -> Vec<Binding> {
    match d {
        Decision::Update { bindings } => bindings,
        other => panic!("expected an update, got {other:?}"),
    }
}

/// The rejection; panics on any other decision.
pub(crate) fn rejected(d: Decision) -> Rejection {
    match d {
        Decision::Reject(r) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Registers `uri` for 3600 s at `now` with a fresh Call-ID and returns the stored set.
pub(crate) fn registered(uri: &str, call_id: &str, cseq: u32, now: u64) -> Vec<Binding> {
    updated(run(
        &reg(call_id, cseq).contact(&format!("<{uri}>")).build(),
        now,
        &[],
    ))
}

/// The Contact header values of a response, as text.
pub(crate) fn contacts(m: &Message) -> Vec<String> {
    m.headers()
        .get_all(sip_message::HeaderName::Contact)
        .map(|v| String::from_utf8(v.to_vec()).unwrap())
        .collect()
}

pub(crate) fn header(m: &Message, name: sip_message::HeaderName) -> Option<String> {
    m.headers()
        .get(name)
        .map(|v| String::from_utf8(v.to_vec()).unwrap())
}
