//! Subscriptions (RFC 6665): created by SUBSCRIBE, refreshed before expiry, terminated by
//! unsubscribing; expired by the notifier; sharing a dialog with an INVITE usage (RFC 5057).

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Fate, Net, sdp};
use sip_dialog::{
    Answer, Body, DialogEvent, DialogState, NotifyState, SubscriptionEnd, SubscriptionStatus,
    TerminationReason,
};
use sip_message::header::Expires;
use sip_message::{HeaderName, Method};

/// Bob accepts every SUBSCRIBE (granting at most `grant` seconds) and notifies at once:
/// `active` with a body, or `terminated` for an unsubscribe. He answers INVITEs 200.
fn notifier(net: &mut Net, grant: u32) {
    net.on_event(BOB, move |ua, now, ev| {
        let DialogEvent::Request {
            id,
            subscription,
            request,
            ..
        } = ev
        else {
            return;
        };
        match (request.method(), subscription) {
            (Method::Subscribe, Some(sub)) => {
                let asked = request.headers().typed::<Expires>().map_or(3600, |e| e.0);
                ua.answer(now, *id, Answer::new(200).expires(grant))
                    .expect("200");
                let state = if asked == 0 {
                    NotifyState::Terminated {
                        reason: Some("timeout".to_owned()),
                    }
                } else {
                    NotifyState::Active
                };
                ua.notify(
                    now,
                    *sub,
                    state,
                    Some(Body::new("application/pidf+xml", "<presence/>")),
                )
                .expect("notify");
            }
            (Method::Invite, _) => {
                ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                    .expect("200");
            }
            _ => {}
        }
    });
}

fn sub_states(net: &Net, node: usize) -> Vec<(u64, SubscriptionStatus)> {
    net.events_of(node)
        .filter_map(|(t, e)| match e {
            DialogEvent::Subscription { state, .. } => Some((t, state.clone())),
            _ => None,
        })
        .collect()
}

fn expires_of(net: &Net, node: usize) -> Vec<u32> {
    net.sent(node, "SUBSCRIBE", "")
        .map(|w| w.request().headers().typed::<Expires>().expect("Expires").0)
        .collect()
}

#[test]
fn subscribe_refresh_unsubscribe() {
    let mut net = Net::pair();
    notifier(&mut net, 3600);
    let req = net.initial(ALICE, BOB);
    let sub = net
        .with(ALICE, |ua, now| ua.subscribe(now, req, "presence", 600))
        .expect("subscribe");
    net.run_until(650_000);
    // Refreshed 600 - min(32, 200) = 568 s later, and again 568 s after that refresh.
    assert_eq!(net.sent_at(ALICE, "SUBSCRIBE", ""), [0, 568_000]);
    assert_eq!(expires_of(&net, ALICE), [600, 600]);
    assert_eq!(net.sent_at(BOB, "NOTIFY", ""), [0, 568_000]);
    let notify = net
        .sent(BOB, "NOTIFY", "")
        .next()
        .expect("NOTIFY")
        .request();
    assert_eq!(
        notify.headers().get(HeaderName::SubscriptionState),
        Some(&b"active;expires=600"[..])
    );
    assert_eq!(
        notify.headers().get(HeaderName::Event),
        Some(&b"presence"[..])
    );
    let notifies: Vec<u64> = net
        .events_of(ALICE)
        .filter(
            |(_, e)| matches!(e, DialogEvent::Notify { subscription, .. } if *subscription == sub),
        )
        .map(|(t, _)| t)
        .collect();
    assert_eq!(notifies, [0, 568_000]);
    let active = SubscriptionStatus::Active {
        expires: Duration::from_secs(600),
    };
    assert_eq!(
        sub_states(&net, ALICE),
        [
            (0, active.clone()),
            (568_000, active.clone()),
            (568_000, active)
        ]
    );
    assert!(
        net.ua(ALICE)
            .subscription(sub)
            .is_some_and(|s| s.is_active())
    );

    net.with(ALICE, |ua, now| ua.unsubscribe(now, sub))
        .expect("unsubscribe");
    net.run_until(700_000);
    assert_eq!(expires_of(&net, ALICE), [600, 600, 0]);
    let last = net
        .sent(BOB, "NOTIFY", "")
        .last()
        .expect("NOTIFY")
        .request();
    assert_eq!(
        last.headers().get(HeaderName::SubscriptionState),
        Some(&b"terminated;reason=timeout"[..])
    );
    assert_eq!(
        sub_states(&net, ALICE).last().cloned(),
        Some((
            650_000,
            SubscriptionStatus::Terminated(SubscriptionEnd::Notified {
                reason: Some("timeout".to_owned()),
                retry_after: None
            })
        ))
    );
    assert!(net.ua(ALICE).subscription(sub).is_none());
    // The subscription was the dialog's only usage.
    for node in [ALICE, BOB] {
        assert_eq!(
            net.states(node).last().map(|(t, _, s)| (*t, *s)),
            Some((
                650_000,
                DialogState::Terminated(TerminationReason::UsagesEnded)
            ))
        );
    }
    assert_eq!(
        sub_states(&net, BOB),
        [(
            650_000,
            SubscriptionStatus::Terminated(SubscriptionEnd::Local)
        )]
    );
}

#[test]
fn notifier_ends_an_expired_subscription() {
    let mut net = Net::pair();
    notifier(&mut net, 60);
    // Alice's refreshes never arrive.
    net.set_fate(|w| {
        if w.is("SUBSCRIBE") && w.nth >= 1 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB);
    let sub = net
        .with(ALICE, |ua, now| ua.subscribe(now, req, "presence", 3600))
        .expect("subscribe");
    net.run_until(100_000);
    // Granted 60 s: Alice refreshes at 60 - 20 = 40 s (lost, retransmitted).
    assert_eq!(net.sent_at(ALICE, "SUBSCRIBE", "")[..2], [0, 40_000]);
    assert_eq!(net.sent_at(BOB, "NOTIFY", ""), [0, 60_000]);
    let last = net
        .sent(BOB, "NOTIFY", "")
        .last()
        .expect("NOTIFY")
        .request();
    assert_eq!(
        last.headers().get(HeaderName::SubscriptionState),
        Some(&b"terminated;reason=timeout"[..])
    );
    assert_eq!(
        sub_states(&net, BOB),
        [(
            60_000,
            SubscriptionStatus::Terminated(SubscriptionEnd::Expired)
        )]
    );
    // Alice's copy ran out at the same instant, so the final NOTIFY found no subscription.
    assert_eq!(
        sub_states(&net, ALICE).last().cloned(),
        Some((
            60_000,
            SubscriptionStatus::Terminated(SubscriptionEnd::Expired)
        ))
    );
    assert_eq!(net.sent_at(ALICE, "SIP/2.0 481", "NOTIFY"), [60_000]);
    assert!(net.ua(ALICE).subscription(sub).is_none());
}

#[test]
fn subscription_shares_the_dialog_of_a_call() {
    let mut net = Net::pair();
    notifier(&mut net, 3600);
    let req = net.initial(ALICE, BOB).body(sdp(1));
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(100);
    let (a, b) = (net.dialog_of(ALICE), net.dialog_of(BOB));
    let sub = net
        .with(ALICE, |ua, now| {
            ua.subscribe_in_dialog(now, a, "dialog", 3600)
        })
        .expect("subscribe");
    net.run_until(200);
    assert!(
        net.ua(ALICE)
            .subscription(sub)
            .is_some_and(|s| s.is_active())
    );
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.subscriptions().count()),
        Some(1)
    );
    let subscribe = net
        .sent(ALICE, "SUBSCRIBE", "")
        .next()
        .expect("SUBSCRIBE")
        .request();
    assert_eq!(subscribe.cseq().expect("cseq").seq(), 2);

    // Bob hangs up: the session ends, the dialog lives on with the subscription.
    net.with(BOB, |ua, now| ua.bye(now, b)).expect("bye");
    net.run_until(300);
    assert!(net.events_of(ALICE).any(|(t, e)| t == 200
        && matches!(e, DialogEvent::SessionEnded { dialog, reason: TerminationReason::RemoteBye } if *dialog == a)));
    assert!(net.events_of(BOB).any(|(t, e)| t == 200
        && matches!(e, DialogEvent::SessionEnded { dialog, reason: TerminationReason::LocalBye } if *dialog == b)));
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.state()),
        Some(DialogState::Confirmed)
    );
    assert_eq!(
        net.ua(ALICE).dialog(a).map(|d| d.has_session()),
        Some(false)
    );

    net.with(ALICE, |ua, now| ua.unsubscribe(now, sub))
        .expect("unsubscribe");
    net.run_until(400);
    for node in [ALICE, BOB] {
        assert_eq!(
            net.states(node).last().map(|(t, _, s)| (*t, *s)),
            Some((300, DialogState::Terminated(TerminationReason::UsagesEnded)))
        );
    }
}
