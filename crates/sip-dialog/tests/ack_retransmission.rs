//! The UAS retransmits its 2xx (T1 doubling up to T2) until the ACK arrives; the UAC resends
//! its ACK for each retransmission (RFC 3261 §13.3.1.4, §13.2.2.4).

mod common;

use common::{ALICE, BOB, Fate, Net, sdp};
use sip_dialog::{Answer, DialogEvent};
use sip_message::Method;

fn answering_net() -> Net {
    let mut net = Net::pair();
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                    .expect("200");
            }
        }
    });
    net
}

fn acks_received(net: &Net) -> Vec<u64> {
    net.events_of(BOB)
        .filter(|(_, e)| matches!(e, DialogEvent::Ack { .. }))
        .map(|(t, _)| t)
        .collect()
}

#[test]
fn first_ack_lost() {
    let mut net = answering_net();
    net.set_fate(|w| {
        if w.is("ACK") && w.nth == 0 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB);
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(40_000);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "INVITE"), [0, 500]);
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [0, 500]);
    assert_eq!(acks_received(&net), [500]);
    // The resent ACK is the same message, not a new request.
    let acks: Vec<_> = net
        .sent(ALICE, "ACK", "")
        .map(|w| w.bytes.clone())
        .collect();
    assert_eq!(acks[0], acks[1]);
}

#[test]
fn retransmissions_double_until_the_ack_gets_through() {
    let mut net = answering_net();
    net.set_fate(|w| {
        if w.is("ACK") && w.nth < 3 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB);
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(40_000);
    assert_eq!(
        net.sent_at(BOB, "SIP/2.0 200", "INVITE"),
        [0, 500, 1500, 3500]
    );
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [0, 500, 1500, 3500]);
    assert_eq!(acks_received(&net), [3500]);
    assert!(net.sent(BOB, "BYE", "").next().is_none());
}

#[test]
fn duplicated_2xx_is_acknowledged_twice_and_reported_once() {
    let mut net = answering_net();
    net.set_fate(|w| {
        if w.is_response(200, "INVITE") {
            Fate::Duplicate
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB);
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(40_000);
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [0, 0]);
    assert_eq!(net.statuses(ALICE, call), [100, 200]);
    assert_eq!(acks_received(&net), [0]);
}

#[test]
fn late_2xx_after_the_transaction_ended_is_acknowledged_again() {
    let mut net = answering_net();
    // The first ACK is lost; the first retransmission of the 200 wanders for 40 s and
    // arrives after Timer M ended the INVITE transaction; the second one gets the ACK through.
    net.set_fate(|w| {
        if w.is("ACK") && w.nth == 0 {
            Fate::Drop
        } else if w.is_response(200, "INVITE") && w.nth == 1 {
            Fate::Delay(std::time::Duration::from_secs(40))
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB);
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(60_000);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "INVITE"), [0, 500, 1500]);
    // 0 (lost), 1500 (for the third 200), 40 500 (for the stray one).
    assert_eq!(net.sent_at(ALICE, "ACK", ""), [0, 1500, 40_500]);
    assert_eq!(acks_received(&net), [1500]);
}
