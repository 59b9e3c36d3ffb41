//! Session timers (RFC 4028): the refresher refreshes at half the interval; without refreshes
//! the other side sends BYE at the interval minus min(32 s, interval/3); an interval below
//! the UAS's Min-SE is answered 422 and retried.

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Fate, Net, sdp};
use sip_dialog::{Answer, DialogEvent, DialogState, RefreshMethod, TerminationReason, TimeoutKind};
use sip_message::Method;
use sip_message::header::{MinSe, SessionExpires};

fn answer_invites(net: &mut Net, node: usize) {
    net.on_event(node, |ua, now, ev| {
        if let DialogEvent::Request { id, request, .. } = ev {
            if *request.method() == Method::Invite {
                ua.answer(now, *id, Answer::new(200).body(sdp(1)))
                    .expect("200");
            }
        }
    });
}

fn refreshes(net: &Net, node: usize) -> Vec<(u64, Duration, bool)> {
    net.events_of(node)
        .filter_map(|(t, e)| match e {
            DialogEvent::SessionRefreshed {
                interval,
                local_refresher,
                ..
            } => Some((t, *interval, *local_refresher)),
            _ => None,
        })
        .collect()
}

#[test]
fn refresher_refreshes_and_the_other_side_ends_an_unrefreshed_session() {
    let mut net = Net::pair();
    answer_invites(&mut net, BOB);
    // After the first refresh, every UPDATE from Alice is lost.
    net.set_fate(|w| {
        if w.is("UPDATE") && w.from == ALICE && w.nth >= 1 {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let req = net.initial(ALICE, BOB).body(sdp(1)).session_expires(90);
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(200_000);

    // Bob grants 90 s with Alice (who supports timers) as the refresher.
    let ok = net
        .sent(BOB, "SIP/2.0 200", "INVITE")
        .next()
        .expect("200")
        .message();
    let se = ok
        .headers()
        .typed::<SessionExpires<'_>>()
        .expect("Session-Expires");
    assert_eq!(se.delta_seconds(), 90);
    assert_eq!(se.refresher(), Some(sip_message::header::Refresher::Uac));
    assert!(
        ok.headers()
            .get_all(sip_message::HeaderName::Require)
            .any(|r| r == b"timer")
    );
    let (a, b) = (net.dialog_of(ALICE), net.dialog_of(BOB));
    assert_eq!(
        net.ua(BOB).dialog(b).and_then(|d| d.session_timer()),
        None,
        "ended"
    );

    // Alice refreshes with UPDATE (Bob allows it) at half the interval; Bob answers it.
    let updates: Vec<u64> = net.sent_at(ALICE, "UPDATE", "");
    assert_eq!(updates[..2], [45_000, 90_000]);
    assert_eq!(net.sent_at(BOB, "SIP/2.0 200", "UPDATE"), [45_000]);
    let s90 = Duration::from_secs(90);
    assert_eq!(
        refreshes(&net, ALICE),
        [(0, s90, true), (45_000, s90, true)]
    );
    assert_eq!(
        refreshes(&net, BOB),
        [(0, s90, false), (45_000, s90, false)]
    );
    // No refresh after 45 s: Bob sends BYE 90 - min(32, 30) = 60 s later.
    assert_eq!(net.sent_at(BOB, "BYE", ""), [105_000]);
    assert!(net.events_of(BOB).any(|(t, e)| t == 105_000
        && matches!(e, DialogEvent::Timeout(TimeoutKind::Session(d)) if *d == b)));
    assert_eq!(
        net.states(BOB).last().copied(),
        Some((
            105_000,
            b,
            DialogState::Terminated(TerminationReason::SessionExpired)
        ))
    );
    assert_eq!(
        net.states(ALICE).last().copied(),
        Some((
            105_000,
            a,
            DialogState::Terminated(TerminationReason::RemoteBye)
        ))
    );
}

#[test]
fn refresh_with_reinvite_when_so_configured() {
    let mut net = Net::new();
    net.add_ua("alice", 1, |c| {
        if let Some(st) = &mut c.session_timer {
            st.refresh = RefreshMethod::Invite;
        }
    });
    net.add_ua("bob", 2, |_| {});
    answer_invites(&mut net, BOB);
    let req = net.initial(ALICE, BOB).body(sdp(1)).session_expires(120);
    net.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(130_000);
    let in_dialog: Vec<u64> = net
        .sent(ALICE, "INVITE", "")
        .filter(|w| w.request().to().is_ok_and(|t| t.tag().is_some()))
        .map(|w| w.at_ms)
        .collect();
    assert_eq!(in_dialog, [60_000, 120_000]);
    // The refresh re-INVITE carries the last session description sent.
    let refresh = net
        .sent(ALICE, "INVITE", "")
        .nth(1)
        .expect("refresh")
        .request();
    assert_eq!(refresh.body(), sdp(1).bytes());
    let se = refresh
        .headers()
        .typed::<SessionExpires<'_>>()
        .expect("Session-Expires");
    assert_eq!(
        (se.delta_seconds(), se.refresher()),
        (120, Some(sip_message::header::Refresher::Uac))
    );
    let s120 = Duration::from_secs(120);
    assert_eq!(
        refreshes(&net, ALICE),
        [(0, s120, true), (60_000, s120, true), (120_000, s120, true)]
    );
    assert!(net.sent(BOB, "BYE", "").next().is_none());
}

#[test]
fn interval_too_small_is_answered_422_and_retried() {
    let mut net = Net::new();
    net.add_ua("alice", 1, |_| {});
    net.add_ua("bob", 2, |c| {
        if let Some(st) = &mut c.session_timer {
            st.min_se = 300;
        }
    });
    answer_invites(&mut net, BOB);
    let req = net.initial(ALICE, BOB).body(sdp(1)).session_expires(90);
    let call = net
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    net.run_until(1000);

    assert_eq!(net.sent_at(BOB, "SIP/2.0 422", ""), [0]);
    let r422 = net
        .sent(BOB, "SIP/2.0 422", "")
        .next()
        .expect("422")
        .message();
    assert_eq!(
        r422.headers()
            .typed::<MinSe<'_>>()
            .map(|m| m.delta_seconds()),
        Ok(300)
    );
    let invites: Vec<_> = net.sent(ALICE, "INVITE", "").map(|w| w.request()).collect();
    assert_eq!(invites.len(), 2);
    assert_eq!(invites[1].cseq().expect("cseq").seq(), 2);
    assert_eq!(
        invites[1]
            .headers()
            .typed::<SessionExpires<'_>>()
            .map(|s| s.delta_seconds()),
        Ok(300)
    );
    assert!(net.events_of(ALICE).any(|(_, e)| matches!(
        e,
        DialogEvent::Retrying { request, status: 422, .. } if *request == call
    )));
    assert_eq!(net.statuses(ALICE, call), [100, 100, 200]);
    let a = net.dialog_of(ALICE);
    assert_eq!(
        net.ua(ALICE).dialog(a).and_then(|d| d.session_timer()),
        Some((300, true))
    );
}
