//! `Contact: *` (RFC 3261 §10.3 step 6): only alone and with `Expires: 0`; removes every
//! binding unless one of them is newer from the same Call-ID.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

fn all_bindings() -> Vec<sip_registrar::Binding> {
    [
        registered("sip:alice@192.0.2.4", "c1", 5, 1000),
        registered("sip:alice@192.0.2.5", "c2", 9, 1000),
    ]
    .concat()
}

#[test]
fn wildcard_with_expires_zero_removes_every_binding() {
    let r = reg("c3", 1).contact("*").header("Expires: 0").build();
    assert!(updated(run(&r, 1100, &all_bindings())).is_empty());
}

#[test]
fn wildcard_without_expires_zero_is_a_bad_request() {
    let r = reg("c3", 1).contact("*").build();
    assert_eq!(rejected(run(&r, 1100, &all_bindings())).status, 400);
    let r = reg("c3", 1).contact("*").header("Expires: 3600").build();
    assert_eq!(rejected(run(&r, 1100, &all_bindings())).status, 400);
}

#[test]
fn wildcard_with_another_contact_is_a_bad_request() {
    let r = reg("c3", 1)
        .contact("*")
        .contact("<sip:alice@192.0.2.4>")
        .header("Expires: 0")
        .build();
    assert_eq!(rejected(run(&r, 1100, &all_bindings())).status, 400);
    let r = reg("c3", 1)
        .header("Contact: <sip:alice@192.0.2.4>, *")
        .header("Expires: 0")
        .build();
    assert_eq!(rejected(run(&r, 1100, &all_bindings())).status, 400);
}

#[test]
fn wildcard_from_the_same_call_id_needs_a_higher_cseq() {
    // Binding c2 was made with CSeq 9: a wildcard from c2 with CSeq 9 or lower is older.
    for cseq in [8, 9] {
        let r = reg("c2", cseq).contact("*").header("Expires: 0").build();
        let rej = rejected(run(&r, 1100, &all_bindings()));
        assert_eq!(rej.status, 500, "CSeq {cseq}");
    }
    let r = reg("c2", 10).contact("*").header("Expires: 0").build();
    assert!(updated(run(&r, 1100, &all_bindings())).is_empty());
}

#[test]
fn wildcard_from_another_call_id_ignores_cseq() {
    let r = reg("other", 1).contact("*").header("Expires: 0").build();
    assert!(updated(run(&r, 1100, &all_bindings())).is_empty());
}

#[test]
fn expired_bindings_do_not_block_a_wildcard() {
    // c2's binding ended at 4600; a late wildcard from c2 with a lower CSeq still works.
    let r = reg("c2", 1).contact("*").header("Expires: 0").build();
    assert!(updated(run(&r, 5000, &all_bindings())).is_empty());
}
