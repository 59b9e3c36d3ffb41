//! The notifier's first NOTIFY overtakes its 200 to the SUBSCRIBE: the NOTIFY creates the
//! dialog and the 200 then finds it (RFC 6665 §4.1.2.4).

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Fate, Net};
use sip_dialog::{Answer, Body, DialogEvent, DialogState, NotifyState, SubscriptionStatus};
use sip_message::Method;

#[test]
fn notify_creates_the_dialog() {
    let mut net = Net::pair();
    net.set_latency(Duration::from_millis(10));
    net.on_event(BOB, |ua, now, ev| {
        if let DialogEvent::Request {
            id,
            subscription: Some(sub),
            request,
            ..
        } = ev
        {
            if *request.method() == Method::Subscribe {
                ua.answer(now, *id, Answer::new(202)).expect("202");
                ua.notify(
                    now,
                    *sub,
                    NotifyState::Pending,
                    Some(Body::new("text/plain", "x")),
                )
                .expect("notify");
            }
        }
    });
    // The 202 is held up in the network for 100 ms.
    net.set_fate(|w| {
        if w.is_response(202, "SUBSCRIBE") {
            Fate::Delay(Duration::from_millis(100))
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB);
    let sub = net
        .with(ALICE, |ua, now| {
            ua.subscribe(now, req, "message-summary", 3600)
        })
        .expect("subscribe");
    net.run_until(1000);

    assert_eq!(net.sent_at(BOB, "SIP/2.0 202", ""), [10]);
    assert_eq!(net.sent_at(BOB, "NOTIFY", ""), [10]);
    // Alice answers the NOTIFY before the 202 arrives (at 120).
    assert_eq!(net.sent_at(ALICE, "SIP/2.0 200", "NOTIFY"), [20]);
    let a = net.dialog_of(ALICE);
    assert_eq!(net.states(ALICE), [(20, a, DialogState::Confirmed)]);
    assert_eq!(net.ua(ALICE).dialog_count(), 1, "the 202 found the dialog");
    let pending = SubscriptionStatus::Pending {
        expires: Duration::from_secs(3600),
    };
    let states: Vec<_> = net
        .events_of(ALICE)
        .filter_map(|(t, e)| match e {
            DialogEvent::Subscription {
                subscription,
                dialog,
                state,
            } if *subscription == sub => Some((t, *dialog, state.clone())),
            _ => None,
        })
        .collect();
    // Once from the NOTIFY, once more when the 202 confirms the duration.
    assert_eq!(
        states,
        [
            (20, Some(a), pending.clone()),
            (
                120,
                Some(a),
                SubscriptionStatus::Pending {
                    expires: Duration::from_secs(3600),
                }
            )
        ]
    );
    assert_eq!(
        net.ua(ALICE).subscription(sub).and_then(|s| s.dialog()),
        Some(a)
    );
    // The dialog's remote target and tags come from the NOTIFY.
    let view = net.ua(ALICE).dialog(a).expect("dialog");
    assert_eq!(view.remote_target(), "sip:bob@192.0.2.2:5060");
    assert!(view.is_caller());
    let b = net.dialog_of(BOB);
    let bob_tag = net
        .ua(BOB)
        .dialog(b)
        .expect("dialog")
        .local_tag()
        .to_owned();
    assert_eq!(
        net.ua(ALICE).dialog(a).expect("dialog").remote_tag(),
        bob_tag
    );
}
