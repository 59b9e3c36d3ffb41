//! Cutting a byte stream (TCP, TLS) into messages by Content-Length (RFC 3261 §18.3), with the
//! CRLF keep-alives of RFC 5626 §4.4.1 between them.

use memchr::memmem;

use crate::{HeaderName, ParseError, lex};

/// What the front of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// Not enough bytes yet; read more and ask again.
    Incomplete,
    /// A double-CRLF keep-alive ping (answer with a single CRLF pong), `len` octets long.
    Ping {
        /// Octets to consume.
        len: usize,
    },
    /// A single CRLF keep-alive pong, `len` octets long.
    Pong {
        /// Octets to consume.
        len: usize,
    },
    /// A whole message occupies the first `len` octets.
    Message {
        /// Octets to hand to [`crate::Message::parse`].
        len: usize,
    },
}

/// Looks at the front of a stream buffer and says how much of it is the next frame.
///
/// A message without Content-Length is an error on a stream, as is a header section or body
/// larger than `max_message`: the connection should then be closed, since framing is lost.
pub fn next_frame(buf: &[u8], max_message: usize) -> Result<Frame, ParseError> {
    if buf.starts_with(b"\r\n\r\n") {
        return Ok(Frame::Ping { len: 4 });
    }
    if buf.starts_with(b"\r\n") {
        // A lone CRLF could be the start of a ping; wait until we can tell.
        if buf.len() < 4 && b"\r\n\r\n".starts_with(buf) {
            return Ok(Frame::Incomplete);
        }
        return Ok(Frame::Pong { len: 2 });
    }
    let Some(head_end) = memmem::find(buf, b"\r\n\r\n") else {
        if buf.len() > max_message {
            return Err(ParseError::TooLarge { limit: max_message });
        }
        return Ok(Frame::Incomplete);
    };
    let body_start = head_end + 4;
    let mut content_length = None;
    for (line_no, line) in (2..).zip(buf[..head_end].split(|&b| b == b'\n').skip(1)) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let name = &line[..colon];
        let name = &name[..name
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |p| p + 1)];
        if HeaderName::from_bytes(name) != HeaderName::ContentLength {
            continue;
        }
        let value = std::str::from_utf8(&line[colon + 1..]).ok().map(lex::trim);
        let n = value
            .and_then(lex::parse_u32)
            .ok_or_else(|| ParseError::ContentLength {
                line: line_no,
                value: String::from_utf8_lossy(&line[colon + 1..])
                    .trim()
                    .to_owned(),
            })? as usize;
        if content_length.is_some_and(|c| c != n) {
            return Err(ParseError::ContentLengthConflict { line: line_no });
        }
        content_length = Some(n);
    }
    let n = content_length.ok_or(ParseError::MissingContentLength)?;
    let total = body_start
        .checked_add(n)
        .ok_or(ParseError::TooLarge { limit: max_message })?;
    if total > max_message {
        return Err(ParseError::TooLarge { limit: max_message });
    }
    if buf.len() < total {
        return Ok(Frame::Incomplete);
    }
    Ok(Frame::Message { len: total })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nhello";

    #[test]
    fn stream_messages_are_cut_by_content_length() {
        let mut stream = MSG.to_vec();
        stream.extend_from_slice(MSG);
        assert_eq!(
            next_frame(&stream, 65536),
            Ok(Frame::Message { len: MSG.len() })
        );
        assert_eq!(
            next_frame(&MSG[..MSG.len() - 1], 65536),
            Ok(Frame::Incomplete)
        );
        assert_eq!(next_frame(&MSG[..10], 65536), Ok(Frame::Incomplete));
    }

    #[test]
    fn keepalives_are_recognised() {
        assert_eq!(
            next_frame(b"\r\n\r\nINVITE", 100),
            Ok(Frame::Ping { len: 4 })
        );
        assert_eq!(next_frame(b"\r\nINVITE", 100), Ok(Frame::Pong { len: 2 }));
        assert_eq!(next_frame(b"\r\n\r", 100), Ok(Frame::Incomplete));
    }

    #[test]
    fn stream_without_content_length_is_an_error() {
        assert_eq!(
            next_frame(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n", 100),
            Err(ParseError::MissingContentLength)
        );
    }

    #[test]
    fn oversized_and_conflicting_lengths_are_errors() {
        assert!(next_frame(b"A sip:a SIP/2.0\r\nContent-Length: 9999999\r\n\r\n", 1000).is_err());
        assert!(
            next_frame(
                b"A sip:a SIP/2.0\r\nContent-Length: 13\r\nl: 5\r\n\r\n",
                1000
            )
            .is_err()
        );
        assert!(next_frame(b"A sip:a SIP/2.0\r\nContent-Length: -999\r\n\r\n", 1000).is_err());
        assert!(next_frame(&[b'A'; 2000], 1000).is_err());
    }
}
