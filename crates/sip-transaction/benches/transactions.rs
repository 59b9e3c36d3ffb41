//! Transactions per second through a UAC layer and a UAS layer wired back to back, with no
//! sockets: every message is printed to bytes by the sender and parsed by the receiver, as on
//! the wire.
//!
//! - `invite`: INVITE, 100 (sent by the server transaction), 180 and 200 (the UAS TU), and the
//!   ACK for the 2xx built and sent statelessly by the UAC TU and matched to the Accepted
//!   server transaction.
//! - `non_invite`: MESSAGE and 200.
//!
//! The simulated clock advances 1 ms per transaction and both layers' timers run, so the
//! layers hold a steady population of finished transactions waiting for Timers M, L, K and J
//! (about 32 000 INVITE or 37 000 non-INVITE ones), as a busy server does.
//!
//! `cargo bench -p sip-transaction --bench transactions`; the median time per iteration is
//! the time of one transaction, both sides included.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sip_message::{Message, Method, Request, Response};
use sip_transaction::{Config, Event, Input, Output, Peer, TransactionLayer};

struct Pair {
    uac: TransactionLayer,
    uas: TransactionLayer,
    now: Instant,
    alice: Peer,
    bob: Peer,
    n: u64,
}

impl Pair {
    fn new() -> Self {
        Pair {
            uac: TransactionLayer::new(Config::default()),
            uas: TransactionLayer::new(Config::default()),
            // The benchmark's clock; the layers never read one.
            now: Instant::now(),
            alice: Peer::udp("192.0.2.1:5060".parse().expect("address")),
            bob: Peer::udp("192.0.2.2:5060".parse().expect("address")),
            n: 0,
        }
    }

    fn request(&mut self, method: Method) -> Request {
        self.n += 1;
        let n = self.n;
        let with_body = method == Method::Message;
        let b = Request::builder(method, "sip:bob@192.0.2.2")
            .via("UDP", "192.0.2.1:5060", &format!("z9hG4bK-{n}"))
            .max_forwards(70)
            .from("\"Alice\" <sip:alice@example.com>", &format!("a{n}"))
            .to("<sip:bob@example.com>")
            .call_id(&format!("{n}@192.0.2.1"))
            .cseq(1)
            .contact("<sip:alice@192.0.2.1:5060>");
        if with_body {
            b.body("text/plain", "Watson, come here.").build()
        } else {
            b.build()
        }
    }

    /// Moves every output across the wire until both layers are quiet, playing both TUs.
    fn exchange(&mut self) {
        loop {
            let mut busy = false;
            while let Some(out) = self.uac.poll_output() {
                busy = true;
                match out {
                    Output::Transmit(t) => {
                        let message = Message::parse(t.bytes).expect("parse at UAS");
                        self.uas
                            .handle_input(Input::Received {
                                now: self.now,
                                source: self.alice,
                                message,
                            })
                            .expect("UAS input");
                    }
                    Output::Event(Event::Response { response, .. })
                        if response.status() == 200
                            && response.cseq().is_ok_and(|c| c.method() == "INVITE") =>
                    {
                        let ack = ack_for(&response);
                        self.uac.send_stateless(self.bob, ack);
                    }
                    Output::Event(_) => {}
                }
            }
            while let Some(out) = self.uas.poll_output() {
                busy = true;
                match out {
                    Output::Transmit(t) => {
                        let message = Message::parse(t.bytes).expect("parse at UAC");
                        self.uac
                            .handle_input(Input::Received {
                                now: self.now,
                                source: self.bob,
                                message,
                            })
                            .expect("UAC input");
                    }
                    Output::Event(Event::NewRequest { key, request, .. }) => {
                        if *request.method() == Method::Invite {
                            let mut ringing = Response::from_request(&request, 180);
                            ringing.set_to_tag("b1");
                            self.uas.respond(self.now, key, ringing).expect("180");
                        }
                        let mut ok = Response::from_request(&request, 200);
                        ok.set_to_tag("b1");
                        self.uas.respond(self.now, key, ok).expect("200");
                    }
                    Output::Event(_) => {}
                }
            }
            if !busy {
                return;
            }
        }
    }

    /// One transaction, then 1 ms of simulated time with its timers.
    fn transaction(&mut self, method: Method) {
        let req = self.request(method);
        self.uac
            .start_client(self.now, req, self.bob)
            .expect("start");
        self.exchange();
        self.now += Duration::from_millis(1);
        self.uac.handle_timeout(self.now);
        self.uas.handle_timeout(self.now);
        self.exchange();
    }
}

/// The UAC core's ACK for a 2xx (RFC 3261 §13.2.2.4): a new branch, the dialog's tags.
fn ack_for(ok: &Response) -> Request {
    let call_id = ok.call_id().expect("Call-ID");
    let n = call_id.split('@').next().unwrap_or_default();
    let from_tag = ok.from().expect("From").tag().unwrap_or_default();
    let to_tag = ok.to().expect("To").tag().unwrap_or_default();
    Request::builder(Method::Ack, "sip:bob@192.0.2.2")
        .via("UDP", "192.0.2.1:5060", &format!("z9hG4bK-ack-{n}"))
        .max_forwards(70)
        .from("\"Alice\" <sip:alice@example.com>", from_tag)
        .to_with_tag("<sip:bob@example.com>", to_tag)
        .call_id(call_id)
        .cseq(1)
        .build()
}

fn transactions(c: &mut Criterion) {
    let mut group = c.benchmark_group("transactions");
    group.throughput(Throughput::Elements(1));
    for (name, method) in [("invite", Method::Invite), ("non_invite", Method::Message)] {
        let mut pair = Pair::new();
        // Check once, outside the measurement, that the scenario completes as intended.
        check(&mut pair, method.clone());
        group.bench_function(name, |b| b.iter(|| pair.transaction(method.clone())));
    }
    group.finish();
}

/// Runs one transaction and checks what each TU saw.
fn check(pair: &mut Pair, method: Method) {
    let req = pair.request(method.clone());
    pair.uac
        .start_client(pair.now, req, pair.bob)
        .expect("start");
    let mut uac_statuses = Vec::new();
    let mut uas_events = 0;
    loop {
        let mut busy = false;
        while let Some(out) = pair.uac.poll_output() {
            busy = true;
            match out {
                Output::Transmit(t) => pair
                    .uas
                    .handle_input(Input::Received {
                        now: pair.now,
                        source: pair.alice,
                        message: Message::parse(t.bytes).expect("parse"),
                    })
                    .expect("input"),
                Output::Event(Event::Response { response, .. }) => {
                    uac_statuses.push(response.status());
                    if response.status() == 200 && method == Method::Invite {
                        pair.uac.send_stateless(pair.bob, ack_for(&response));
                    }
                }
                Output::Event(_) => {}
            }
        }
        while let Some(out) = pair.uas.poll_output() {
            busy = true;
            match out {
                Output::Transmit(t) => pair
                    .uac
                    .handle_input(Input::Received {
                        now: pair.now,
                        source: pair.bob,
                        message: Message::parse(t.bytes).expect("parse"),
                    })
                    .expect("input"),
                Output::Event(Event::NewRequest { key, request, .. }) => {
                    uas_events += 1;
                    if method == Method::Invite {
                        let mut r = Response::from_request(&request, 180);
                        r.set_to_tag("b1");
                        pair.uas.respond(pair.now, key, r).expect("180");
                    }
                    let mut r = Response::from_request(&request, 200);
                    r.set_to_tag("b1");
                    pair.uas.respond(pair.now, key, r).expect("200");
                }
                Output::Event(Event::Ack { key, .. }) => {
                    assert!(key.is_some(), "the ACK matched the Accepted transaction");
                    uas_events += 1;
                }
                Output::Event(_) => {}
            }
        }
        if !busy {
            break;
        }
    }
    if method == Method::Invite {
        assert_eq!(uac_statuses, [100, 180, 200]);
        assert_eq!(uas_events, 2);
    } else {
        assert_eq!(uac_statuses, [200]);
        assert_eq!(uas_events, 1);
    }
}

criterion_group! {
    name = benches;
    // Two shared cores: shorter than criterion's 3 s + 5 s default.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = transactions
}
criterion_main!(benches);
