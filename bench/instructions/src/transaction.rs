//! A UAC and a UAS transaction layer back to back: every message is printed to bytes by the
//! sender and parsed by the receiver, as on the wire. Both TUs are played here.

use std::time::{Duration, Instant};

use sip_message::{Message, Method, Request, Response};
use sip_transaction::{Config, Event, Input, Output, Peer, TransactionLayer};

/// Which transactions to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// OPTIONS, answered 200.
    Options,
    /// INVITE: 100 from the server transaction, 180 and 200 from the UAS TU, then the ACK
    /// for the 2xx, sent statelessly by the UAC TU and matched to the Accepted transaction.
    Invite,
}

/// What the TUs saw, checked at the end.
#[derive(Debug, Default)]
struct Tally {
    trying: u64,
    ringing: u64,
    ok: u64,
    other_responses: u64,
    new_requests: u64,
    acks_matched: u64,
    stray: u64,
}

struct Pair {
    uac: TransactionLayer,
    uas: TransactionLayer,
    now: Instant,
    alice: Peer,
    bob: Peer,
    tally: Tally,
}

/// Runs `n` transactions of `kind`, 1 ms of simulated time apart, then lets every timer run
/// out so that each transaction's whole life (creation to removal) is counted.
pub(crate) fn run(kind: Kind, n: u64) -> Result<(), String> {
    let alice = Peer::udp("192.0.2.1:5060".parse().map_err(|_| "address")?);
    let bob = Peer::udp("192.0.2.2:5060".parse().map_err(|_| "address")?);
    let mut pair = Pair {
        uac: TransactionLayer::new(Config::default()),
        uas: TransactionLayer::new(Config::default()),
        // The only clock read; the layers get it as input and it moves by fixed steps.
        now: Instant::now(),
        alice,
        bob,
        tally: Tally::default(),
    };
    for i in 0..n {
        let request = request(kind, i);
        pair.uac
            .start_client(pair.now, request, pair.bob)
            .map_err(|e| format!("start {i}: {e}"))?;
        pair.exchange()?;
        pair.now += Duration::from_millis(1);
        pair.uac.handle_timeout(pair.now);
        pair.uas.handle_timeout(pair.now);
        pair.exchange()?;
    }
    // Past Timers J, K, L, M and H (at most 64 T1 = 32 s).
    pair.now += Duration::from_secs(40);
    pair.uac.handle_timeout(pair.now);
    pair.uas.handle_timeout(pair.now);
    pair.exchange()?;

    let t = &pair.tally;
    let expected = match kind {
        Kind::Options => (0, 0, n, n, 0),
        Kind::Invite => (n, n, n, n, n),
    };
    let seen = (t.trying, t.ringing, t.ok, t.new_requests, t.acks_matched);
    if seen != expected || t.other_responses != 0 || t.stray != 0 {
        return Err(format!(
            "expected (100, 180, 200, new requests, ACKs) = {expected:?}, saw {t:?}"
        ));
    }
    if !pair.uac.is_empty() || !pair.uas.is_empty() {
        return Err(format!(
            "transactions left after their timers: UAC {}, UAS {}",
            pair.uac.len(),
            pair.uas.len()
        ));
    }
    Ok(())
}

/// Request `i`: its own branch, From tag and Call-ID.
fn request(kind: Kind, i: u64) -> Request {
    let method = match kind {
        Kind::Options => Method::Options,
        Kind::Invite => Method::Invite,
    };
    Request::builder(method, "sip:bob@192.0.2.2")
        .via("UDP", "192.0.2.1:5060", &format!("z9hG4bK-{i}"))
        .max_forwards(70)
        .from("\"Alice\" <sip:alice@example.com>", &format!("a{i}"))
        .to("<sip:bob@example.com>")
        .call_id(&format!("{i}@192.0.2.1"))
        .cseq(1)
        .contact("<sip:alice@192.0.2.1:5060>")
        .build()
}

/// The UAC core's ACK for a 2xx (RFC 3261 §13.2.2.4): a new branch, the dialog's tags.
fn ack_for(ok: &Response) -> Result<Request, String> {
    let call_id = ok.call_id().map_err(|e| format!("200 Call-ID: {e}"))?;
    let i = call_id.split('@').next().unwrap_or_default();
    let from = ok.from().map_err(|e| format!("200 From: {e}"))?;
    let to = ok.to().map_err(|e| format!("200 To: {e}"))?;
    Ok(Request::builder(Method::Ack, "sip:bob@192.0.2.2")
        .via("UDP", "192.0.2.1:5060", &format!("z9hG4bK-ack-{i}"))
        .max_forwards(70)
        .from(
            "\"Alice\" <sip:alice@example.com>",
            from.tag().unwrap_or_default(),
        )
        .to_with_tag("<sip:bob@example.com>", to.tag().unwrap_or_default())
        .call_id(call_id)
        .cseq(1)
        .build())
}

impl Pair {
    /// Moves every output across the wire until both layers are quiet.
    fn exchange(&mut self) -> Result<(), String> {
        loop {
            let mut busy = false;
            while let Some(out) = self.uac.poll_output() {
                busy = true;
                match out {
                    Output::Transmit(t) => {
                        let message = Message::parse(t.bytes).map_err(|e| format!("UAS: {e}"))?;
                        self.uas
                            .handle_input(Input::Received {
                                now: self.now,
                                source: self.alice,
                                message,
                            })
                            .map_err(|e| format!("UAS input: {e}"))?;
                    }
                    Output::Event(Event::Response { response, .. }) => {
                        match response.status() {
                            100 => self.tally.trying += 1,
                            180 => self.tally.ringing += 1,
                            200 => self.tally.ok += 1,
                            _ => self.tally.other_responses += 1,
                        }
                        if response.status() == 200
                            && response.cseq().is_ok_and(|c| c.method() == "INVITE")
                        {
                            let ack = ack_for(&response)?;
                            self.uac.send_stateless(self.bob, ack);
                        }
                    }
                    Output::Event(Event::StrayResponse { .. }) => self.tally.stray += 1,
                    Output::Event(_) => {}
                }
            }
            while let Some(out) = self.uas.poll_output() {
                busy = true;
                match out {
                    Output::Transmit(t) => {
                        let message = Message::parse(t.bytes).map_err(|e| format!("UAC: {e}"))?;
                        self.uac
                            .handle_input(Input::Received {
                                now: self.now,
                                source: self.bob,
                                message,
                            })
                            .map_err(|e| format!("UAC input: {e}"))?;
                    }
                    Output::Event(Event::NewRequest { key, request, .. }) => {
                        self.tally.new_requests += 1;
                        if *request.method() == Method::Invite {
                            let mut ringing = Response::from_request(&request, 180);
                            ringing.set_to_tag("b1");
                            self.uas
                                .respond(self.now, key, ringing)
                                .map_err(|e| format!("180: {e}"))?;
                        }
                        let mut ok = Response::from_request(&request, 200);
                        ok.set_to_tag("b1");
                        self.uas
                            .respond(self.now, key, ok)
                            .map_err(|e| format!("200: {e}"))?;
                    }
                    Output::Event(Event::Ack { key: Some(_), .. }) => self.tally.acks_matched += 1,
                    Output::Event(Event::Ack { key: None, .. }) => self.tally.stray += 1,
                    Output::Event(_) => {}
                }
            }
            if !busy {
                return Ok(());
            }
        }
    }
}
