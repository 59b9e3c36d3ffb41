//! The parser: what a server does with every datagram before anything else.

use std::hint::black_box;

use bytes::Bytes;
use sip_message::Message;

/// Copies of `bench/parser/corpus`, kept here so that a change to that corpus cannot move
/// this baseline. One unit of work is one message; the set is cycled.
const CORPUS: [&[u8]; 5] = [
    include_bytes!("../corpus/invite_sdp.sip"),
    include_bytes!("../corpus/message.sip"),
    include_bytes!("../corpus/notify_pidf.sip"),
    include_bytes!("../corpus/ok_record_route.sip"),
    include_bytes!("../corpus/register_auth.sip"),
];

/// Parses `n` messages and reads the typed headers every transaction lookup needs.
pub(crate) fn run(n: u64) -> Result<(), String> {
    let corpus: Vec<Bytes> = CORPUS.iter().map(|m| Bytes::from_static(m)).collect();
    for i in 0..n {
        let buf = corpus[(i % corpus.len() as u64) as usize].clone();
        let m = Message::parse(black_box(buf)).map_err(|e| format!("message {i}: {e}"))?;
        let via = m.via().map_err(|e| format!("message {i}: Via: {e}"))?;
        let from = m.from().map_err(|e| format!("message {i}: From: {e}"))?;
        let to = m.to().map_err(|e| format!("message {i}: To: {e}"))?;
        let call_id = m
            .call_id()
            .map_err(|e| format!("message {i}: Call-ID: {e}"))?;
        let cseq = m.cseq().map_err(|e| format!("message {i}: CSeq: {e}"))?;
        black_box((via, from, to, call_id, cseq));
    }
    Ok(())
}
