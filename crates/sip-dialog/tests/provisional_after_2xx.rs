//! Reordering: the callee's 180 is overtaken by its 200. The caller's INVITE transaction,
//! already Accepted (RFC 6026), absorbs the late 180: the application never hears it and
//! the dialog stays confirmed.

use std::time::Duration;

use sip_dialog::DialogState;
use sip_testkit::{DialogLog, Fate, dialog};
use sip_transaction::Transport;

const ALICE: usize = 0;
const BOB: usize = 1;

#[test]
fn late_180_is_absorbed_and_the_dialog_stays_confirmed() {
    let mut s = dialog::alice_and_bob(0);
    s.network_mut().set_latency(Duration::from_millis(10));
    s.network_mut().add_filter(|w| {
        if w.is("SIP/2.0 180") {
            Fate::Delay(Duration::from_millis(50))
        } else {
            Fate::Deliver
        }
    });
    s.on_event(BOB, dialog::answer_invites(&[180, 200]));
    let req = dialog::initial(&s, ALICE, BOB, Transport::Udp);
    let call = s
        .with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    s.run_until_ms(1_000);

    // Sent in order at 10 ms; the 180 arrives at 70, after the 200 (20) and the ACK.
    let bob_sent: Vec<_> = s
        .sent(BOB, "SIP/2.0", "INVITE")
        .map(|w| (w.at_ms, w.line.clone()))
        .collect();
    assert_eq!(
        bob_sent,
        [
            (10, "SIP/2.0 100 Trying".to_owned()),
            (10, "SIP/2.0 180 Ringing".to_owned()),
            (10, "SIP/2.0 200 OK".to_owned()),
        ]
    );
    let late = s.sent(BOB, "SIP/2.0 180", "").next().expect("180");
    assert_eq!(late.arrivals, [s.at_ms(70)]);
    assert_eq!(s.sent_at(ALICE, "ACK", ""), [20]);
    assert_eq!(s.statuses(ALICE, call), [100, 200]);
    let a = s.dialog_of(ALICE);
    assert_eq!(s.states(ALICE), [(20, a, DialogState::Confirmed)]);
    // Nothing at all happened at Alice when the 180 came in.
    assert!(s.events_of(ALICE).all(|(t, _)| t == 20));
    assert_eq!(s.sent_at(ALICE, "", "").len(), 2);
}
