//! REFER (RFC 3515): the referee accepts, the layer sends the first NOTIFY (100 Trying) of the
//! implicit subscription, the referee reports the outcome with a final sipfrag NOTIFY that
//! ends the subscription; the call's dialog carries on.

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Net, sdp};
use sip_dialog::{Answer, DialogEvent, DialogState, SIPFRAG, SubscriptionEnd, SubscriptionStatus};
use sip_message::header::ReferTo;
use sip_message::{HeaderName, Method};

#[test]
fn refer_with_implicit_subscription() {
    let mut net = Net::pair();
    net.set_latency(Duration::from_millis(10));
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            match request.method() {
                Method::Invite => {
                    ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                        .expect("200");
                }
                Method::Refer => {
                    ua.answer(now, *id, Answer::new(202)).expect("202");
                }
                _ => {}
            }
        }
    });
    let req = net.initial(ALICE, BOB).body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(1000);
    let (a, b) = (net.dialog_of(ALICE), net.dialog_of(BOB));

    let sub = net
        .with(ALICE, |ua, now| ua.refer(now, a, "sip:carol@192.0.2.3"))
        .expect("refer");
    net.run_until(2000);
    let refer = net
        .sent(ALICE, "REFER", "")
        .next()
        .expect("REFER")
        .request();
    assert_eq!(
        refer
            .headers()
            .typed::<ReferTo<'_>>()
            .map(|r| r.uri().as_str()),
        Ok("sip:carol@192.0.2.3")
    );
    let cseq = refer.cseq().expect("cseq").seq();
    assert_eq!(net.sent_at(BOB, "SIP/2.0 202", "REFER"), [1010]);
    // The first NOTIFY goes out with the 202, without the application asking.
    assert_eq!(net.sent_at(BOB, "NOTIFY", ""), [1010]);
    let first = net
        .sent(BOB, "NOTIFY", "")
        .next()
        .expect("NOTIFY")
        .request();
    assert_eq!(
        first.headers().get(HeaderName::Event),
        Some(format!("refer;id={cseq}").as_bytes())
    );
    assert_eq!(
        first.headers().get(HeaderName::SubscriptionState),
        Some(&b"active;expires=60"[..])
    );
    assert_eq!(
        first.headers().get(HeaderName::ContentType),
        Some(SIPFRAG.as_bytes())
    );
    assert_eq!(first.body().as_ref(), b"SIP/2.0 100 Trying\r\n");
    let bob_sub = net.incoming_subscription(BOB, Method::Refer);

    // Bob's call to Carol succeeded.
    net.with(BOB, |ua, now| ua.notify_refer(now, bob_sub, 200))
        .expect("notify");
    net.run_until(3000);
    assert_eq!(net.sent_at(BOB, "NOTIFY", ""), [1010, 2000]);
    let last = net
        .sent(BOB, "NOTIFY", "")
        .last()
        .expect("NOTIFY")
        .request();
    assert_eq!(
        last.headers().get(HeaderName::SubscriptionState),
        Some(&b"terminated;reason=noresource"[..])
    );
    assert_eq!(last.body().as_ref(), b"SIP/2.0 200 OK\r\n");

    let bodies: Vec<(u64, Vec<u8>)> = net
        .events_of(ALICE)
        .filter_map(|(t, e)| match e {
            DialogEvent::Notify {
                subscription,
                dialog,
                request,
            } if *subscription == sub && *dialog == a => Some((t, request.body().to_vec())),
            _ => None,
        })
        .collect();
    assert_eq!(
        bodies,
        [
            (1020, b"SIP/2.0 100 Trying\r\n".to_vec()),
            (2010, b"SIP/2.0 200 OK\r\n".to_vec())
        ]
    );
    let states: Vec<_> = net
        .events_of(ALICE)
        .filter_map(|(t, e)| match e {
            DialogEvent::Subscription { state, .. } => Some((t, state.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [
            (
                1020,
                SubscriptionStatus::Active {
                    expires: Duration::from_secs(60)
                }
            ),
            (
                2010,
                SubscriptionStatus::Terminated(SubscriptionEnd::Notified {
                    reason: Some("noresource".to_owned()),
                    retry_after: None
                })
            )
        ]
    );
    // The call goes on.
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.state()),
        Some(DialogState::Confirmed)
    );
    assert_eq!(
        net.ua(BOB).dialog(b).map(|d| d.state()),
        Some(DialogState::Confirmed)
    );
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.subscriptions().count()),
        Some(0)
    );
}

#[test]
fn rejected_refer_ends_the_subscription() {
    let mut net = Net::pair();
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            match request.method() {
                Method::Invite => {
                    ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                        .expect("200");
                }
                Method::Refer => {
                    ua.answer(now, *id, Answer::new(603)).expect("603");
                }
                _ => {}
            }
        }
    });
    let req = net.initial(ALICE, BOB).body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(100);
    let a = net.dialog_of(ALICE);
    let sub = net
        .with(ALICE, |ua, now| ua.refer(now, a, "sip:carol@192.0.2.3"))
        .expect("refer");
    net.run_until(200);
    assert!(net.events_of(ALICE).any(|(_, e)| matches!(
        e,
        DialogEvent::Subscription {
            subscription,
            state: SubscriptionStatus::Terminated(SubscriptionEnd::Rejected(603)),
            ..
        } if *subscription == sub
    )));
    assert!(net.sent(BOB, "NOTIFY", "").next().is_none());
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.state()),
        Some(DialogState::Confirmed)
    );
}
