//! Requests the layer answers itself: an unknown dialog (481), an unsupported Require (420),
//! a merged request (482), a reliable answer the UAC did not offer.

mod common;

use common::{ALICE, BOB, Net};
use sip_dialog::{Answer, ApiError, DialogEvent, Input};
use sip_message::{HeaderName, Method, Request};

fn inject(net: &mut Net, to: usize, from: usize, req: Request) {
    let now = net.now();
    let source = net.peer(from);
    net.ua(to)
        .handle_input(Input::Received {
            now,
            source,
            message: req.into(),
        })
        .expect("matched");
    net.drain(to);
}

fn request(method: Method, branch: &str, to_tag: Option<&str>) -> Request {
    let b = Request::builder(method, "sip:bob@192.0.2.2:5060")
        .via("UDP", "192.0.2.1:5060", branch)
        .max_forwards(70)
        .from("<sip:alice@example.com>", "atag")
        .call_id("cid-1@192.0.2.1")
        .cseq(5);
    match to_tag {
        Some(t) => b.to_with_tag("<sip:bob@example.com>", t),
        None => b.to("<sip:bob@example.com>"),
    }
    .build()
}

#[test]
fn unknown_dialog_is_481() {
    let mut net = Net::pair();
    inject(
        &mut net,
        BOB,
        ALICE,
        request(Method::Info, "z9hG4bK1", Some("nosuch")),
    );
    inject(&mut net, BOB, ALICE, request(Method::Bye, "z9hG4bK2", None));
    assert_eq!(net.sent_at(BOB, "SIP/2.0 481", ""), [0, 0]);
    assert_eq!(net.events_of(BOB).count(), 0);
}

#[test]
fn unsupported_require_is_420() {
    let mut net = Net::pair();
    let mut req = request(Method::Invite, "z9hG4bK3", None);
    req.headers_mut().push(HeaderName::Require, "100rel, foo");
    inject(&mut net, BOB, ALICE, req);
    let r = net
        .sent(BOB, "SIP/2.0 420", "")
        .next()
        .expect("420")
        .message();
    assert_eq!(r.headers().get(HeaderName::Unsupported), Some(&b"foo"[..]));
}

#[test]
fn merged_request_is_482() {
    let mut net = Net::pair();
    inject(
        &mut net,
        BOB,
        ALICE,
        request(Method::Invite, "z9hG4bK4", None),
    );
    // The same request by another path: same Call-ID, From tag and CSeq, another branch.
    inject(
        &mut net,
        BOB,
        ALICE,
        request(Method::Invite, "z9hG4bK5", None),
    );
    assert_eq!(net.sent_at(BOB, "SIP/2.0 482", ""), [0]);
    let invites = net
        .events_of(BOB)
        .filter(|(_, e)| matches!(e, DialogEvent::Request { .. }))
        .count();
    assert_eq!(invites, 1);
}

#[test]
fn reliable_answer_needs_100rel() {
    let mut net = Net::pair();
    inject(
        &mut net,
        BOB,
        ALICE,
        request(Method::Invite, "z9hG4bK6", None),
    );
    let id = net.incoming(BOB, Method::Invite);
    assert_eq!(
        net.with(BOB, |ua, now| ua.answer(
            now,
            id,
            Answer::new(180).reliable()
        )),
        Err(ApiError::ReliableNotSupported)
    );
    assert_eq!(
        net.with(BOB, |ua, now| ua.answer(now, id, Answer::new(99))),
        Err(ApiError::InvalidStatus(99))
    );
    net.with(BOB, |ua, now| ua.answer(now, id, Answer::new(486)))
        .expect("486");
    assert_eq!(
        net.with(BOB, |ua, now| ua.answer(now, id, Answer::new(200))),
        Err(ApiError::UnknownIncoming(id))
    );
}
