//! The message parser: start line, header lines, and the body framed by Content-Length.

use bytes::Bytes;
use memchr::{memchr, memchr2, memrchr};

use crate::{HeaderName, Headers, Message, Method, ParseError, Request, Response, lex};

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    /// Largest message accepted, in octets.
    pub max_message: usize,
    /// Most header lines accepted.
    pub max_headers: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_message: 256 * 1024,
            max_headers: 256,
        }
    }
}

impl Message {
    /// Parses one complete message with the datagram rules of RFC 3261 §18.3: the body is
    /// Content-Length octets long (octets after it are ignored) or, without Content-Length, the
    /// rest of the buffer. Also right for a stream message already cut by
    /// [`crate::framing::StreamFramer`].
    ///
    /// Only the start line and the header line structure are checked; call
    /// [`Message::validate`] for the header checks a server applies before acting.
    pub fn parse(buf: Bytes) -> Result<Message, ParseError> {
        Message::parse_with(buf, &ParseLimits::default())
    }

    /// [`Message::parse`] with explicit limits.
    pub fn parse_with(buf: Bytes, limits: &ParseLimits) -> Result<Message, ParseError> {
        if buf.len() > limits.max_message || buf.len() >= u32::MAX as usize {
            return Err(ParseError::TooLarge {
                limit: limits.max_message,
            });
        }
        let b: &[u8] = &buf;
        // RFC 3261 §7.5: CRLFs before the start line are ignored.
        let mut i = 0;
        while i < b.len() && (b[i] == b'\r' || b[i] == b'\n') {
            i += 1;
        }
        if i == b.len() {
            return Err(ParseError::Empty);
        }
        let start_end = line_end(b, i).map_err(|_| ParseError::StartLine("bare CR or LF"))?;
        let Some(start_end) = start_end else {
            return Err(ParseError::Unterminated);
        };
        let start = StartLine::parse(&b[i..start_end])?;

        // Room for the header count of a typical INVITE or 200 (15 to 20) without regrowing.
        let mut headers = Headers::with_buffer(buf.clone(), 24);
        let mut pos = start_end + 2;
        let mut line_no = 1;
        let mut content_length: Option<usize> = None;
        let body_start = loop {
            line_no += 1;
            let bad = |reason| ParseError::HeaderLine {
                line: line_no,
                reason,
            };
            match b.get(pos) {
                None => return Err(ParseError::Unterminated),
                Some(b'\r') => match b.get(pos + 1) {
                    Some(b'\n') => break pos + 2,
                    None => return Err(ParseError::Unterminated),
                    Some(_) => return Err(bad("bare CR")),
                },
                Some(b'\n') => return Err(bad("bare LF")),
                Some(b' ' | b'\t') => {
                    // A fold: the value continues; keep its bytes, whitespace included.
                    let end = line_end(b, pos)
                        .map_err(bad)?
                        .ok_or(ParseError::Unterminated)?;
                    let line = &b[pos..end];
                    let start = pos
                        + line
                            .iter()
                            .take_while(|&&c| c == b' ' || c == b'\t')
                            .count();
                    let content = (start, (pos + trim_end(line)).max(start));
                    if !headers.extend_last(content, end + 2) {
                        return Err(bad("continuation line before any header"));
                    }
                    pos = end + 2;
                    continue;
                }
                Some(_) => {}
            }
            if headers.len() >= limits.max_headers {
                return Err(bad("too many header lines"));
            }
            // One pass over the name, the colon and the whitespace around it.
            let mut i = pos;
            while i < b.len() && lex::is_token(b[i]) {
                i += 1;
            }
            let name_end = i;
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            match b.get(i) {
                Some(b':') if name_end > pos => {}
                None | Some(b'\r' | b'\n') => return Err(bad("no colon")),
                Some(_) => {
                    let has_colon = b[i..]
                        .iter()
                        .take_while(|&&c| c != b'\r' && c != b'\n')
                        .any(|&c| c == b':');
                    return Err(bad(if has_colon {
                        "header name is not a token"
                    } else {
                        "no colon"
                    }));
                }
            }
            i += 1;
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            let vs = i;
            let end = line_end(b, vs)
                .map_err(bad)?
                .ok_or(ParseError::Unterminated)?;
            let ve = vs + trim_end(&b[vs..end]);
            let name = HeaderName::from_token(&b[pos..name_end]);
            if name == HeaderName::ContentLength {
                let value = &b[vs..ve];
                let n = std::str::from_utf8(value)
                    .ok()
                    .and_then(lex::parse_u32)
                    .ok_or_else(|| ParseError::ContentLength {
                        line: line_no,
                        value: String::from_utf8_lossy(value).into_owned(),
                    })? as usize;
                if content_length.is_some_and(|c| c != n) {
                    return Err(ParseError::ContentLengthConflict { line: line_no });
                }
                content_length = Some(n);
            }
            headers.push_parsed(name, (pos, name_end), (vs, ve), (pos, end + 2));
            pos = end + 2;
        };

        let available = b.len() - body_start;
        let body = match content_length {
            Some(n) if n > available => {
                return Err(ParseError::BodyTruncated {
                    declared: n,
                    available,
                });
            }
            Some(n) => buf.slice(body_start..body_start + n),
            None => buf.slice(body_start..),
        };
        Ok(match start {
            StartLine::Request { method, uri } => Message::Request(Request {
                method,
                uri: buf.slice(i + uri.0..i + uri.1),
                headers,
                body,
            }),
            StartLine::Response { status, reason } => Message::Response(Response {
                status,
                reason: buf.slice(i + reason.0..i + reason.1),
                headers,
                body,
            }),
        })
    }
}

/// Finds the CRLF that ends the line starting at `from`. `Ok(None)` means the buffer ends first;
/// a CR or LF standing alone is an error, since accepting one as a line end would let a header
/// be smuggled past an element that does not.
fn line_end(b: &[u8], from: usize) -> Result<Option<usize>, &'static str> {
    let Some(rel) = memchr2(b'\r', b'\n', &b[from..]) else {
        return Ok(None);
    };
    let at = from + rel;
    if b[at] == b'\n' {
        return Err("bare LF");
    }
    match b.get(at + 1) {
        Some(b'\n') => Ok(Some(at)),
        Some(_) => Err("bare CR"),
        None => Ok(None),
    }
}

/// Length of `s` without trailing SP and HTAB.
fn trim_end(s: &[u8]) -> usize {
    let mut n = s.len();
    while n > 0 && (s[n - 1] == b' ' || s[n - 1] == b'\t') {
        n -= 1;
    }
    n
}

enum StartLine {
    Request { method: Method, uri: (usize, usize) },
    Response { status: u16, reason: (usize, usize) },
}

impl StartLine {
    fn parse(line: &[u8]) -> Result<StartLine, ParseError> {
        if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
            return StartLine::parse_status(line);
        }
        // Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces
        // (RFC 4475 lwsstart and trws are rejected rather than guessed at).
        let sp1 = memchr(b' ', line).ok_or(ParseError::StartLine("no space after the method"))?;
        let sp2 = memrchr(b' ', line)
            .filter(|&p| p > sp1)
            .ok_or(ParseError::StartLine("no SIP version"))?;
        let method = Method::from_bytes(&line[..sp1])
            .ok_or(ParseError::StartLine("method is not a token"))?;
        let uri = &line[sp1 + 1..sp2];
        if uri.is_empty() {
            return Err(ParseError::StartLine("empty Request-URI"));
        }
        if uri.iter().any(|c| !(0x21..0x7f).contains(c)) {
            return Err(ParseError::StartLine(
                "Request-URI contains whitespace or a non-ASCII octet",
            ));
        }
        if !has_scheme(uri) {
            return Err(ParseError::StartLine("Request-URI has no scheme"));
        }
        check_version(&line[sp2 + 1..])?;
        Ok(StartLine::Request {
            method,
            uri: (sp1 + 1, sp2),
        })
    }

    fn parse_status(line: &[u8]) -> Result<StartLine, ParseError> {
        let sp1 = memchr(b' ', line).ok_or(ParseError::StartLine("no status code"))?;
        check_version(&line[..sp1])?;
        let rest = &line[sp1 + 1..];
        if rest.len() < 3
            || !rest[..3].iter().all(u8::is_ascii_digit)
            || rest.get(3).is_some_and(|&c| c != b' ')
        {
            return Err(ParseError::StartLine("status code is not three digits"));
        }
        let status = u16::from(rest[0] - b'0') * 100
            + u16::from(rest[1] - b'0') * 10
            + u16::from(rest[2] - b'0');
        if !(100..=699).contains(&status) {
            return Err(ParseError::StartLine("status code out of range"));
        }
        let reason_start = (sp1 + 5).min(line.len());
        if line[reason_start..].iter().any(|&c| c < 0x20 && c != b'\t') {
            return Err(ParseError::StartLine("control character in reason phrase"));
        }
        Ok(StartLine::Response {
            status,
            reason: (reason_start, line.len()),
        })
    }
}

/// `scheme ":"` at the start, RFC 3986 scheme syntax.
fn has_scheme(uri: &[u8]) -> bool {
    let Some(colon) = memchr(b':', uri) else {
        return false;
    };
    colon > 0
        && uri[0].is_ascii_alphabetic()
        && uri[..colon]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

fn check_version(v: &[u8]) -> Result<(), ParseError> {
    if v.len() < 7 || !v[..4].eq_ignore_ascii_case(b"SIP/") {
        return Err(ParseError::StartLine("malformed SIP version"));
    }
    let num = &v[4..];
    let Some(dot) = memchr(b'.', num) else {
        return Err(ParseError::StartLine("malformed SIP version"));
    };
    let (maj, min) = (&num[..dot], &num[dot + 1..]);
    if maj.is_empty() || min.is_empty() || !maj.iter().chain(min).all(u8::is_ascii_digit) {
        return Err(ParseError::StartLine("malformed SIP version"));
    }
    if num != b"2.0" {
        return Err(ParseError::UnsupportedVersion(
            String::from_utf8_lossy(v).into_owned(),
        ));
    }
    Ok(())
}
