//! Shedding before parsing: when the core is far behind, the receive path drops requests that
//! would start new work, looking only at the raw bytes, so that it keeps reading the socket as
//! fast as datagrams arrive. Otherwise the kernel drops datagrams at random when its socket
//! buffer overflows, and a BYE ending an established call is as likely to be lost as the new
//! INVITE that caused the overload.

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
    let mut lines = Lines { rest: raw };
    lines.next()?; // the request line
    while let Some(line) = lines.next() {
        if line.is_empty() {
            return None;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        if name.eq_ignore_ascii_case(b"to") || name.eq_ignore_ascii_case(b"t") {
            let start = line.as_ptr() as usize - raw.as_ptr() as usize + colon + 1;
            let mut end = start + line.len() - colon - 1;
            // Folded lines (starting with a space or tab) belong to the same header.
            while let Some(next) = lines.peek() {
                if !matches!(next.first(), Some(b' ' | b'\t')) {
                    break;
                }
                lines.next();
                end = next.as_ptr() as usize - raw.as_ptr() as usize + next.len();
            }
            return Some(&raw[start..end]);
        }
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

/// Lines of a message ending in CRLF or a bare LF, without their terminators.
struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Lines<'a> {
    fn peek(&self) -> Option<&'a [u8]> {
        Lines { rest: self.rest }.next()
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &self.rest[self.rest.len()..]),
        };
        self.rest = rest;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
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
