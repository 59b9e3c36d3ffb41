//! Over a lossy, jittery link that also duplicates and reorders datagrams (the network's
//! seeded rules), retransmissions get a non-INVITE and an INVITE transaction through: each
//! TU hears each request once and each final response once. The same seed replays the same
//! run, message for message.

use std::time::Duration;

use sip_message::Method;
use sip_testkit::{LinkRules, RequestSpec, Scenario, addr, response};
use sip_transaction::{Config, Event, Peer, TransactionLayer};

fn lossy() -> LinkRules {
    LinkRules {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(60),
        loss: 0.2,
        duplicate: 0.1,
        reorder: 0.1,
        reorder_delay: Duration::from_millis(300),
        segment_size: None,
    }
}

/// A MESSAGE (answered 200) and an INVITE (answered 486) from the UAC, over the lossy link;
/// returns the scenario after 70 s.
fn run(seed: u64) -> Scenario<TransactionLayer> {
    let mut s = Scenario::new(seed);
    let uac = s.add_node("uac", addr(1), TransactionLayer::new(Config::default()));
    let uas = s.add_node("uas", addr(2), TransactionLayer::new(Config::default()));
    s.world_mut().set_strict(true);
    s.network_mut().set_rules(lossy());
    s.on_event(uas, |tl, now, ev| {
        if let Event::NewRequest { key, request, .. } = ev {
            let status = if *request.method() == Method::Invite {
                486
            } else {
                200
            };
            tl.respond(now, *key, response(request, status, Some("uas")))
                .expect("respond");
        }
    });
    let bob = Peer::udp(addr(2));
    let message = RequestSpec::new(Method::Message)
        .branch("z9hG4bK-m")
        .build();
    let invite = RequestSpec::new(Method::Invite)
        .branch("z9hG4bK-i")
        .cseq(2)
        .build();
    s.with(uac, |tl, now| tl.start_client(now, message, bob))
        .expect("MESSAGE");
    s.with(uac, |tl, now| tl.start_client(now, invite, bob))
        .expect("INVITE");
    s.run_until_ms(70_000);
    s
}

/// How often `node` reported an event whose summary is `what`.
fn count(s: &Scenario<TransactionLayer>, node: usize, what: &str) -> usize {
    s.events_of(node)
        .filter(|(_, e)| sip_testkit::transaction::describe(e) == what)
        .count()
}

#[test]
fn retransmissions_get_both_transactions_through() {
    let mut lossy_runs = 0;
    for seed in 0..100 {
        let s = run(seed);
        let (uac, uas) = (0, 1);
        assert_eq!(count(&s, uas, "NewRequest MESSAGE"), 1, "seed {seed}");
        assert_eq!(count(&s, uas, "NewRequest INVITE"), 1, "seed {seed}");
        assert_eq!(count(&s, uac, "Response 200"), 1, "seed {seed}");
        assert_eq!(count(&s, uac, "Response 486"), 1, "seed {seed}");
        assert_eq!(
            count(&s, uac, "Timeout B") + count(&s, uac, "Timeout F"),
            0,
            "seed {seed}"
        );
        // The ACK got through: no Timer H.
        assert_eq!(count(&s, uas, "Timeout H"), 0, "seed {seed}");
        // Without loss or duplication: MESSAGE, 200, INVITE, 100, 486, ACK.
        if s.trace().len() > 6 {
            lossy_runs += 1;
        }
        // Everything ended: both layers are empty and asleep.
        assert!(
            s.engine(uac).is_empty() && s.engine(uas).is_empty(),
            "seed {seed}"
        );
    }
    // The link did its job: most runs needed retransmissions.
    assert!(
        lossy_runs > 50,
        "{lossy_runs} of 100 runs lost or duplicated something"
    );
}

#[test]
fn the_same_seed_replays_the_same_run() {
    for seed in [3, 17, 42] {
        let first = run(seed).render(true);
        assert_eq!(first, run(seed).render(true), "seed {seed}");
        assert_ne!(first, run(seed + 1000).render(true), "seed {seed}");
    }
}
