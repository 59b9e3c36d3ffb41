//! Calls over a link with the network's own seeded impairments (20% loss, 10% duplication,
//! up to 80 ms of jitter, 10% of datagrams held back 250 ms): every call is set up,
//! re-INVITEd and torn down by the layers' retransmissions, and a seed replays its run
//! exactly, message for message and event for event.

use std::time::Duration;

use sip_dialog::{DialogEvent, DialogLayer, DialogState, TerminationReason};
use sip_message::Method;
use sip_testkit::{DialogLog, LinkRules, Scenario, dialog};
use sip_transaction::Transport;

const ALICE: usize = 0;
const BOB: usize = 1;

fn run(seed: u64) -> Scenario<DialogLayer> {
    let mut s = dialog::alice_and_bob(seed);
    s.network_mut().set_rules(LinkRules {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(80),
        loss: 0.2,
        duplicate: 0.1,
        reorder: 0.1,
        reorder_delay: Duration::from_millis(250),
        segment_size: None,
    });
    s.on_event(ALICE, dialog::answer_invites(&[200]));
    s.on_event(BOB, dialog::answer_invites(&[180, 200]));
    let req = dialog::initial(&s, ALICE, BOB, Transport::Udp).body(dialog::sdp(1));
    s.with(ALICE, |ua, now| ua.invite(now, req))
        .expect("invite");
    s.run_until_ms(35_000);
    let (a, b) = (s.dialog_of(ALICE), s.dialog_of(BOB));
    assert_eq!(
        s.engine(ALICE).dialog(a).map(|d| d.state()),
        Some(DialogState::Confirmed),
        "seed {seed}"
    );
    s.with(BOB, |ua, now| ua.reinvite(now, b, Some(dialog::sdp(2))))
        .expect("reinvite");
    s.run_until_ms(45_000);
    s.with(ALICE, |ua, now| ua.bye(now, a)).expect("bye");
    s.run_until_ms(250_000);
    s
}

#[test]
fn calls_complete_over_a_seeded_lossy_link() {
    for seed in 0..40 {
        let s = run(seed);
        let end = |node| s.states(node).last().map(|(_, _, st)| *st);
        assert_eq!(
            end(ALICE),
            Some(DialogState::Terminated(TerminationReason::LocalBye)),
            "seed {seed}"
        );
        assert_eq!(
            end(BOB),
            Some(DialogState::Terminated(TerminationReason::RemoteBye)),
            "seed {seed}"
        );
        // Each application saw each INVITE once, however often it crossed the wire.
        let invites = |node| {
            s.events_of(node)
                .filter(|(_, e)| matches!(e, DialogEvent::Request { request, .. } if *request.method() == Method::Invite))
                .count()
        };
        assert_eq!((invites(ALICE), invites(BOB)), (1, 1), "seed {seed}");
        assert_eq!(s.engine(ALICE).dialog_count(), 0, "seed {seed}");
        assert_eq!(s.engine(BOB).dialog_count(), 0, "seed {seed}");
    }
}

#[test]
fn a_seed_replays_its_run_exactly() {
    for seed in [1, 7, 23] {
        let trace = run(seed).render(true);
        assert_eq!(trace, run(seed).render(true), "seed {seed}");
        assert_ne!(trace, run(seed + 100).render(true), "seed {seed}");
        assert!(trace.contains("dropped by link"), "seed {seed}: {trace}");
    }
}
