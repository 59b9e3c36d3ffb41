//! Shared by the conformance tests: run a message through parse, validate and the UAS/proxy
//! checks the way a server does.
#![allow(dead_code)]

use bytes::Bytes;
use sip_message::Message;
use sip_message::validate::{Policy, check_request, reject_invalid, reject_parse_error};

/// What an element did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Processed normally (a request passed every check, a response was accepted).
    Accept,
    /// Answered with this status.
    Respond(u16),
    /// Dropped silently.
    Drop,
}

pub(crate) const UAS_ACCEPT: &[&str] = &[
    "application/sdp",
    "text/plain",
    "multipart/signed",
    "multipart/mixed",
    "message/cpim",
];

/// Runs a message through the parser, the validator and the UAS (or proxy) checks the way a
/// server does.
pub(crate) fn outcome(raw: Bytes, proxy: bool) -> Outcome {
    let msg = match Message::parse(raw.clone()) {
        Ok(m) => m,
        Err(e) => {
            return reject_parse_error(&raw, &e)
                .map_or(Outcome::Drop, |r| Outcome::Respond(r.status));
        }
    };
    match &msg {
        Message::Response(_) => match msg.validate() {
            Ok(()) => Outcome::Accept,
            Err(e) => {
                assert!(
                    reject_invalid(&msg, &e).is_none(),
                    "responses are never answered"
                );
                Outcome::Drop
            }
        },
        Message::Request(req) => {
            let policy = Policy {
                accept: UAS_ACCEPT,
                proxy,
                ..Policy::default()
            };
            match check_request(req, &policy) {
                Ok(()) => Outcome::Accept,
                Err(r) => Outcome::Respond(r.status),
            }
        }
    }
}

/// One PROTOS c07-sip case rendered with loopback values: the INVITE and its teardown request.
pub(crate) struct ProtosCase {
    /// Case number (0 is the valid reference INVITE).
    pub(crate) number: usize,
    /// The rendered INVITE.
    pub(crate) invite: Vec<u8>,
    /// The rendered teardown (CANCEL).
    pub(crate) teardown: Vec<u8>,
}

/// Reads every case from `tests/data/protos-c07-sip/cases`.
pub(crate) fn protos_cases() -> Vec<ProtosCase> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/protos-c07-sip/cases");
    let mut cases = Vec::new();
    for n in 0..4527 {
        let raw =
            std::fs::read(dir.join(format!("{n:07}"))).unwrap_or_else(|e| panic!("case {n}: {e}"));
        let (invite, rest) =
            length_prefixed(&raw).unwrap_or_else(|| panic!("case {n}: bad framing"));
        let (teardown, _) =
            length_prefixed(rest).unwrap_or_else(|| panic!("case {n}: bad teardown framing"));
        cases.push(ProtosCase {
            number: n,
            invite: render(invite, n),
            teardown: render(teardown, n),
        });
    }
    cases
}

/// Splits `<decimal length> <bytes>` off the front.
fn length_prefixed(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = b.iter().position(|&c| c == b' ')?;
    let len: usize = std::str::from_utf8(&b[..sp]).ok()?.parse().ok()?;
    let body = b.get(sp + 1..sp + 1 + len)?;
    Some((body, &b[sp + 1 + len..]))
}

/// Fills the placeholders with loopback addresses and a Content-Length that matches the body.
pub(crate) fn render(template: &[u8], n: usize) -> Vec<u8> {
    let subs: [(&[u8], String); 9] = [
        (b"<To>", "bob@127.0.0.1".into()),
        (b"<From-Address>", "127.0.0.1".into()),
        (b"<Local-Port>", "5062".into()),
        (b"<Branch-ID>", format!("{n}")),
        (b"<From>", "alice@127.0.0.1".into()),
        (b"<Call-ID>", format!("protos-{n}")),
        (b"<CSeq>", "1".into()),
        (b"<From-IP>", "127.0.0.1".into()),
        (b"<Teardown-Method>", "CANCEL".into()),
    ];
    let mut out = template.to_vec();
    for (from, to) in &subs {
        out = replace_all(&out, from, to.as_bytes());
    }
    let body_len = find(&out, b"\r\n\r\n").map_or(0, |i| out.len() - i - 4);
    replace_all(&out, b"<Content-Length>", body_len.to_string().as_bytes())
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn replace_all(h: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(h.len());
    let mut i = 0;
    while i < h.len() {
        if h[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(h[i]);
            i += 1;
        }
    }
    out
}

/// A PROTOS group from `groups.tsv`.
pub(crate) struct ProtosGroup {
    /// Group name.
    pub(crate) name: String,
    /// Case range.
    pub(crate) cases: std::ops::RangeInclusive<usize>,
    /// Whether a strict parser must reject the group's cases.
    pub(crate) must_fail: bool,
    /// Cases of the group that are in fact valid (or in fact invalid for MUST_PASS groups).
    pub(crate) exceptions: Vec<usize>,
}

/// Reads `groups.tsv`.
pub(crate) fn protos_groups() -> Vec<ProtosGroup> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/protos-c07-sip/groups.tsv");
    let tsv = std::fs::read_to_string(path).expect("groups.tsv");
    tsv.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            ProtosGroup {
                name: c[0].to_owned(),
                cases: c[1].parse().expect("first")..=c[2].parse().expect("last"),
                must_fail: c[4] == "MUST_FAIL",
                exceptions: c.get(5).map_or(Vec::new(), |e| {
                    e.split(',')
                        .filter(|s| !s.is_empty())
                        .map(|s| s.parse().expect("case"))
                        .collect()
                }),
            }
        })
        .collect()
}
