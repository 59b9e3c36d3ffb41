//! Line folding: values are reported without the folds around them, lines are printed as received.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use sip_message::{HeaderName, Message};

#[test]
fn folded_values_neither_start_nor_end_with_a_fold() {
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nSubject:\r\n  folded\r\n   value\r\nX: y\r\n \r\nContent-Length: 0\r\n\r\n";
    let m = Message::parse(Bytes::from_static(raw)).unwrap();
    assert_eq!(
        m.headers().get(HeaderName::Subject),
        Some(&b"folded\r\n   value"[..])
    );
    assert_eq!(m.headers().get_by_name("X"), Some(&b"y"[..]));
    assert_eq!(
        m.to_bytes().as_ref(),
        &raw[..],
        "the lines themselves are kept byte for byte"
    );
}
