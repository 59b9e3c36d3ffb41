//! Out-of-order REGISTERs (RFC 3261 §10.3 step 7): a binding is changed by a request of its
//! own Call-ID only if the CSeq is higher; otherwise the request fails and nothing changes.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[test]
fn same_call_id_higher_cseq_refreshes() {
    let current = registered("sip:alice@192.0.2.4", "c1", 5, 1000);
    let r = reg("c1", 6).contact("<sip:alice@192.0.2.4>").build();
    let b = updated(run(&r, 2000, &current));
    assert_eq!(b.len(), 1);
    assert_eq!((b[0].cseq, b[0].expires_at), (6, 2000 + 3600));
}

#[test]
fn same_call_id_same_or_lower_cseq_fails_with_500() {
    let current = registered("sip:alice@192.0.2.4", "c1", 5, 1000);
    for cseq in [4, 5] {
        let r = reg("c1", cseq).contact("<sip:alice@192.0.2.4>").build();
        let rej = rejected(run(&r, 2000, &current));
        assert_eq!((rej.status, rej.reason), (500, "Out of order REGISTER"));
    }
}

#[test]
fn out_of_order_removal_is_refused_too() {
    let current = registered("sip:alice@192.0.2.4", "c1", 5, 1000);
    let r = reg("c1", 3)
        .contact("<sip:alice@192.0.2.4>;expires=0")
        .build();
    assert_eq!(rejected(run(&r, 2000, &current)).status, 500);
}

#[test]
fn another_call_id_replaces_whatever_its_cseq() {
    let current = registered("sip:alice@192.0.2.4", "c1", 500, 1000);
    let r = reg("c2", 1).contact("<sip:alice@192.0.2.4>").build();
    let b = updated(run(&r, 2000, &current));
    assert_eq!((b[0].call_id.as_str(), b[0].cseq), ("c2", 1));
}

#[test]
fn one_stale_contact_fails_the_whole_request() {
    let current = [
        registered("sip:alice@192.0.2.4", "c1", 5, 1000),
        registered("sip:alice@192.0.2.5", "c9", 50, 1000),
    ]
    .concat();
    // New contact fine, but 192.0.2.5 was stored by c9 at CSeq 50 and this is c9 CSeq 7.
    let r = reg("c9", 7)
        .contact("<sip:alice@192.0.2.6>")
        .contact("<sip:alice@192.0.2.5>")
        .build();
    assert_eq!(rejected(run(&r, 2000, &current)).status, 500);
}

#[test]
fn an_expired_binding_does_not_make_a_request_stale() {
    let current = registered("sip:alice@192.0.2.4", "c1", 5, 1000);
    let r = reg("c1", 1).contact("<sip:alice@192.0.2.4>").build();
    let b = updated(run(&r, 1000 + 3600, &current));
    assert_eq!((b[0].cseq, b[0].created_at), (1, 1000 + 3600));
}
