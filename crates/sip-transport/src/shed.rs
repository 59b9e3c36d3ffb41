//! Shedding before parsing: when the core is far behind, the receive path drops requests that
//! would start new work, looking only at the raw bytes, so that it keeps reading the socket as
//! fast as datagrams arrive. Otherwise the kernel drops datagrams at random when its socket
//! buffer overflows, and a BYE ending an established call is as likely to be lost as the new
//! INVITE that caused the overload.

use sip_message::HeaderName;

/// Whether `raw` is a request that starts new work: not a response, not ACK, BYE or CANCEL
/// (they finish work already accepted), and no tag on its To header (a request inside a
/// dialog carries one). When unsure (the message is malformed enough that the parser will
/// reject it anyway) it answers `true` only if it saw a request line, never for a response.
pub(crate) fn starts_new_work(raw: &[u8]) -> bool {
    let Some(method_end) = raw.iter().position(|&b| b == b' ') else {
        return false;
    };
    let method = &raw[..method_end];
    if method.starts_with(b"SIP/") || matches!(method, b"ACK" | b"BYE" | b"CANCEL") {
        return false;
    }
    match to_header(raw) {
        Some(value) => !has_tag(value),
        None => true,
    }
}

/// The value of the To header (full or compact name), with any folded continuation lines, or
/// `None` when the header section has none.
fn to_header(raw: &[u8]) -> Option<&[u8]> {
    let mut lines = line_spans(raw).skip(1); // past the request line
    while let Some((start, end)) = lines.next() {
        let line = &raw[start..end];
        if line.is_empty() {
            return None;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if HeaderName::from_bytes(line[..colon].trim_ascii()) != HeaderName::To {
            continue;
        }
        // Folded lines (starting with a space or tab) belong to the same header.
        let folded = lines.take_while(|&(s, _)| matches!(raw.get(s), Some(b' ' | b'\t')));
        let value_end = folded.last().map_or(end, |(_, e)| e);
        return Some(&raw[start + colon + 1..value_end]);
    }
    None
}

/// Whether a To header value carries a `tag` parameter: a header parameter, so after the
/// closing `>` of a name-addr, or anywhere after the address when there are no brackets.
fn has_tag(value: &[u8]) -> bool {
    let params = match value.iter().rposition(|&b| b == b'>') {
        Some(gt) => &value[gt + 1..],
        None => value,
    };
    params.split(|&b| b == b';').skip(1).any(|p| {
        let name = p.split(|&b| b == b'=').next().unwrap_or_default();
        name.trim_ascii().eq_ignore_ascii_case(b"tag")
    })
}

/// Where each line of a message starts and ends, its CRLF or bare LF left out.
fn line_spans(raw: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at;
        if start >= raw.len() {
            return None;
        }
        let nl = raw[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| start + i);
        at = nl + 1;
        let end = if nl > start && raw[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        Some((start, end))
    })
}

#[cfg(test)]
mod tests {
    use super::starts_new_work;

    fn request(method: &str, to: &str) -> String {
        format!(
            "{method} sip:bob@example.org SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n\
             From: <sip:alice@example.org>;tag=a1\r\n{to}\r\nCall-ID: c1\r\nCSeq: 1 {method}\r\n\
             Content-Length: 0\r\n\r\n"
        )
    }

    #[test]
    fn new_invite_message_and_register_start_new_work() {
        for method in ["INVITE", "MESSAGE", "REGISTER", "OPTIONS", "SUBSCRIBE"] {
            let r = request(method, "To: <sip:bob@example.org>");
            assert!(starts_new_work(r.as_bytes()), "{method}");
        }
    }

    #[test]
    fn responses_ack_bye_and_cancel_never_do() {
        let resp = "SIP/2.0 200 OK\r\nTo: <sip:bob@example.org>\r\n\r\n";
        assert!(!starts_new_work(resp.as_bytes()));
        for method in ["ACK", "BYE", "CANCEL"] {
            let r = request(method, "To: <sip:bob@example.org>");
            assert!(!starts_new_work(r.as_bytes()), "{method}");
        }
    }

    #[test]
    fn a_request_with_a_to_tag_is_inside_a_dialog() {
        for to in [
            "To: <sip:bob@example.org>;tag=b2",
            "to:<sip:bob@example.org> ; TAG = b2",
            "t: sip:bob@example.org;tag=b2",
            "To: \"Bob; tag=x\" <sip:bob@example.org>;x=1;tag=b2",
            "To: <sip:bob@example.org>\r\n ;tag=b2",
        ] {
            let r = request("INFO", to);
            assert!(!starts_new_work(r.as_bytes()), "{to:?}");
        }
    }

    #[test]
    fn a_tag_inside_the_uri_is_not_a_dialog_tag() {
        for to in [
            "To: <sip:bob@example.org;tag=x>",
            "To: \"Bob;tag=x\" <sip:bob@example.org>",
            "Totally: x;tag=1\r\nTo: <sip:bob@example.org>",
        ] {
            let r = request("INVITE", to);
            assert!(starts_new_work(r.as_bytes()), "{to:?}");
        }
    }

    #[test]
    fn the_body_is_not_read_as_headers() {
        let r = "MESSAGE sip:bob@example.org SIP/2.0\r\nContent-Length: 14\r\n\r\nTo: x;tag=1\r\n";
        assert!(starts_new_work(r.as_bytes()));
    }

    #[test]
    fn garbage_without_a_request_line_is_not_shed_here() {
        assert!(!starts_new_work(b""));
        assert!(!starts_new_work(b"\r\n\r\n"));
    }
}
