//! Malformed input gives an error naming the line, and never a panic.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use sdp::{ParseError, SessionDescription};

fn error(text: &[u8]) -> ParseError {
    SessionDescription::parse(text).unwrap_err()
}

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n";

#[test]
fn bad_port_names_line_and_field() {
    let e = error(format!("{HEAD}t=0 0\r\nm=audio x RTP/AVP 0\r\n").as_bytes());
    assert_eq!(e.to_string(), "line 5: m= line: port is not a number");
    assert_eq!(e.line(), Some(5));
}

#[test]
fn missing_mandatory_lines_are_errors() {
    assert_eq!(
        error(b"o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"),
        ParseError::Missing { kind: 'v' }
    );
    assert_eq!(error(b"v=0\r\ns=-\r\n"), ParseError::Missing { kind: 'o' });
    assert_eq!(
        error(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"),
        ParseError::Missing { kind: 's' }
    );
    assert_eq!(error(b""), ParseError::Missing { kind: 'v' });
    assert_eq!(
        error(b"v=0\r\no=- 1 1 IN IP4 x\r\nm=audio 1 RTP/AVP 0\r\ns=-\r\n").to_string(),
        "missing s= line"
    );
}

#[test]
fn invalid_utf8_names_the_line() {
    let mut input = format!("{HEAD}t=0 0\r\n").into_bytes();
    input.extend_from_slice(b"i=caf\xe9\r\n");
    assert_eq!(error(&input), ParseError::InvalidUtf8 { line: 5 });
    assert_eq!(error(&input).to_string(), "line 5: not valid UTF-8");
}

#[test]
fn line_without_type_and_equals_is_malformed() {
    assert_eq!(
        error(b"v=0\r\nhello\r\n"),
        ParseError::MalformedLine { line: 2 }
    );
    assert_eq!(
        error(b"v=0\r\n=x\r\n"),
        ParseError::MalformedLine { line: 2 }
    );
    assert_eq!(
        error(b"v=0\r\n1=x\r\n"),
        ParseError::MalformedLine { line: 2 }
    );
}

#[test]
fn line_numbers_count_blank_lines() {
    let e = error(b"v=0\n\no=- x 1 IN IP4\n");
    assert_eq!(e.line(), Some(3));
}

#[test]
fn duplicate_origin_is_an_error() {
    let e = error(format!("{HEAD}o=- 2 2 IN IP4 192.0.2.2\r\n").as_bytes());
    assert_eq!(e, ParseError::Duplicate { line: 4, kind: 'o' });
    assert_eq!(e.to_string(), "line 4: duplicate o= line");
}

#[test]
fn malformed_typed_lines_name_what_is_wrong() {
    let cases = [
        ("v=zero\r\n", "line 1: v= line: version is not a number"),
        (
            "v=0\r\no=- 1 x IN IP4 h\r\n",
            "line 2: o= line: sess-version is not a number",
        ),
        (
            "v=0\r\no=- 1 1 IN IP4\r\n",
            "line 2: o= line: expected <username> <sess-id> <sess-version> <nettype> <addrtype> <address>",
        ),
        (
            "v=0\r\nc=IN IP4\r\n",
            "line 2: c= line: expected <nettype> <addrtype> <connection-address>",
        ),
        (
            "v=0\r\nb=AS\r\n",
            "line 2: b= line: expected <bwtype>:<bandwidth>",
        ),
        (
            "v=0\r\nb=AS:lots\r\n",
            "line 2: b= line: bandwidth is not a number",
        ),
        (
            "v=0\r\nt=now 0\r\n",
            "line 2: t= line: start time is not a number",
        ),
        (
            "v=0\r\nt=0 0\r\nr=1w 1h\r\n",
            "line 3: r= line: invalid typed time",
        ),
        (
            "v=0\r\nt=0 0\r\nr=1d\r\n",
            "line 3: r= line: missing active duration",
        ),
        (
            "v=0\r\nz=1 -1h 2\r\n",
            "line 2: z= line: expected pairs of <adjustment time> <offset>",
        ),
        (
            "v=0\r\nm=audio 1/x RTP/AVP 0\r\n",
            "line 2: m= line: port count is not a number",
        ),
        ("v=0\r\nm=audio 1\r\n", "line 2: m= line: missing proto"),
        (
            "v=0\r\nm=audio 1 RTP/AVP 0\r\nc=IN\r\n",
            "line 3: c= line: expected <nettype> <addrtype> <connection-address>",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(error(input.as_bytes()).to_string(), expected, "{input:?}");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = SessionDescription::parse(&input);
    }

    #[test]
    fn arbitrary_sdp_shaped_lines_never_panic_and_reprint_stably(
        lines in proptest::collection::vec(("[a-zA-Z0-9=]{0,2}", "[ -~]{0,40}"), 0..24),
        lf in any::<bool>(),
    ) {
        let ending = if lf { "\n" } else { "\r\n" };
        let mut text = String::from("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n");
        for (kind, value) in &lines {
            text.push_str(kind);
            text.push_str(value);
            text.push_str(ending);
        }
        if let Ok(sdp) = SessionDescription::parse(text.as_bytes()) {
            // Whatever was accepted must print to something that parses to
            // the same content.
            let printed = sdp.to_string();
            let again = SessionDescription::parse(printed.as_bytes()).unwrap();
            prop_assert_eq!(&again, &sdp);
            prop_assert_eq!(again.to_string(), printed);
        }
    }
}

#[test]
fn a_carriage_return_inside_a_line_is_rejected() {
    // Found by the sdp fuzz target (fuzz/regressions/sdp-trailing-cr-in-value): a value that
    // kept a CR could not be printed and parsed back to the same description.
    let input = b"v=0\no=- 3 3 II .\ns=\r\r";
    assert!(sdp::SessionDescription::parse(input).is_err());
    let input = b"v=0\r\no=- 3 3 IN IP4 127.0.0.1\r\ns=a\rb\r\nt=0 0\r\n";
    assert!(sdp::SessionDescription::parse(input).is_err());
}
