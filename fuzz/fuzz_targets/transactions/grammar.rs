//! The inputs of the transactions target: tables of colliding values, the request grammar and
//! the operations a script is made of.

use std::time::Duration;

use arbitrary::Arbitrary;
use sip_transaction::{Config, Peer, Transport};

pub(crate) const METHODS: &[&str] = &[
    "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "REGISTER", "INFO",
];
pub(crate) const BRANCHES: &[Option<&str>] = &[
    Some("z9hG4bK-a"),
    Some("z9hG4bK-b"),
    Some("z9hG4bKA"),
    Some("rfc2543-x"),
    None,
    Some("z9hG4bK-a;received=192.0.2.1"),
];
pub(crate) const SENT_BYS: &[&str] = &[
    "192.0.2.1:5060",
    "192.0.2.1",
    "Host.Example:5070",
    "host.example:5070",
];
pub(crate) const CALL_IDS: &[&str] = &["c1@192.0.2.1", "c2"];
pub(crate) const TAGS: &[&str] = &["t1", "t2", "T1"];
pub(crate) const RURIS: &[&str] = &["sip:bob@192.0.2.9", "sip:carol@192.0.2.9;transport=tcp"];
pub(crate) const STATUSES: &[u16] = &[
    100, 180, 183, 199, 200, 202, 299, 300, 404, 486, 487, 500, 503, 603, 699,
];

/// How the layer is configured.
pub(crate) const CONFIGS: usize = 3;

pub(crate) fn config(i: u8) -> Config {
    match usize::from(i) % CONFIGS {
        0 => Config::default(),
        1 => Config {
            t1: Duration::from_millis(50),
            t2: Duration::from_millis(200),
            t4: Duration::from_millis(250),
            timer_d: Duration::from_secs(1),
            send_100_trying: false,
        },
        _ => Config {
            t1: Duration::from_millis(500),
            t2: Duration::from_millis(500),
            t4: Duration::from_secs(5),
            timer_d: Duration::ZERO,
            send_100_trying: true,
        },
    }
}

pub(crate) fn peer(i: u8) -> Peer {
    let addr = |s: &str| s.parse().expect("literal address");
    match i % 4 {
        0 => Peer::udp(addr("192.0.2.1:5060")),
        1 => Peer::tcp(addr("192.0.2.2:5060")),
        2 => Peer::new(addr("[2001:db8::3]:5070"), Transport::Ws),
        // UDP that the driver declares reliable: the flag, not the transport, decides.
        _ => Peer {
            reliable: true,
            ..Peer::udp(addr("192.0.2.4:5060"))
        },
    }
}

pub(crate) fn pick<T: Copy>(list: &[T], i: u8) -> T {
    list[usize::from(i) % list.len()]
}

/// A request from the grammar; every field indexes a small table.
#[derive(Arbitrary, Debug, Clone)]
pub(crate) struct ReqSpec {
    pub(crate) method: u8,
    /// The CSeq method differs from the request's (a peer error).
    pub(crate) cseq_mismatch: bool,
    pub(crate) branch: u8,
    pub(crate) sent_by: u8,
    pub(crate) tcp_via: bool,
    pub(crate) cseq: u8,
    pub(crate) call_id: u8,
    pub(crate) from_tag: u8,
    pub(crate) to_tag: Option<u8>,
    pub(crate) ruri: u8,
    /// 1 to 5 leave out Via, CSeq, From, To or Call-ID; anything else leaves out nothing.
    pub(crate) omit: u8,
    pub(crate) source: u8,
}

impl ReqSpec {
    pub(crate) fn text(&self, method: &str) -> String {
        let cseq_method = if self.cseq_mismatch {
            "OPTIONS"
        } else {
            method
        };
        let branch = pick(BRANCHES, self.branch).map_or(String::new(), |b| format!(";branch={b}"));
        let transport = if self.tcp_via { "TCP" } else { "UDP" };
        let to_tag = self
            .to_tag
            .map_or(String::new(), |t| format!(";tag={}", pick(TAGS, t)));
        let lines = [
            format!(
                "Via: SIP/2.0/{transport} {}{branch}",
                pick(SENT_BYS, self.sent_by)
            ),
            format!("CSeq: {} {cseq_method}", 1 + self.cseq % 3),
            format!(
                "From: <sip:alice@example.com>;tag={}",
                pick(TAGS, self.from_tag)
            ),
            format!("To: <sip:bob@example.com>{to_tag}"),
            format!("Call-ID: {}", pick(CALL_IDS, self.call_id)),
        ];
        let mut text = format!("{method} {} SIP/2.0\r\n", pick(RURIS, self.ruri));
        for (i, line) in lines.iter().enumerate() {
            if usize::from(self.omit % 16) != i + 1 {
                text.push_str(line);
                text.push_str("\r\n");
            }
        }
        text.push_str("Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
        text
    }
}

#[derive(Arbitrary, Debug)]
pub(crate) enum Op {
    /// A request from the grammar arrives.
    Request(ReqSpec),
    /// A response from the grammar arrives (status, and the Via/CSeq of the spec).
    Response {
        spec: ReqSpec,
        status: u8,
        to_tag: Option<u8>,
    },
    /// A request received before arrives again.
    Retransmit { which: u8 },
    /// An ACK for a reported INVITE, with its branch (non-2xx) or another one (2xx).
    Ack {
        server: u8,
        other_branch: Option<u8>,
    },
    /// A CANCEL for a reported request, same branch.
    CancelIn { server: u8 },
    /// The peer answers a client transaction.
    Answer { client: u8, status: u8, to_tag: u8 },
    /// The TU starts a client transaction.
    Start {
        method: u8,
        branch: u8,
        cseq: u8,
        dest: u8,
    },
    /// The TU cancels a client transaction.
    CancelOut { client: u8, dest: u8 },
    /// The TU answers a server transaction.
    Respond {
        server: u8,
        status: u8,
        to_tag: Option<u8>,
    },
    /// The transport fails for a transaction (live or gone).
    TransportError { server: bool, which: u8 },
    /// The TU gives up on a client transaction.
    Abandon { client: u8 },
    /// The TU sends a message statelessly.
    Stateless { which: u8, dest: u8 },
    /// The clock moves; the driver wakes the layer or is late.
    Advance { millis: u16, fire: bool },
    /// The driver sleeps until the next timer.
    NextTimer,
}

#[derive(Arbitrary, Debug)]
pub(crate) struct Script {
    pub(crate) config: u8,
    pub(crate) ops: Vec<Op>,
    /// Status of the final responses of the closing TU.
    pub(crate) closing_status: u8,
}
