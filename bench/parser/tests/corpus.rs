//! The corpus is valid: CRLF framing, exact Content-Length, and rsip and
//! rsipstack (and Carillon, with the `carillon` feature) parse every message
//! and read the expected Call-ID and body through the benchmarked code.

#![allow(clippy::expect_used, reason = "tests fail by panicking")]

#[path = "../benches/common/mod.rs"]
mod common;

use parser_bench::{CORPUS, Sample};

/// Splits a message into its header lines (start line first) and its body,
/// checking that every line of the header section ends in CRLF.
fn split(sample: &Sample) -> (Vec<&str>, &[u8]) {
    let bytes = sample.bytes;
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{}: no CRLF CRLF after the headers", sample.name));
    let head = std::str::from_utf8(&bytes[..end])
        .unwrap_or_else(|e| panic!("{}: header section is not UTF-8: {e}", sample.name));
    for (i, line) in head.split("\r\n").enumerate() {
        assert!(
            !line.contains('\n'),
            "{}: line {} has a bare LF",
            sample.name,
            i + 1
        );
        assert!(
            !line.contains('\r'),
            "{}: line {} has a bare CR",
            sample.name,
            i + 1
        );
        assert!(
            !line.is_empty(),
            "{}: empty line {} in the headers",
            sample.name,
            i + 1
        );
    }
    (head.split("\r\n").collect(), &bytes[end + 4..])
}

/// The single Content-Length value of a message (long or compact form).
fn content_length(sample: &Sample, lines: &[&str]) -> usize {
    let values: Vec<&str> = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| {
            let name = name.trim();
            name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l")
        })
        .map(|(_, value)| value.trim())
        .collect();
    assert_eq!(
        values.len(),
        1,
        "{}: expected one Content-Length, got {values:?}",
        sample.name
    );
    values[0]
        .parse()
        .unwrap_or_else(|e| panic!("{}: bad Content-Length {:?}: {e}", sample.name, values[0]))
}

#[test]
fn corpus_is_complete() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("read corpus/")
        .map(|e| {
            e.expect("corpus entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".sip"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CORPUS.iter().map(|s| format!("{}.sip", s.name)).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every corpus/*.sip file is listed in CORPUS and vice versa"
    );
}

#[test]
fn framing_and_content_length_are_exact() {
    for sample in CORPUS {
        let (lines, body) = split(sample);
        let declared = content_length(sample, &lines);
        assert_eq!(
            declared,
            body.len(),
            "{}: Content-Length vs body bytes",
            sample.name
        );
        if !body.is_empty() {
            assert!(
                body.ends_with(b"\r\n") || sample.name == "message",
                "{}",
                sample.name
            );
            let text = std::str::from_utf8(body).expect("bodies are UTF-8");
            // Text bodies use CRLF line endings too.
            assert_eq!(
                text.matches('\n').count(),
                text.matches("\r\n").count(),
                "{}",
                sample.name
            );
        }
    }
}

#[test]
fn rsip_parses_the_corpus() {
    use rsip::prelude::*;
    for sample in CORPUS {
        let (lines, body) = split(sample);
        let msg = common::parse_rsip(sample.bytes)
            .unwrap_or_else(|e| panic!("{}: rsip: {e}", sample.name));
        assert_eq!(
            msg.call_id_header().expect("Call-ID").value(),
            sample.call_id
        );
        assert_eq!(msg.body(), body, "{}: rsip body", sample.name);
        assert_eq!(
            msg.headers().iter().count(),
            lines.len() - 1,
            "{}: rsip headers",
            sample.name
        );
    }
}

#[test]
fn rsipstack_parses_the_corpus() {
    use rsipstack::sip::prelude::*;
    for sample in CORPUS {
        let (lines, body) = split(sample);
        let msg = common::parse_rsipstack(sample.bytes)
            .unwrap_or_else(|e| panic!("{}: rsipstack: {e}", sample.name));
        assert_eq!(
            msg.call_id_header().expect("Call-ID").value(),
            sample.call_id
        );
        let parsed_body = match &msg {
            rsipstack::sip::SipMessage::Request(r) => &r.body,
            rsipstack::sip::SipMessage::Response(r) => &r.body,
        };
        assert_eq!(
            parsed_body.as_slice(),
            body,
            "{}: rsipstack body",
            sample.name
        );
        assert_eq!(
            msg.headers().iter().count(),
            lines.len() - 1,
            "{}: rsipstack headers",
            sample.name
        );
    }
}

#[cfg(feature = "carillon")]
#[test]
fn carillon_parses_the_corpus() {
    for input in common::Input::corpus() {
        let sample = CORPUS
            .iter()
            .find(|s| s.name == input.name)
            .expect("same corpus");
        let msg = common::parse_carillon(&input.bytes)
            .unwrap_or_else(|e| panic!("{}: carillon: {e}", sample.name));
        let (lines, body) = split(sample);
        assert_eq!(msg.call_id().expect("Call-ID"), sample.call_id);
        assert_eq!(&msg.body()[..], body, "{}: carillon body", sample.name);
        assert_eq!(
            msg.headers().len(),
            lines.len() - 1,
            "{}: carillon headers",
            sample.name
        );
    }
}
