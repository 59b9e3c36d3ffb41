//! Stateless answers to requests that did not parse: the headers a response needs are copied
//! line by line from the raw bytes, since there is no parsed message to copy them from.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use sip_message::header::Via;
use sip_message::validate::Rejection;
use sip_message::{HeaderName, TypedHeader};

/// A response to an unparseable request, and its raw top Via value for routing.
#[derive(Debug, Clone)]
pub struct StatelessReply {
    /// The printed response.
    pub bytes: Bytes,
    /// The first Via value of the request, as received.
    pub top_via: String,
}

impl StatelessReply {
    /// The decoded top Via (for [`crate::routing::response_target`]).
    pub fn via(&self) -> Option<Via<'_>> {
        Via::decode(&self.top_via).ok()
    }
}

/// Builds the response `rejection` calls for from the raw bytes of a request that failed to
/// parse: status line, every Via line, From, To (with a tag added, RFC 3261 §8.2.6.2), Call-ID
/// and CSeq copied as received, a `Warning: 399` with the detail, the rejection's extra header,
/// and `Content-Length: 0`. `None` when the request has no Via to answer to.
pub fn stateless_reply(raw: &[u8], rejection: &Rejection) -> Option<StatelessReply> {
    let head_end = memfind(raw, b"\r\n\r\n").unwrap_or(raw.len());
    let head = &raw[..head_end];
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    // Skip leading empty lines and the start line.
    lines.by_ref().find(|l| !l.is_empty())?;
    let mut out = BytesMut::with_capacity(256 + head.len().min(2048));
    out.put_slice(b"SIP/2.0 ");
    out.put_slice(rejection.status.to_string().as_bytes());
    out.put_u8(b' ');
    out.put_slice(rejection.reason.as_bytes());
    out.put_slice(b"\r\n");
    let mut top_via = None;
    let mut copying: Option<HeaderName> = None;
    for line in lines {
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            // A folded continuation of the previous header.
            if copying.is_some() {
                out.put_slice(b" ");
                out.put_slice(line.trim_ascii());
            }
            continue;
        }
        if copying.is_some() {
            finish_line(&mut out, copying);
        }
        copying = None;
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = HeaderName::from_bytes(line[..colon].trim_ascii());
        let value = line[colon + 1..].trim_ascii();
        let keep = matches!(
            name,
            HeaderName::Via | HeaderName::From | HeaderName::To | HeaderName::CallId
        ) || name == HeaderName::CSeq;
        if !keep || value.iter().any(|&b| b < 0x20 && b != b'\t') {
            continue;
        }
        if name == HeaderName::Via && top_via.is_none() {
            let v = std::str::from_utf8(value).ok()?;
            top_via = Some(crate::routing::split_first_element(v).0.to_owned());
        }
        out.put_slice(name.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value);
        copying = Some(name);
    }
    if copying.is_some() {
        finish_line(&mut out, copying);
    }
    let top_via = top_via?;
    let detail: String = rejection
        .detail
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .take(200)
        .collect();
    out.put_slice(format!("Warning: 399 carillon \"{detail}\"\r\n").as_bytes());
    if let Some((name, value)) = &rejection.extra {
        out.put_slice(format!("{}: {value}\r\n", name.as_str()).as_bytes());
    }
    out.put_slice(b"Content-Length: 0\r\n\r\n");
    Some(StatelessReply {
        bytes: out.freeze(),
        top_via,
    })
}

/// Ends a copied header line, adding a To tag if the To has none.
fn finish_line(out: &mut BytesMut, name: Option<HeaderName>) {
    if name == Some(HeaderName::To) {
        let start = out.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let has_tag = out[start..]
            .windows(5)
            .any(|w| w.eq_ignore_ascii_case(b";tag="));
        if !has_tag {
            out.put_slice(format!(";tag={}", stateless_tag()).as_bytes());
        }
    }
    out.put_slice(b"\r\n");
}

/// A To tag for stateless replies: unique within the process, which is all RFC 3261 §19.3
/// needs for a response no dialog will follow.
fn stateless_tag() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!(
        "sl{:x}",
        t.rotate_left(17) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    )
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_message::ParseError;
    use sip_message::validate::reject_parse_error;

    #[test]
    fn reply_copies_the_dialog_headers_and_adds_a_to_tag() {
        let raw = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport, SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-0\r\n\
f: <sip:b@127.0.0.1>;tag=x\r\nTo: <sip:a@127.0.0.1>\r\ni: c1\r\nCSeq: 1 OPTIONS\r\n\
Broken header\r\nContent-Length: 0\r\n\r\n";
        let rej = reject_parse_error(
            raw,
            &ParseError::HeaderLine {
                line: 7,
                reason: "no colon",
            },
        )
        .expect("a request is answered");
        let r = stateless_reply(raw, &rej).expect("reply");
        let text = std::str::from_utf8(&r.bytes).expect("utf8");
        assert!(text.starts_with("SIP/2.0 400 Bad Request\r\n"), "{text}");
        assert!(
            text.contains("\r\nFrom: <sip:b@127.0.0.1>;tag=x\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nTo: <sip:a@127.0.0.1>;tag=sl"), "{text}");
        assert!(text.contains("\r\nCall-ID: c1\r\n"), "{text}");
        assert!(text.contains("\r\nCSeq: 1 OPTIONS\r\n"), "{text}");
        assert!(!text.contains("Broken"), "{text}");
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"), "{text}");
        assert_eq!(
            r.top_via,
            "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport"
        );
        assert_eq!(r.via().expect("via").port(), Some(5070));
        let parsed = sip_message::Message::parse(r.bytes.clone()).expect("reply parses");
        assert_eq!(parsed.as_response().expect("response").status(), 400);
    }

    #[test]
    fn no_via_no_reply() {
        let raw = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n";
        let rej = reject_parse_error(raw, &ParseError::Unterminated).expect("rejection");
        assert!(stateless_reply(raw, &rej).is_none());
    }
}
